"""Training the learned cue model (``pipeline/extract/cue_model.py``) on PolNeAR train.

    parley train cues --data polnear_train.jsonl.gz          # writes the shipped model
    parley train cues --data slice.jsonl --output model.json

The rules run over every training article; every attribution they would build around a word
of the lexicon's ``learned_verbs`` is one example, labelled *keep* when its cue overlaps a gold
cue whose source overlaps the speaker the rules found (or that has no source), else *drop*.
A logistic regression (scikit-learn, liblinear, fixed seed) is fitted to the examples'
features (those seen at least ``min_count`` times) and written as JSON, rounded to six
decimals, with the training configuration.  C and the threshold were chosen by 5-fold
cross-validation over the training documents (``--cross-validate`` prints the table): a
candidate is worth keeping when it is right more often than the exact-F1 of cues divided by
two, so the threshold sits near there.  Only the training split may be given here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer

from pipeline.extract.training import _widened_end, training_split

DEFAULTS: dict[str, Any] = {"c": 0.3, "min_count": 2, "seed": 0, "threshold": 0.3}
DEFAULT_OUTPUT = Path(__file__).resolve().with_name("data") / "cue_model.en.json"


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _half(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Contents overlapping by at least half of the longer one (the attribution match)."""
    longer = max(a[1] - a[0], b[1] - b[0])
    return longer > 0 and 2 * (min(a[1], b[1]) - max(a[0], b[0])) >= longer


class Example(NamedTuple):
    """One learned-cue candidate: its document, features, label and which of its spans
    equal the gold ones (PolNeAR's convention: quote marks and a leading "that" included)."""

    document: str
    features: list[str]
    keep: bool
    exact_cue: bool
    exact_source: bool
    exact_content: bool


def examples(records: list[dict[str, Any]]) -> list[Example]:
    """Every learned-cue candidate of the records, labelled."""
    from pipeline.extract.attribution import learned_cue_candidates
    from pipeline.extract.cues import CueLexicon

    lex = CueLexicon.for_language("en")
    if lex is None:
        raise RuntimeError("the English cue lexicon is missing")
    out: list[Example] = []
    for rec in records:
        text = rec["text"]
        gold: list[tuple[tuple[int, int], tuple[int, int] | None, tuple[int, int]]] = []
        for q in rec.get("quotes") or []:
            if q.get("cue_span") and q.get("quote_span"):
                cue = (int(q["cue_span"][0]), int(q["cue_span"][1]))
                src = q.get("speaker_span")
                content = (int(q["quote_span"][0]), int(q["quote_span"][1]))
                gold.append((cue, (int(src[0]), int(src[1])) if src else None, content))
        for att, feats in learned_cue_candidates(text, lex):
            span = ((att.marked_parts or att.parts)[0][0], _widened_end(text, att.parts[-1][1]))
            keep = any(
                _overlaps(att.cue, cue)
                and (src is None or (att.speaker is not None and _overlaps(att.speaker, src)))
                and _half(span, content)
                for cue, src, content in gold
            )
            out.append(
                Example(
                    str(rec.get("id", "")),
                    feats,
                    keep,
                    any(att.cue == cue for cue, _, _ in gold),
                    any(att.speaker == src for _, src, _ in gold),
                    any(span == content for _, _, content in gold),
                )
            )
    return out


