"""The seed article against its hand-made gold (tests/fixtures/seed-article.gold.json).

Matching rules:
- a gold statement is found when a predicted statement's quote overlaps the gold quote by at
  least half of the longer of the two, with the same kind, cue text and speaker mention, and
  the same resolved speaker name, organisation, country and official flag;
- a gold trigger is found when a predicted trigger's span overlaps the gold phrase, with the
  same category and stance; triggers inside a gold statement's quote must also be attached to
  the matching predicted statement.
Extra predictions are allowed within a small bound (nested beliefs such as "Russian
authorities do not believe …" are genuine attributions the gold does not list).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.extract import ExtractionResult, Statement, StatementExtractor

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MAX_EXTRA_STATEMENTS = 3
MAX_EXTRA_TRIGGERS = 3


@pytest.fixture(scope="module")
def article() -> str:
    return (FIXTURES / "seed-article.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def gold() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "seed-article.gold.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def result(article: str) -> ExtractionResult:
    return StatementExtractor().extract(article)


def _span(article: str, phrase: str) -> tuple[int, int]:
    start = article.find(phrase)
    assert start >= 0, f"gold phrase not in the article: {phrase!r}"
    return start, start + len(phrase)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _matching_statement(
    article: str, result: ExtractionResult, g: dict[str, Any]
) -> Statement | None:
    gold_span = _span(article, g["quote"])
    for st in result.statements:
        q = (st.quote.start, st.quote.end)
        longer = max(q[1] - q[0], gold_span[1] - gold_span[0])
        if _overlap(q, gold_span) * 2 >= longer:
            return st
    return None


def test_gold_has_eleven_statements_and_thirteen_triggers(gold: dict[str, Any]) -> None:
    assert len(gold["statements"]) == 11
    assert len(gold["triggers"]) == 13


@pytest.mark.parametrize("index", range(11))
def test_statement(
    article: str, gold: dict[str, Any], result: ExtractionResult, index: int
) -> None:
    g = gold["statements"][index]
    st = _matching_statement(article, result, g)
    assert st is not None, f"no statement for {g['quote']!r}"
    sp = st.speaker
    found = {
        "kind": st.kind,
        "cue": st.cue.text if st.cue else None,
        "speaker_mention": sp.mention.text if sp.mention else None,
        "speaker_name": sp.name,
        # Roles are compared without case: the gold keeps the article's capitals ("President").
        "role": sp.role.lower() if sp.role else None,
        "organization": sp.organization,
        "country": sp.country,
        "official": sp.official,
    }
    expected = {k: g[k] for k in found}
    expected["role"] = g["role"].lower() if g["role"] else None
    assert found == expected


def test_no_flood_of_extra_statements(gold: dict[str, Any], result: ExtractionResult) -> None:
    assert len(result.statements) <= len(gold["statements"]) + MAX_EXTRA_STATEMENTS


@pytest.mark.parametrize("index", range(13))
def test_trigger(article: str, gold: dict[str, Any], result: ExtractionResult, index: int) -> None:
    g = gold["triggers"][index]
    span = _span(article, g["phrase"])
    hits = [
        t
        for t in result.triggers
        if _overlap((t.start, t.end), span) > 0 and t.category == g["category"]
    ]
    assert hits, f"no {g['category']} trigger over {g['phrase']!r}"
    assert hits[0].stance == g["stance"], f"{g['phrase']!r}: {hits[0]}"
    assert article[hits[0].start : hits[0].end] == hits[0].text
    # A trigger inside a gold statement's quote is attached to the matching statement.
    for gs in gold["statements"]:
        qs = _span(article, gs["quote"])
        if qs[0] <= span[0] and span[1] <= qs[1]:
            st = _matching_statement(article, result, gs)
            assert st is not None
            assert any(t is hits[0] for t in st.triggers), (g["phrase"], gs["quote"])


# Mentions that the trigger annotation guidelines (docs/trigger-annotation.md) count and the
# seed's gold, written before them, does not list: ending the hostilities that talks are meant
# for, Kiev's unwillingness to seek a diplomatic solution (a settlement is an agreement), the
# "just peace" that also names the war's end, the terms agreed in Istanbul and the status they
# give Ukraine and the new regions (terms of a settlement), the realities on the ground that any
# talks must take into account (a condition of the settlement), and discussing the peace formula
# (a contact about the conflict).
GUIDELINE_EXTRAS = {
    ("conflict_end", "end the hostilities"),
    ("agreement", "diplomatic solution"),
    ("conflict_end", "just peace"),
    ("peace_plan", "terms"),
    ("peace_plan", "status"),
    ("peace_plan", "realities on the ground"),
    ("negotiations", "discussing"),
}


def test_no_flood_of_extra_triggers(
    article: str, gold: dict[str, Any], result: ExtractionResult
) -> None:
    spans = [(_span(article, g["phrase"]), g["category"]) for g in gold["triggers"]]
    extra = [
        t
        for t in result.triggers
        if not any(_overlap((t.start, t.end), s) > 0 and t.category == c for s, c in spans)
    ]
    unexplained = [
        t
        for t in extra
        if not any(t.category == c and phrase in t.text for c, phrase in GUIDELINE_EXTRAS)
    ]
    assert len(unexplained) <= MAX_EXTRA_TRIGGERS, unexplained


def test_codes_where_they_apply(result: ExtractionResult, article: str) -> None:
    by_text = {t.text: t for t in result.triggers}
    open_to_talks = next(t for t in by_text.values() if "remains open to talks" in t.text)
    assert open_to_talks.codes == ("CAMEO:036",)
    ban = next(t for t in by_text.values() if "banning" in t.text)
    assert ban.codes == ("CAMEO:125",)
    rejected = next(t for t in by_text.values() if "rejected this proposal" in t.text)
    assert rejected.codes == ("CAMEO:127",)
    formula = next(t for t in by_text.values() if "peace formula" in t.text)
    assert formula.codes == ()


def test_scare_quotes_are_not_statements(result: ExtractionResult) -> None:
    quoted = [s.quote.text for s in result.statements]
    assert not any(q.strip("‘’,") == "peace formula" for q in quoted)
    assert not any(q == "victory" for q in quoted)
