"""The trigger scorer of benchmarks/trigger_scoring.py: overlap, one-to-one, modes, groups."""

from __future__ import annotations

import pytest

from benchmarks.trigger_scoring import (
    Counts,
    Mention,
    binary_counts,
    match,
    score,
    score_by,
    sentence_decisions,
    sentences,
    stance_confusion,
    stance_pairs,
)


def m(start: int, end: int, category: str = "negotiations", stance: str = "neutral") -> Mention:
    return Mention(start, end, category, stance)


def test_overlap_is_needed_and_touching_is_not_overlap() -> None:
    assert match([m(0, 5)], [m(4, 9)]) == 1
    assert match([m(0, 5)], [m(5, 9)]) == 0


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("span", 1), ("category", 1), ("full", 0)],
)
def test_modes_compare_more_fields(mode: str, expected: int) -> None:
    gold = [m(0, 10, "ceasefire", "negative")]
    pred = [m(2, 6, "ceasefire", "positive")]
    assert match(gold, pred, mode) == expected


def test_category_mode_needs_the_same_category() -> None:
    assert match([m(0, 10, "ceasefire")], [m(0, 10, "agreement")], "category") == 0
    assert match([m(0, 10, "ceasefire")], [m(0, 10, "agreement")], "span") == 1


def test_one_prediction_matches_one_gold_only() -> None:
    gold = [m(0, 10), m(5, 15)]
    assert match(gold, [m(4, 12)]) == 1
    assert score([(gold, [m(4, 12)])]) == Counts(1, 1, 2)


def test_matching_is_maximal_not_greedy() -> None:
    # Gold 0 overlaps both predictions, gold 1 only the first: a greedy pass that gives the
    # first prediction to gold 0 would find one pair; two exist.
    gold = [m(0, 20), m(0, 4)]
    pred = [m(2, 6), m(15, 25)]
    assert match(gold, pred) == 2


def test_counts_precision_recall_f1() -> None:
    c = Counts(tp=3, predicted=4, gold=6)
    assert (c.precision, c.recall) == (0.75, 0.5)
    assert c.f1 == pytest.approx(0.6)
    assert Counts().f1 == 0.0
    assert Counts(1, 2, 3) + Counts(1, 1, 1) == Counts(2, 3, 4)


def test_unknown_mode_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        match([], [], "stance")


def test_score_by_category_and_stance() -> None:
    gold = [m(0, 5, "ceasefire", "negative"), m(10, 15, "agreement", "positive")]
    pred = [m(0, 5, "ceasefire", "negative"), m(10, 15, "agreement", "neutral")]
    docs = [(gold, pred)]
    by_cat = score_by(docs, "category", ["ceasefire", "agreement", "conflict_end"])
    assert by_cat["ceasefire"] == Counts(1, 1, 1)
    assert by_cat["agreement"] == Counts(0, 1, 1)
    assert by_cat["conflict_end"] == Counts(0, 0, 0)
    by_stance = score_by(docs, "stance", ["positive", "neutral", "negative"])
    assert by_stance["positive"] == Counts(0, 0, 1)
    assert by_stance["neutral"] == Counts(0, 1, 0)
    assert by_stance["negative"] == Counts(1, 1, 1)


def test_sentences_cut_at_ends_and_line_breaks() -> None:
    text = "Talks resumed. “No deal,” he said.\nA truce holds"
    assert [text[s:e].strip() for s, e in sentences(text)] == [
        "Talks resumed.",
        "“No deal,” he said.",
        "A truce holds",
    ]


def test_sentence_decisions_and_binary_counts() -> None:
    text = "They signed a deal. Fighting went on. A truce was agreed."
    gold = sentence_decisions(text, [m(14, 18, "agreement")], frozenset({"agreement"}))
    pred = sentence_decisions(
        text, [m(14, 18, "agreement"), m(38, 45, "ceasefire")], frozenset({"agreement"})
    )
    assert gold == [True, False, False]
    assert pred == [True, False, False]
    assert binary_counts(gold, [True, True, False]) == Counts(1, 2, 1)
    with pytest.raises(ValueError):
        binary_counts([True], [])


def test_two_gold_files_of_one_name_keep_their_own_results() -> None:
    from pathlib import Path

    from benchmarks.eval_triggers import gold_label

    wire, kremlin = Path("fixtures/wire/dev.jsonl"), Path("fixtures/triggers/dev.jsonl")
    assert gold_label(wire, [kremlin, wire]) == "wire/dev.jsonl"
    assert gold_label(kremlin, [kremlin, wire]) == "triggers/dev.jsonl"
    assert gold_label(kremlin, [kremlin]) == "dev.jsonl"


def test_stance_pairs_prefer_the_right_stance_then_pair_by_category() -> None:
    gold = [Mention(0, 5, "ceasefire", "negative"), Mention(10, 15, "negotiations", "neutral")]
    predicted = [
        Mention(0, 5, "ceasefire", "negative"),
        Mention(11, 14, "negotiations", "positive"),
        Mention(20, 25, "agreement", "positive"),
    ]
    assert stance_pairs(gold, predicted) == [(0, 0), (1, 1)]
    table = stance_confusion([(gold, predicted)])
    assert table["all"] == {("negative", "negative"): 1, ("neutral", "positive"): 1}
    assert table["negotiations"] == {("neutral", "positive"): 1}


def test_missed_gold_triggers_are_told_apart_by_kind() -> None:
    from benchmarks.eval_triggers import MISS_KINDS, missed
    from pipeline.extract.triggers import TriggerFinder

    finder = TriggerFinder.for_language("en")
    assert finder is not None
    text = (
        "Envoys resumed ceasefire talks in Geneva on Monday. Each side sells its own story at home."
    )
    talks = text.index("ceasefire talks")
    story = text.index("sells its own story")
    doc = {"id": "d", "text": text, "triggers": []}
    gold = [
        Mention(talks, talks + 15, "negotiations", "positive"),
        Mention(story, story + 19, "negotiations", "negative"),
    ]
    predicted = [Mention(talks, talks + 15, "negotiations", "positive")]
    rows = missed(doc, (gold, predicted), finder)
    assert [(r["gold_text"], r["kind"]) for r in rows] == [("sells its own story", MISS_KINDS[-1])]
    # The same talks predicted with another category are a miss of their category.
    rows = missed(doc, (gold[:1], [Mention(talks, talks + 9, "ceasefire", "neutral")]), finder)
    assert [r["kind"] for r in rows] == ["predicted with another category"]
