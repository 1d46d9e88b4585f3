"""The learned trigger decisions (pipeline/extract/trigger_model.py): features, inference, and
a training that is reproducible from the annotations shipped in tests/fixtures/triggers/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.extract.trigger_model import (
    Candidate,
    LinearModel,
    TriggerModel,
    features,
    model_file,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOLD = [FIXTURES / "triggers" / "dev.jsonl", FIXTURES / "wire" / "dev.jsonl"]
PACKAGED = Path(__file__).resolve().parents[2] / "pipeline" / "extract" / "data"


def _candidate(text: str, word: str, **kw: object) -> Candidate:
    start = text.index(word)
    fields: dict[str, object] = {
        "start": start,
        "end": start + len(word),
        "head_start": start,
        "head_end": start + len(word),
        "category": "negotiations",
        "kind": "context",
        "rule_keep": True,
        "rule_stance": "neutral",
        "act": None,
        "negated": False,
        "outcome": None,
        "doc_category_heads": 2,
        "doc_heads": 3,
        "sentence_heads": 0,
    }
    fields.update(kw)
    return Candidate(**fields)  # type: ignore[arg-type]


def test_features_name_the_rules_verdict_the_document_and_the_words_around() -> None:
    text = "Both sides said the meeting in Geneva was constructive."
    keep, stance = features(text, 0, len(text), _candidate(text, "meeting"))
    assert keep[:4] == [
        "kind=context",
        "rule_keep=True",
        "cat=negotiations",
        "cat_kind=negotiations|context",
    ]
    assert "doc_cat=2-4" in keep and "sent=0" in keep
    assert "h1=meeting" in keep and "l0=said" in keep and "r0=constructive" in keep
    assert "s:constructive" in keep and "s:meeting" not in keep  # the head is h0/h1 only
    # Stance from the words only, content words, no names.
    assert stance[:1] == ["t:meeting"] and "r:constructive" in stance
    assert not any(f.startswith(("rule=", "cat=")) for f in stance)
    assert "l:the" not in stance and "r:geneva" not in stance


def test_stance_features_read_the_triggers_clause_and_the_side_of_a_contrast() -> None:
    text = "The envoys met again on Monday, but the talks could not resume before winter."
    cand = _candidate(text, "talks")
    clause = (text.index(" but") + 4, text.index("."))
    for lowered in (text.lower(), None):
        _, stance = features(text, 0, len(text), cand, keep=False, clause=clause, lowered=lowered)
        assert "cr:could" in stance and "cr:resume" in stance
        assert not any(f.startswith("cl:") for f in stance)  # nothing before it in its clause
        assert "cl:met" not in stance and "cr:met" not in stance  # another clause's words
        assert "cm:could" in stance and "cm:not" in stance and "cm:can" not in stance
        assert stance.count("ca:but") == 1 and not any(f.startswith("cb:") for f in stance)
        # The sentence's words are as without the clause.
        _, plain = features(text, 0, len(text), cand, keep=False)
        assert [f for f in stance if f[:3] not in ("cl:", "cr:", "cm:", "ca:", "cb:")] == plain
    text = "Talks resumed on Monday, although neither side expects a deal."
    cand = _candidate(text, "Talks")
    _, stance = features(
        text, 0, len(text), cand, keep=False, clause=(0, text.index(",")), lowered=text.lower()
    )
    assert "cb:although" in stance and "cr:resumed" in stance and "cr:expects" not in stance
    assert not any(f.startswith("cm:") for f in stance)


def test_stance_features_mark_a_time_a_venue_a_schedule_and_a_frame() -> None:
    text = "The talks are scheduled for Monday and will be held at a villa outside Bern."
    cand = _candidate(text, "talks")
    for lowered in (text.lower(), None):
        _, stance = features(
            text, 0, len(text), cand, keep=False, clause=(0, len(text) - 1), lowered=lowered
        )
        assert {"rp:when", "rp:schedule", "rp:venue"} <= set(stance)
        assert "rp:frame" not in stance
    text = "Under the terms of the 2019 agreement, fishing boats may use the bay."
    cand = _candidate(text, "agreement", category="agreement")
    _, stance = features(
        text, 0, len(text), cand, keep=False, clause=(0, text.index(",")), lowered=text.lower()
    )
    assert "rp:frame" in stance and "rp:when" not in stance
    text = "The agreement was welcomed by both parliaments."
    cand = _candidate(text, "agreement", category="agreement")
    _, stance = features(
        text, 0, len(text), cand, keep=False, clause=(0, len(text) - 1), lowered=text.lower()
    )
    assert not any(f.startswith("rp:") for f in stance)


def test_only_a_candidate_the_rules_leave_undecided_is_the_models_to_judge() -> None:
    text = "The talks were constructive."
    assert _candidate(text, "talks").undecided
    assert _candidate(text, "talks", act="engage").undecided
    assert not _candidate(text, "talks", act="reject").undecided
    assert not _candidate(text, "talks", negated=True).undecided
    assert not _candidate(text, "talks", outcome="positive").undecided
    assert not _candidate(text, "talks", rule_stance="positive").undecided


def test_inference_is_an_argmax_of_bias_plus_weights() -> None:
    stance = LinearModel(
        ("negative", "neutral", "positive"),
        (0.0, 0.5, 0.0),
        {"r:constructive": (0.0, 0.0, 1.0), "r:stalled": (2.0, 0.0, 0.0)},
    )
    keep = LinearModel(("drop", "keep"), (0.2, -0.2), {"doc_cat=0": (1.0, -1.0)})
    model = TriggerModel(keep, stance, frozenset({"negotiations"}), 0.25)
    assert model.stance_of(["t:talks"]) == "neutral"
    assert model.stance_of(["r:constructive"]) == "positive"
    assert model.stance_of(["r:stalled", "r:constructive"]) == "negative"
    # within the margin of neutral: neutral
    assert TriggerModel(keep, stance, neutral_margin=0.75).stance_of(["r:constructive"]) == (
        "neutral"
    )
    assert not model.keeps(["kind=context"])
    assert not model.keeps(["doc_cat=0"])
    assert TriggerModel(LinearModel(("drop", "keep"), (0.0, 1.0), {}), stance).keeps([])
    again = TriggerModel.from_dict(json.loads(json.dumps(model.to_dict(note="x"))))
    assert again == model


def test_a_malformed_model_is_refused() -> None:
    keep = {"classes": ["drop", "keep"], "bias": [0, 0], "weights": {}}
    with pytest.raises(ValueError, match="unknown stance"):
        TriggerModel.from_dict(
            {"keep": keep, "stance": {"classes": ["maybe"], "bias": [0], "weights": {}}}
        )
    with pytest.raises(ValueError, match="rows"):
        LinearModel.from_dict({"classes": ["neutral"], "bias": [0, 1], "weights": {}})
    with pytest.raises(ValueError, match="keep or drop"):
        TriggerModel.from_dict(
            {"keep": {**keep, "classes": ["yes", "no"]}, "stance": keep}  # type: ignore[dict-item]
        )


@pytest.fixture(scope="module")
def examples() -> list:  # type: ignore[type-arg]
    from pipeline.extract import trigger_training as tt

    return tt.examples(tt.read_documents(GOLD), tt.rule_finder("en"))


def test_training_on_a_slice_is_deterministic_and_learns(examples: list) -> None:  # type: ignore[type-arg]
    from pipeline.extract import trigger_training as tt

    documents = sorted({ex.document for ex in examples})
    half = set(documents[: len(documents) // 2])
    part = [ex for ex in examples if ex.document in half]
    first = tt.train(part)
    assert tt.train(part) == first  # same data, same seed: the same weights
    # It fits what it was trained on better than the rules do: the keep decision better
    # than "keep what the rules keep", the stance better than the rules' undecided neutral.
    judged = [ex for ex in part if ex.judged_by_model]
    keep_right = sum(first.keeps(ex.keep_features) == ex.keep for ex in judged)
    rules_keep_right = sum(ex.rule_keep == ex.keep for ex in judged)
    assert keep_right > rules_keep_right
    undecided = [ex for ex in part if ex.keep and ex.undecided]
    stance_right = sum(first.stance_of(ex.stance_features) == ex.stance for ex in undecided)
    rules_stance_right = sum(ex.rule_stance == ex.stance for ex in undecided)
    assert stance_right > rules_stance_right


def test_the_packaged_model_is_what_training_on_the_dev_set_gives(examples: list) -> None:  # type: ignore[type-arg]
    from pipeline.extract import trigger_training as tt

    shipped = json.loads((PACKAGED / model_file("en")).read_text(encoding="utf-8"))
    assert shipped["trained_on"] == ["triggers/dev.jsonl", "wire/dev.jsonl"]
    assert TriggerModel.from_dict(shipped) == tt.train(examples)


def test_a_rule_margin_lets_the_keep_model_overrule_the_rules_only_when_sure() -> None:
    from pipeline.extract import trigger_training as tt

    keep = LinearModel(
        ("drop", "keep"),
        (0.0, 0.0),
        {"w=meeting": (0.6, -0.6), "w=summit": (2.0, -2.0), "w=ceasefire": (-0.5, 0.5)},
    )
    leaning = tt.with_rule_margin(keep, 2.0)
    # Dropping a candidate the rules keep takes more than the margin: 1.2 log-odds does not,
    # 4 does; where the rules drop, the model decides as before.
    assert not TriggerModel(keep, keep).keeps(["rule_keep=True", "w=meeting"])
    assert TriggerModel(leaning, keep).keeps(["rule_keep=True", "w=meeting"])
    assert not TriggerModel(leaning, keep).keeps(["rule_keep=True", "w=summit"])
    assert not TriggerModel(leaning, keep).keeps(["rule_keep=False", "w=meeting"])
    assert TriggerModel(leaning, keep).keeps(["rule_keep=False", "w=ceasefire"])
    assert tt.with_rule_margin(keep, 0.0) is keep


def test_cross_source_trains_each_source_without_its_own_documents() -> None:
    from benchmarks.eval_triggers import cross_source
    from pipeline.extract import StatementExtractor
    from pipeline.extract.triggers import TriggerFinder

    def doc(i: str, text: str) -> dict[str, object]:
        return {"id": i, "text": text, "triggers": []}

    wire = [doc("w1", "Envoys met in Geneva for talks on a ceasefire.\nThe talks stalled.")]
    official = [
        doc("k1", "The President held a meeting on the peace talks."),
        doc("k2", "The sides discussed the prisoner exchange at the meeting."),
    ]
    finder = TriggerFinder.for_language("en")
    assert finder is not None
    shipped = finder.model
    seen: list[set[int]] = []

    def trainer(data: list[Any]) -> None:
        seen.append({ex.document for ex in data})
        return None  # the rules alone

    out = cross_source([wire, official], StatementExtractor(), trainer=trainer)
    assert [len(pairs) for pairs in out] == [1, 2]
    # Documents are numbered across the sources: 0 is the wire story, 1-2 the official ones.
    assert seen[0] <= {1, 2} and seen[0]
    assert seen[1] == {0}
    assert finder.model is shipped
    assert all(predicted for _gold, predicted in out[0])
