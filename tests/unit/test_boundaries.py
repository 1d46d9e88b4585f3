"""The learned content-boundary model: its decoding against CRFsuite's own, and reproducible
training (a model retrained on a committed slice of PolNeAR train equals the reference)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.extract.boundaries import LABELS, BoundaryModel, model_for
from pipeline.extract.training import DEFAULTS, read_records, sequences, train

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SLICE = FIXTURES / "polnear_train_slice.jsonl"
REFERENCE = FIXTURES / "boundaries_slice.json"
# The reference was built with `parley train statements --data SLICE --output REFERENCE
# --max-iterations 100` (every other setting the default).
SLICE_SETTINGS: dict[str, Any] = {"max_iterations": 100}


@pytest.fixture(scope="module")
def slice_model() -> dict[str, Any]:
    return train(read_records(SLICE), **SLICE_SETTINGS)


def test_training_is_reproducible(slice_model: dict[str, Any]) -> None:
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert slice_model["training"] == reference["training"]
    assert slice_model["threshold"] == reference["threshold"]
    assert sorted(slice_model["weights"]) == sorted(reference["weights"])
    for attr, weights in reference["weights"].items():
        assert slice_model["weights"][attr] == pytest.approx(weights, abs=1e-5), attr
    for row, want in zip(slice_model["transitions"], reference["transitions"], strict=True):
        assert row == pytest.approx(want, abs=1e-5)


def test_marginals_equal_crfsuite(tmp_path: Path) -> None:
    """Our forward-backward gives CRFsuite's marginals on the slice's sequences."""
    pycrfsuite = pytest.importorskip("pycrfsuite")
    seqs = list(sequences(read_records(SLICE)))
    assert len(seqs) >= 5
    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.set_params({"c1": 0.1, "c2": 0.1, "max_iterations": 50})
    for feats, labels in seqs:
        trainer.append(feats, labels)
    path = str(tmp_path / "m.crfsuite")
    trainer.train(path)
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    info = tagger.info()
    index = {label: i for i, label in enumerate(LABELS)}
    weights: dict[str, list[float]] = {}
    for (attr, label), w in info.state_features.items():
        weights.setdefault(attr, [0.0, 0.0, 0.0])[index[label]] = w
    transitions = [[0.0] * 3 for _ in LABELS]
    for (a, b), w in info.transitions.items():
        transitions[index[a]][index[b]] = w
    model = BoundaryModel(weights, transitions)
    for feats, _ in seqs:
        tagger.set(feats)
        want = [tagger.marginal("E", i) for i in range(len(feats))]
        assert model.end_probabilities(feats) == pytest.approx(want, abs=1e-6)


def test_best_place_needs_the_threshold() -> None:
    # Transitions allow C* E O* (and paths without E: CRFsuite has no start or end state).
    no = -50.0
    transitions = [[0.0, 0.0, no], [no, no, 0.0], [no, no, 0.0]]
    model = BoundaryModel({"cut": [0.0, 2.0, 0.0]}, transitions, threshold=0.95)
    feats = [["cut"], ["x"], ["final"]]
    probs = model.end_probabilities(feats)
    assert 0.5 < probs[0] < 0.95
    assert model.best_place(feats) == 2  # not sure enough: the rules' end stands
    model.threshold = 0.5
    assert model.best_place(feats) == 0


def test_shipped_model_matches_the_training_defaults() -> None:
    model = model_for("en")
    assert model is not None
    shipped = json.loads(
        (
            Path(__file__).resolve().parents[2] / "pipeline/extract/data/boundaries.en.json"
        ).read_text(encoding="utf-8")
    )
    for key in ("c1", "c2", "max_iterations", "seed"):
        assert shipped["training"][key] == DEFAULTS[key]
    assert shipped["threshold"] == DEFAULTS["threshold"] == model.threshold
    assert shipped["training"]["documents"] > 800  # the whole train split, not a slice


def test_compiled_scoring_equals_the_training_features() -> None:
    """The model scores places from per-template tables (no attribute strings): it must cut
    exactly where the CRFsuite attributes of the same places say, on real statements."""
    from pipeline.extract.attribution import _content_context, _Doc, _find
    from pipeline.extract.boundaries import places
    from pipeline.extract.cues import CueLexicon

    shipped = model_for("en")
    assert shipped is not None
    # A lower threshold than the shipped one, so that the slice has cuts to compare.
    model = BoundaryModel(shipped.weights, shipped.transitions, threshold=0.3)
    lex = CueLexicon.for_language("en")
    assert lex is not None
    checked = cut = 0
    for rec in read_records(SLICE):
        doc = _Doc(rec["text"], lex)
        for att in _find(doc):
            if att.kind == "direct" or len(att.parts) != 1:
                continue
            start, end = att.parts[0]
            toks = doc.tokens(start, end)
            if len(toks) < 4:
                continue
            quotes, cues = _content_context(doc, start, end)
            ends, feats = places(toks, end, quotes, cues, att.kind, att.cue_class)
            by_attributes = ends[model.best_place(feats)]
            assert model.best_end(toks, end, quotes, cues, att.kind, att.cue_class) == (
                by_attributes
            )
            checked += 1
            cut += by_attributes != end
    assert checked > 30
    assert cut > 0


def test_training_refuses_other_splits(tmp_path: Path) -> None:
    """Dev decides, train trains: records of another split are refused with a clear error."""
    import typer.main
    from click.testing import CliRunner

    from pipeline.extract.train_cli import app

    record = json.loads(SLICE.read_text(encoding="utf-8").splitlines()[0])
    record["split"] = "dev"
    data = tmp_path / "dev.jsonl"
    data.write_text(json.dumps(record) + "\n", encoding="utf-8")
    out = tmp_path / "model.json"
    group = typer.main.get_group(app)  # as `parley train` mounts it
    result = CliRunner().invoke(group, ["statements", "--data", str(data), "--output", str(out)])
    assert result.exit_code == 2
    assert "not the training split" in result.output
    assert not out.exists()
