"""The PolNeAR convention adapter of ``benchmarks/eval_polnear.py`` (applied to predictions)."""

from __future__ import annotations

import re

from benchmarks.eval_polnear import relative_to_polnear, source_to_polnear, to_polnear


def _span(text: str, part: str) -> tuple[int, int]:
    m = re.search(rf"\b{re.escape(part)}\b", text)
    assert m is not None
    return m.span()


def test_content_widened_over_quote_marks_and_that() -> None:
    text = "He said that “the talks failed” yesterday."
    start, end = _span(text, "the talks failed")
    assert text[slice(*to_polnear(text, start, end))] == "that “the talks failed”"


def test_content_in_a_relative_clause_starts_at_the_pronoun() -> None:
    text = "Trump backed the bill, which he said was the best hope for reform."
    start = text.index("was the best")
    got = relative_to_polnear(text, start, _span(text, "he"), _span(text, "said"))
    assert text[got:].startswith("which he said was")


def test_relative_pronoun_needs_nothing_but_speaker_and_cue_before_the_content() -> None:
    text = "Trump backed the bill, which he later said in Ohio was the best hope."
    start = text.index("was the best")
    assert relative_to_polnear(text, start, _span(text, "he"), _span(text, "said")) == start
    plain = "The bill, he said, was the best hope."
    start = plain.index("was the best")
    assert relative_to_polnear(plain, start, _span(plain, "he"), _span(plain, "said")) == start
    assert relative_to_polnear(plain, start, None, _span(plain, "said")) == start


def test_appositive_source_takes_its_closing_comma() -> None:
    text = "David Simas, the political director, said the race was close."
    start, end = _span(text, "David Simas, the political director")
    cue = text.index("said")
    assert text[slice(*source_to_polnear(text, start, end, cue))] == (
        "David Simas, the political director,"
    )
