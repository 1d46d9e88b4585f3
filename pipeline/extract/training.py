"""Training the content-boundary model (``pipeline/extract/boundaries.py``) on PolNeAR train.

    parley train statements --data polnear_train.jsonl.gz          # writes the shipped model
    parley train statements --data slice.jsonl --output model.json --max-iterations 50

The rules run over every training article without the model; each indirect or mixed
statement whose cue is a gold cue (and whose content is long enough to be cut, see
``boundaries.MIN_CONTENT_WORDS``) becomes one sequence: the places its content could end,
labelled C before the gold end, E at it and O after (statements whose gold end is at none of
the places are left out).  A linear-chain CRF (CRFsuite's L-BFGS, through python-crfsuite) is
fitted to the sequences and its weights are written as JSON, rounded to six decimals, with the
training configuration.  Everything is deterministic: records are read in the order given by
the seed, CRFsuite's L-BFGS has no randomness of its own, and the output is sorted.  Only the
training split may be given here; the development split decides whether a model is kept.
"""

from __future__ import annotations

import gzip
import json
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.extract.boundaries import LABELS

#: The shipped configuration (``parley train statements`` defaults).
#: c1, c2 and the threshold were chosen by 5-fold cross-validation on the training split
#: (documents split by position in id order): the net gain of exact content ends, fixed minus
#: broken, is largest there.
DEFAULTS: dict[str, Any] = {
    "c1": 1.0,
    "c2": 1.0,
    "max_iterations": 300,
    "seed": 0,
    "threshold": 0.6,
}
_CLOSING = "”\"'’»"
DEFAULT_OUTPUT = Path(__file__).resolve().with_name("data") / "boundaries.en.json"


def read_records(path: Path) -> list[dict[str, Any]]:
    """PolNeAR records as JSON lines, gzipped or not: ``{"id", "text", "quotes": […]}``."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def training_split(path: Path, limit: int = 0) -> list[dict[str, Any]]:
    """The records of ``path`` (the first ``limit``, 0: all) for a ``parley train`` command,
    which refuses anything but the training split: dev decides, it never trains."""
    records = read_records(path)
    if limit:
        records = records[:limit]
    if any(str(r.get("split", "train")) != "train" for r in records):
        typer.echo(f"{path}: not the training split (a record's 'split' is not 'train')", err=True)
        raise typer.Exit(2)
    return records


def _widened_end(text: str, end: int) -> int:
    """PolNeAR's content includes closing quote marks (as the evaluation's adapter)."""
    while end < len(text) and text[end] in _CLOSING:
        end += 1
    return end


def sequences(records: list[dict[str, Any]]) -> Iterator[tuple[list[list[str]], list[str]]]:
    """(features, labels) of every statement the rules found whose cue is a gold cue."""
    from pipeline.extract.attribution import attribution_places
    from pipeline.extract.cues import CueLexicon

    lex = CueLexicon.for_language("en")
    if lex is None:
        raise RuntimeError("the English cue lexicon is missing")
    for rec in records:
        text = rec["text"]
        gold_end: dict[tuple[int, int], int] = {}
        for q in rec.get("quotes") or []:
            if q.get("cue_span") and q.get("quote_span"):
                gold_end.setdefault(tuple(q["cue_span"]), int(q["quote_span"][1]))  # type: ignore[arg-type]
        for att, found in attribution_places(text, lex):
            if found is None or att.cue not in gold_end:
                continue
            ends, feats = found
            if len(ends) < 2:
                continue  # nowhere to end but the rules' end: nothing to learn
            want = gold_end[att.cue]
            hit = next((k for k, e in enumerate(ends) if _widened_end(text, e) == want), -1)
            if hit < 0:
                continue
            labels = ["C"] * hit + ["E"] + ["O"] * (len(ends) - hit - 1)
            yield feats, labels


def train(
    records: list[dict[str, Any]],
    *,
    c1: float = DEFAULTS["c1"],
    c2: float = DEFAULTS["c2"],
    max_iterations: int = DEFAULTS["max_iterations"],
    seed: int = DEFAULTS["seed"],
    threshold: float = DEFAULTS["threshold"],
) -> dict[str, Any]:
    """The boundary model trained on ``records``, as the JSON document that ships."""
    import pycrfsuite

    ordered = sorted(records, key=lambda r: str(r.get("id", "")))
    random.Random(seed).shuffle(ordered)
    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.select("lbfgs", "crf1d")
    trainer.set_params(
        {
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iterations,
            "feature.possible_transitions": True,
        }
    )
    count = 0
    for feats, labels in sequences(ordered):
        trainer.append(feats, labels)
        count += 1
    if count == 0:
        raise ValueError("no training sequences: are these PolNeAR records with gold cues?")
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "model.crfsuite")
        trainer.train(path)
        tagger = pycrfsuite.Tagger()
        tagger.open(path)
        info = tagger.info()
        tagger.close()
    index = {label: i for i, label in enumerate(LABELS)}
    weights: dict[str, list[float]] = {}
    for (attr, label), w in info.state_features.items():
        weights.setdefault(attr, [0.0, 0.0, 0.0])[index[label]] = round(float(w), 6)
    transitions = [[0.0, 0.0, 0.0] for _ in LABELS]
    for (a, b), w in info.transitions.items():
        transitions[index[a]][index[b]] = round(float(w), 6)
    return {
        "model": "content boundaries of indirect statements: linear-chain CRF (CRFsuite)",
        "labels": list(LABELS),
        "training": {
            "documents": len(records),
            "sequences": count,
            "c1": c1,
            "c2": c2,
            "max_iterations": max_iterations,
            "seed": seed,
        },
        "threshold": threshold,
        "transitions": transitions,
        "weights": {k: weights[k] for k in sorted(weights) if any(weights[k])},
    }


def write_model(model: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(model, indent=0, sort_keys=False) + "\n", encoding="utf-8")


def statements(
    data: Annotated[
        Path, typer.Option("--data", help="PolNeAR train split (JSONL, .gz ok): never dev.")
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Where the model goes (default: the shipped one)."),
    ] = DEFAULT_OUTPUT,
    c1: Annotated[float, typer.Option(help="L1 regularisation.")] = DEFAULTS["c1"],
    c2: Annotated[float, typer.Option(help="L2 regularisation.")] = DEFAULTS["c2"],
    max_iterations: Annotated[int, typer.Option(help="L-BFGS iterations.")] = DEFAULTS[
        "max_iterations"
    ],
    seed: Annotated[int, typer.Option(help="Order of the training records.")] = DEFAULTS["seed"],
    threshold: Annotated[
        float, typer.Option(help="P(end) a place needs before content is cut there.")
    ] = DEFAULTS["threshold"],
    limit: Annotated[int, typer.Option(help="Only the first N records (0: all).")] = 0,
) -> None:
    """Train the content-boundary model of English statements on PolNeAR train."""
    try:
        import pycrfsuite  # noqa: F401
    except ImportError:
        typer.echo("training needs python-crfsuite: pip install 'parley[train]'", err=True)
        raise typer.Exit(2) from None
    records = training_split(data, limit)
    model = train(
        records, c1=c1, c2=c2, max_iterations=max_iterations, seed=seed, threshold=threshold
    )
    write_model(model, output)
    size = output.stat().st_size
    typer.echo(
        f"{output}: {len(model['weights'])} attributes, {model['training']['sequences']} "
        f"sequences from {len(records)} documents, {size / 1024:.0f} KB"
    )
