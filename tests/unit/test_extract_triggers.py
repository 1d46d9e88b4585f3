"""Trigger spans and stance at the edges of a text."""

from __future__ import annotations

import pytest

from pipeline.extract.triggers import TriggerFinder


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("No talks with Kyiv are possible, the minister said.", "No talks"),
        ("Not ready for talks, he said.", "Not ready for talks"),
        ("There will be no talks this year.", "no talks"),
    ],
)
def test_a_negator_is_inside_the_span_even_at_the_start_of_the_text(text: str, span: str) -> None:
    finder = TriggerFinder.for_language("en")
    assert finder is not None
    (trigger,) = finder.find(text)
    assert (trigger.text, trigger.stance) == (span, "negative")
    assert text[trigger.start : trigger.end] == span


def test_texts_that_lower_would_misalign_get_the_same_triggers() -> None:
    """A dotless ı (or İ, ſ) sends the scan to the case-insensitive regexes, which are only
    compiled when such a text comes: they find what the lower-cased scan finds."""
    finder = TriggerFinder.for_language("en")
    assert finder is not None
    body = (
        ": the talks were productive, Moscow rejected the ceasefire and a lasting peace "
        "is far off. Was he asked whether a prisoner exchange was possible? “No.”"
    )
    plain = finder.find("Kxrxkkale" + body)
    folded = finder.find("Kırıkkale" + body)
    assert plain == folded
    assert [(t.category, t.stance) for t in plain] == [
        ("negotiations", "positive"),
        ("ceasefire", "negative"),
        ("conflict_end", "negative"),
        ("prisoner_exchange", "negative"),
    ]


@pytest.mark.parametrize(
    ("text", "category", "spans"),
    [
        (
            "The peace talks resumed. Kyiv again ruled out the renunciation of NATO membership"
            " and the withdrawal of troops from Donetsk.",
            "peace_plan",
            ["renunciation of NATO", "withdrawal of troops"],
        ),
        (
            "The peace talks went on as talks and consultations in Geneva.",
            "negotiations",
            ["talks and consultations"],
        ),
    ],
)
def test_items_of_a_list_are_apart_and_synonyms_of_one_event_together(
    text: str, category: str, spans: list[str]
) -> None:
    """Terms, captives and guarantees listed one after another are one trigger each; two
    words for the same talks are one trigger."""
    finder = TriggerFinder.for_language("en")
    assert finder is not None
    found = [t.text for t in finder.find(text) if t.category == category]
    assert len(found) == len(spans), found
    for text_found, span in zip(found, spans, strict=True):
        assert span in text_found


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("The truce talks ended. Both delegations agreed to meet again next month.", "agreement"),
        ("The truce talks ended. The envoys agreed to keep talking.", "agreement"),
        (
            "The talks ended with a prisoner swap. Iran wants a deal that caps enrichment in"
            " exchange for sanctions relief.",
            "prisoner_exchange",
        ),
        (
            "The Doha talks freed forty detainees but brought no progress towards a truce.",
            "negotiations",
        ),
    ],
)
def test_what_only_looks_like_an_event_of_a_category_is_none(text: str, category: str) -> None:
    """Agreeing to go on talking is the talks' outcome, not a deal; a deal "in exchange for"
    something is no exchange of captives; progress towards a truce is the truce's, not more
    talks."""
    finder = TriggerFinder.for_language("en")
    assert finder is not None
    found = [t.text for t in finder.find(text) if t.category == category]
    assert not [t for t in found if "swap" not in t and "talks" not in t], found


def test_clause_breaks() -> None:
    """Punctuation and contrast words break a clause; the dot of an initialism, "all but" and
    "yet to" do not, nor a contrast word inside another word."""
    finder = TriggerFinder.for_language("en")
    assert finder is not None
    text = (
        "The U.S. envoy said talks had all but collapsed, yet to resume soon; but the "
        "Kremlin (its aide) butted in while Kyiv waited.\nHowever, even  as it stood"
    )
    expected = [",", ";", " but", "(", ")", " while", ".", "\n", ",", " even  as"]
    for regex, subject in (
        (finder._clause_re, text),
        (finder._clause_re_lower, text.lower()),
    ):
        assert [m.group().lower() for m in regex.finditer(subject)] == expected
