"""The learned trigger stance (pipeline/extract/stance_model.py): features, inference, and a
training that is reproducible from the annotations shipped in tests/fixtures/triggers/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.extract.stance_model import StanceModel, features, model_file

GOLD = Path(__file__).resolve().parents[1] / "fixtures" / "triggers" / "dev.jsonl"
PACKAGED = Path(__file__).resolve().parents[2] / "pipeline" / "extract" / "data"


def test_features_name_the_rule_verdict_and_the_words_around() -> None:
    text = "Both sides said the talks in Geneva were constructive."
    start = text.index("talks")
    feats = features(text, 0, len(text), start, start + 5, "negotiations", "neutral", None)
    assert feats[:4] == [
        "rule=neutral",
        "act=-",
        "cat=negotiations",
        "cat_rule=negotiations|neutral",
    ]
    assert "t:talks" in feats
    assert "l:the" in feats and "r:constructive" in feats and "s:constructive" in feats
    assert "s:talks" not in feats  # the trigger's own words are t: only


def test_inference_is_an_argmax_of_bias_plus_weights() -> None:
    model = StanceModel(
        ("negative", "neutral", "positive"),
        (0.0, 0.5, 0.0),
        {"r:constructive": (0.0, 0.0, 1.0), "r:stalled": (2.0, 0.0, 0.0)},
        frozenset({"negotiations"}),
    )
    assert model.predict(["t:talks"]) == "neutral"
    assert model.predict(["r:constructive"]) == "positive"
    assert model.predict(["r:stalled", "r:constructive"]) == "negative"
    again = StanceModel.from_dict(json.loads(json.dumps(model.to_dict(note="x"))))
    assert again == model


def test_a_malformed_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown stance"):
        StanceModel.from_dict({"classes": ["maybe"], "bias": [0], "weights": {}})
    with pytest.raises(ValueError, match="rows"):
        StanceModel.from_dict({"classes": ["neutral"], "bias": [0, 1], "weights": {}})


@pytest.fixture(scope="module")
def examples() -> list:  # type: ignore[type-arg]
    from pipeline.extract import stance_training as st

    return st.examples(st.read_documents([GOLD]), st.rule_finder("en"))


def test_training_on_a_slice_is_deterministic_and_learns(examples: list) -> None:  # type: ignore[type-arg]
    from pipeline.extract import stance_training as st

    documents = sorted({ex.document for ex in examples})
    half = set(documents[: len(documents) // 2])
    part = [ex for ex in examples if ex.document in half]
    first = st.train(part)
    assert st.train(part) == first  # same data, same seed: the same weights
    # It fits what it was trained on better than the rules' undecided "neutral" does.
    model_right = sum(first.predict(ex.features) == ex.label for ex in part)
    rules_right = sum(ex.rule_stance == ex.label for ex in part)
    assert model_right > rules_right


def test_the_packaged_model_is_what_training_on_the_dev_set_gives(examples: list) -> None:  # type: ignore[type-arg]
    from pipeline.extract import stance_training as st

    shipped = json.loads((PACKAGED / model_file("en")).read_text(encoding="utf-8"))
    assert shipped["trained_on"] == ["dev.jsonl"]
    assert StanceModel.from_dict(shipped) == st.train(examples)
