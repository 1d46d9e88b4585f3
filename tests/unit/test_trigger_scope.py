"""The scope decision (pipeline/extract/scope.py): talks about trade or labour are no triggers."""

from __future__ import annotations

import re

from pipeline.extract.scope import Scope, out_of_scope
from pipeline.extract.triggers import TriggerFinder

FINDER = TriggerFinder.for_language("en")
SCOPE = FINDER.scope if FINDER is not None else None

LABOUR = (
    "Nurses at three hospitals in Lyon extended their walkout after wage talks with the "
    "regional employers stalled. The employers offered a pay rise of 2%; the nurses want "
    "wages tied to inflation. A mediator called the dispute a war of attrition."
)
CONFLICT_WITH_TRADE = (
    "Troops shelled the border town overnight and drones struck an army depot, the defence "
    "ministry said, a day before ceasefire talks. Separately, the trade ministers met to "
    "discuss tariffs on steel, exports of grain and investment in the port."
)


def _out(text: str) -> bool:
    assert SCOPE is not None
    return out_of_scope(text.lower(), SCOPE)


def test_a_labour_dispute_is_out_of_scope_despite_a_figure_of_war() -> None:
    assert _out(LABOUR)


def test_a_conflict_story_with_a_trade_paragraph_is_in_scope() -> None:
    assert not _out(CONFLICT_WITH_TRADE)


def test_a_few_business_words_alone_decide_nothing() -> None:
    assert not _out("The talks on tariffs and exports resumed in Geneva on Monday.")


def test_a_trade_war_is_no_conflict_word() -> None:
    text = "Tariff talks: imports, exports and investment in a trade war that business fears."
    assert _out(text)
    assert SCOPE is not None
    assert SCOPE.conflict.findall(" a trade war, a tariff war") == []
    assert len(SCOPE.conflict.findall(" a war")) == 1


def test_a_language_without_a_scope_section_has_none() -> None:
    assert Scope.from_lexicon(None, re.compile) is None
    german = TriggerFinder.for_language("de")
    assert german is not None and german.scope is None
