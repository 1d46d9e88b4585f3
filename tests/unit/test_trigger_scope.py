"""The scope decision (pipeline/extract/scope.py): talks about trade or labour are no triggers,
but a sentence that shows an armed conflict keeps its triggers in any text."""

from __future__ import annotations

import re

from pipeline.extract.scope import Scope, conflict_sentences, out_of_scope
from pipeline.extract.triggers import TriggerFinder

FINDER = TriggerFinder.for_language("en")
SCOPE = FINDER.scope if FINDER is not None else None

LABOUR = (
    "Nurses at three hospitals in Lyon extended their walkout after wage talks with the "
    "regional employers stalled. The employers offered a pay rise of 2%; the nurses want "
    "wages tied to inflation. A mediator spoke of a war of words."
)
CONFLICT_WITH_TRADE = (
    "Troops shelled the border town overnight and drones struck an army depot, the defence "
    "ministry said, a day before ceasefire talks. Separately, the trade ministers met to "
    "discuss tariffs on steel, exports of grain and investment in the port."
)
# An economy story, and one sentence on a war's talks in it.
MARKETS = (
    "Exports of copper rose in May and investors bought the miners' shares. The budget "
    "foresees more investment, business groups said, and inflation eased. "
    "Kyiv is ready for talks on the exchange of prisoners, the foreign minister said. "
    "Economic growth should pick up, and imports of machinery rose."
)


def _scope() -> Scope:
    assert SCOPE is not None
    return SCOPE


def _out(text: str) -> bool:
    return out_of_scope(text.lower(), _scope())


def _starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"[.;]\s", text)]


def test_a_labour_dispute_is_out_of_scope_despite_a_figure_of_war() -> None:
    assert _out(LABOUR)
    assert conflict_sentences(LABOUR.lower(), _starts(LABOUR), _scope()) == set()


def test_a_conflict_story_with_a_trade_paragraph_is_in_scope() -> None:
    assert not _out(CONFLICT_WITH_TRADE)


def test_a_few_business_words_alone_decide_nothing() -> None:
    assert not _out("The talks on tariffs and exports resumed in Geneva on Monday.")


def test_a_trade_war_is_no_conflict_word() -> None:
    text = "Tariff talks: imports, exports and investment in a trade war that business fears."
    assert _out(text)
    assert _scope().conflict.findall(" a trade war, a tariff war") == []
    assert _scope().conflict.findall(" a war of words") == []
    assert len(_scope().conflict.findall(" a war")) == 1


def test_a_war_sentence_in_an_economy_story_shows_its_conflict() -> None:
    assert _out(MARKETS)
    starts = _starts(MARKETS)
    assert conflict_sentences(MARKETS.lower(), starts, _scope()) == {2}
    assert MARKETS[starts[2] :].startswith("Kyiv is ready")


def test_an_economy_story_keeps_only_the_triggers_of_its_war_sentence() -> None:
    assert FINDER is not None
    found = FINDER.find(MARKETS)
    assert found, "the talks on a prisoner exchange are a trigger"
    sentence = MARKETS.index("Kyiv")
    assert all(sentence <= t.start < MARKETS.index("Economic") for t in found)


# An energy story: the talks on gas name a party of a war and are still no trigger; the
# sentence on the war keeps its own.
ENERGY = (
    "Austria is negotiating with Brussels for more time to stop imports of Russian gas. "
    "Talks on pipeline gas resume next week. "
    "The chancellor backed a ceasefire in Ukraine and talks between Kyiv and Moscow. "
    "Refiners' margins were steady and energy prices for industry fell."
)


def test_a_party_of_a_war_in_a_business_sentence_shows_no_conflict() -> None:
    assert _out(ENERGY)
    assert conflict_sentences(ENERGY.lower(), _starts(ENERGY), _scope()) == {2}
    assert FINDER is not None
    found = FINDER.find(ENERGY)
    assert {t.category for t in found} == {"ceasefire", "negotiations"}
    assert all(ENERGY.index("The chancellor") <= t.start < ENERGY.index("Refiners") for t in found)


def test_figures_of_speech_show_no_conflict() -> None:
    text = "A ceasefire on the docks. The crisis of the port. A long conflict over pay."
    assert conflict_sentences(text.lower(), _starts(text), _scope()) == set()


def test_a_language_without_a_scope_section_has_none() -> None:
    assert Scope.from_lexicon(None, re.compile) is None
    german = TriggerFinder.for_language("de")
    assert german is not None and german.scope is None


def test_the_fault_suites_newsroom_pages_keep_their_talks() -> None:
    """The synthetic newsroom pages are business text by the word count (budget, farmers,
    Business in the navigation); the one inserted statement on a war's talks must still reach
    a subscriber: through the whole chain, each of the templates with each subject."""
    from benchmarks.harness.newsroom import (
        STATEMENT_TEMPLATES,
        SUBJECTS,
        GeneratedPages,
        statement_for,
        statement_survives,
    )

    pages = GeneratedPages()
    combinations = len(STATEMENT_TEMPLATES) * len(SUBJECTS)
    lost = [
        i
        for i in range(combinations)
        if not statement_survives(pages.render(i, statement_for(i)), statement_for(i))
    ]
    assert lost == []
