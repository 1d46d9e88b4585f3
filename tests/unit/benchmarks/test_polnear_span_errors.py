"""The --spans table of benchmarks/polnear_errors.py: how a source or cue span differs."""

from __future__ import annotations

from benchmarks.polnear_errors import span_difference


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


TEXT = (
    "The union's lawyer, Ana Ruiz, who filed the suit, said on Monday that the board and the"
    " mayor had ignored the ruling. He called it unfair."
)


def test_longer_side_and_end_and_what_differs() -> None:
    gold = _span(TEXT, "The union's lawyer, Ana Ruiz")
    longer = _span(TEXT, "The union's lawyer, Ana Ruiz, who filed the suit")
    assert span_difference(TEXT, longer, gold) == "predicted longer at the end: a relative clause"
    assert span_difference(TEXT, _span(TEXT, "Ana Ruiz"), gold) == (
        "gold longer at the start: a possessive"
    )
    article = _span(TEXT, "union's lawyer, Ana Ruiz")
    assert span_difference(TEXT, article, gold) == "gold longer at the start: an article"
    comma = _span(TEXT, "The union's lawyer, Ana Ruiz,")
    assert span_difference(TEXT, comma, gold) == "predicted longer at the end: punctuation '|,'"


def test_another_phrase_none_and_shifted() -> None:
    he = _span(TEXT, "He")
    ruiz = _span(TEXT, "Ana Ruiz")
    assert span_difference(TEXT, he, ruiz) == "another phrase: a pronoun predicted"
    assert span_difference(TEXT, ruiz, he) == "another phrase: a pronoun in gold"
    assert span_difference(TEXT, None, ruiz) == "none predicted"
    board = _span(TEXT, "the board and the")
    mayor = _span(TEXT, "and the mayor")
    assert span_difference(TEXT, board, mayor) == "shifted"