def fit(data: list[Example], c: float, min_count: int, seed: int) -> tuple[float, dict[str, float]]:
    """Bias and weights of a logistic regression over the examples' features."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    counts: dict[str, int] = {}
    for ex in data:
        for f in set(ex.features):
            counts[f] = counts.get(f, 0) + 1
    vocabulary = sorted(f for f, n in counts.items() if n >= min_count)
    index = {f: i for i, f in enumerate(vocabulary)}
    rows: list[int] = []
    cols: list[int] = []
    for r, ex in enumerate(data):
        for j in sorted({index[f] for f in ex.features if f in index}):
            rows.append(r)
            cols.append(j)
    x = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(data), max(1, len(vocabulary))))
    y = np.array([1 if ex.keep else 0 for ex in data])
    if len(set(y.tolist())) < 2:
        raise ValueError("the training examples need both kept and dropped candidates")
    lr = LogisticRegression(C=c, solver="liblinear", random_state=seed, max_iter=1000)
    lr.fit(x, y)
    weights = {
        f: round(float(w), 6) for f, w in zip(vocabulary, lr.coef_[0], strict=True) if round(w, 6)
    }
    return round(float(lr.intercept_[0]), 6), weights


def train(
    records: list[dict[str, Any]],
    *,
    c: float = DEFAULTS["c"],
    min_count: int = DEFAULTS["min_count"],
    seed: int = DEFAULTS["seed"],
    threshold: float = DEFAULTS["threshold"],
) -> dict[str, Any]:
    """The cue model trained on ``records``, as the JSON document that ships."""
    ordered = sorted(records, key=lambda r: str(r.get("id", "")))
    data = examples(ordered)
    bias, weights = fit(data, c, min_count, seed)
    return {
        "model": "keep/drop of attributions cued by learned words: logistic regression",
        "training": {
            "documents": len(records),
            "examples": len(data),
            "kept": sum(1 for ex in data if ex.keep),
            "c": c,
            "min_count": min_count,
            "seed": seed,
        },
        "threshold": threshold,
        "bias": bias,
        "weights": dict(sorted(weights.items())),
    }


#: exact F1 of the rules on PolNeAR train (source, cue, content) and their attribution F1
TRAIN_F1 = {"source": 0.646, "cue": 0.63, "content": 0.521, "attribution": 0.594}


def cross_validate(
    records: list[dict[str, Any]], cs: list[float], thresholds: list[float], folds: int = 5
) -> list[dict[str, Any]]:
    """Per C and threshold, over ``folds`` folds of documents: the candidates kept, and the
    net gain on each F1 (right * (1 - F / 2) - wrong * F / 2, F the rules' F1 on train)."""
    from pipeline.extract.cue_model import CueModel

    ordered = sorted(records, key=lambda r: str(r.get("id", "")))
    data = examples(ordered)
    ids = sorted({ex.document for ex in data})
    fold_of = {doc: i % folds for i, doc in enumerate(ids)}
    out = []
    for c in cs:
        kept: dict[float, list[Example]] = {t: [] for t in thresholds}
        for k in range(folds):
            bias, weights = fit(
                [ex for ex in data if fold_of[ex.document] != k],
                c,
                DEFAULTS["min_count"],
                DEFAULTS["seed"],
            )
            for t in thresholds:
                model = CueModel(bias, weights, t)
                kept[t] += [
                    ex for ex in data if fold_of[ex.document] == k and model.keep(ex.features)
                ]
        for t in thresholds:
            row: dict[str, Any] = {"c": c, "threshold": t, "kept": len(kept[t])}
            total = 0.0
            for name, flag in (
                ("source", "exact_source"),
                ("cue", "exact_cue"),
                ("content", "exact_content"),
                ("attribution", "keep"),
            ):
                right = sum(1 for ex in kept[t] if getattr(ex, flag))
                half = TRAIN_F1[name] / 2
                gain = right * (1 - half) - (len(kept[t]) - right) * half
                row[name] = round(gain, 1)
                total += gain
            row["sum"] = round(total, 1)
            out.append(row)
    return out


def write_model(model: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(model, indent=0) + "\n", encoding="utf-8")


def cues(
    data: Annotated[
        Path, typer.Option("--data", help="PolNeAR train split (JSONL, .gz ok): never dev.")
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Where the model goes (default: the shipped one)."),
    ] = DEFAULT_OUTPUT,
    c: Annotated[float, typer.Option(help="Inverse L2 regularisation.")] = DEFAULTS["c"],
    threshold: Annotated[
        float, typer.Option(help="Probability a candidate needs to be kept.")
    ] = DEFAULTS["threshold"],
    limit: Annotated[int, typer.Option(help="Only the first N records (0: all).")] = 0,
    cross_validate_only: Annotated[
        bool,
        typer.Option("--cross-validate", help="Print 5-fold results over C and thresholds."),
    ] = False,
) -> None:
    """Train the model that keeps or drops attributions cued by words outside the lexicon."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        typer.echo("training needs scikit-learn: pip install 'parley[train]'", err=True)
        raise typer.Exit(2) from None
    records = training_split(data, limit)
    if cross_validate_only:
        rows = cross_validate(records, [0.1, 0.3, 1.0, 3.0], [0.3, 0.4, 0.5, 0.6, 0.7])
        typer.echo("\t".join(rows[0]))
        for row in rows:
            typer.echo("\t".join(str(v) for v in row.values()))
        return
    model = train(records, c=c, threshold=threshold)
    write_model(model, output)
    size = output.stat().st_size
    t = model["training"]
    typer.echo(
        f"{output}: {len(model['weights'])} weights, {t['examples']} candidates "
        f"({t['kept']} right) from {len(records)} documents, {size / 1024:.0f} KB"
    )
