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
