"""The learned cue model: reproducible training (a model retrained on a committed slice of
PolNeAR train equals the reference), the shipped model's configuration, and what it changes
in extraction (words outside the lexicon cue only the attributions it keeps)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from pipeline.extract import StatementExtractor
from pipeline.extract.attribution import find_attributions, learned_cue_candidates
from pipeline.extract.cue_model import CueModel, features, model_for
from pipeline.extract.cue_training import DEFAULTS, examples, train
from pipeline.extract.cues import CueLexicon
from pipeline.extract.training import read_records

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SLICE = FIXTURES / "polnear_train_slice.jsonl"
# Built with `parley train cues --data SLICE --output REFERENCE` (every setting the default).
REFERENCE = FIXTURES / "cue_model_slice.json"

# Text of our own: "support" and "plans" are not in the cue lexicon.
TEXT = (
    "Senator Dana Whitfield plans to introduce a bill that would cap drug prices next year. "
    "Most voters in the state support the measure, and the governor backed it on Monday."
)


@pytest.fixture(scope="module")
def slice_model() -> dict[str, Any]:
    pytest.importorskip("sklearn")
    return train(read_records(SLICE))


def test_training_is_reproducible(slice_model: dict[str, Any]) -> None:
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    assert slice_model["training"] == reference["training"]
    assert slice_model["threshold"] == reference["threshold"]
    assert slice_model["bias"] == pytest.approx(reference["bias"], abs=1e-5)
    assert sorted(slice_model["weights"]) == sorted(reference["weights"])
    for name, weight in reference["weights"].items():
        assert slice_model["weights"][name] == pytest.approx(weight, abs=1e-5), name


def test_slice_has_candidates_of_both_labels() -> None:
    data = examples(read_records(SLICE))
    assert any(ex.keep for ex in data) and not all(ex.keep for ex in data)


def test_shipped_model_matches_the_training_defaults() -> None:
    raw = (
        Path(__file__).resolve().parents[2] / "pipeline" / "extract" / "data" / "cue_model.en.json"
    )
    shipped = json.loads(raw.read_text(encoding="utf-8"))
    training = shipped["training"]
    assert training["documents"] == 840  # the whole PolNeAR train split
    for key in ("c", "min_count", "seed"):
        assert training[key] == DEFAULTS[key], key
    assert shipped["threshold"] == DEFAULTS["threshold"]
    assert model_for("en") is not None


def test_keep_is_the_probability_against_the_threshold() -> None:
    model = CueModel(-0.5, {"f=support": 1.0, "s=name": 0.25}, threshold=0.6)
    for feats in (["f=support"], ["f=support", "s=name"], ["f=other"], []):
        p = 1 / (1 + math.exp(-(model.bias + sum(model.weights.get(f, 0.0) for f in feats))))
        assert model.probability(feats) == pytest.approx(p)
        assert model.keep(feats) == (p >= 0.6)
    with pytest.raises(ValueError):
        CueModel.from_json({"bias": 0.0, "weights": {}, "threshold": 1.0})


def test_learned_words_cue_only_what_the_model_keeps() -> None:
    lex = CueLexicon.for_language("en")
    assert lex is not None and {"support", "plans", "backed"} <= lex.learned_forms
    rules = find_attributions(TEXT, lex)
    assert not any(TEXT[a.cue[0] : a.cue[1]] in ("plans", "support", "backed") for a in rules)
    candidates = learned_cue_candidates(TEXT, lex)
    cues = [TEXT[a.cue[0] : a.cue[1]] for a, _ in candidates]
    assert "plans" in cues
    keep_all = CueModel(10.0, {}, 0.5)
    drop_all = CueModel(-10.0, {}, 0.5)
    assert len(find_attributions(TEXT, lex, None, keep_all)) == len(rules) + len(candidates)
    assert find_attributions(TEXT, lex, None, drop_all) == rules
    plans = next(a for a, _ in candidates if TEXT[a.cue[0] : a.cue[1]] == "plans")
    assert TEXT[plans.speaker[0] : plans.speaker[1]] == "Senator Dana Whitfield"  # type: ignore[index]
    assert TEXT[plans.parts[0][0] : plans.parts[0][1]].startswith("to introduce a bill")


def test_features_describe_the_candidate() -> None:
    lex = CueLexicon.for_language("en")
    assert lex is not None
    (att, feats), *_ = learned_cue_candidates(TEXT, lex)
    again = features(
        TEXT,
        att.cue,
        "plans",
        att.cue_class,
        att.speaker,
        (att.parts[0][0], att.parts[-1][1]),
        att.kind,
        0,
    )
    assert feats == again
    assert {"f=plans", "c=intent", "n=to", "s=name", "g=adjacent"} <= set(feats)


def test_extractor_switch() -> None:
    with_model = StatementExtractor(learned_cues=True).extract(TEXT, language="en")
    without = StatementExtractor(learned_cues=False).extract(TEXT, language="en")
    assert len(with_model.statements) >= len(without.statements)
    assert not any(s.cue and s.cue.text in ("plans", "support") for s in without.statements)
