"""Scans that avoid running a regex at every position find exactly what the regex finds.

The tokenizer reads whitespace-separated pieces and runs its regex only on the pieces that
need it; the cue scan runs the cue regex only where a word starts with a head's first word.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract import language as language_module
from pipeline.extract import mentions as mentions_module
from pipeline.extract import speakers as speakers_module
from pipeline.extract import text as text_module
from pipeline.extract.cues import CueLexicon
from pipeline.extract.tokens import (
    _SPACED_TOKEN,
    lowered_tokens,
    piece_start,
    tokenize,
    tokenize_pieces,
    wordset,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def regex_tokens(text: str, start: int, end: int) -> list[tuple[int, int, str, str, bool]]:
    """The tokens as one ``findall`` of the token regex over ``text[start:end]`` gives them."""
    out = []
    pos = start
    for space, word in _SPACED_TOKEN.findall(text, start, end):
        begin = pos + len(space)
        pos = begin + len(word)
        lower = word.lower().replace("’", "'")
        out.append((begin, pos, word, lower, len(word) > 1 or word.isalnum() or word == "_"))
    return out


def fields(text: str, start: int, end: int) -> list[tuple[int, int, str, str, bool]]:
    return [(t.start, t.end, t.text, t.lower, t.is_word) for t in tokenize(text, start, end)]


# Titles, initials, dotted abbreviations, joiners, apostrophes, underscores, digits, other
# scripts, a dotted capital I whose lower case is two characters, combining marks and the many
# kinds of whitespace.  (No Greek final sigma: compiled with mypyc, str.lower() has no
# final-sigma rule on Python 3.11, so "ΟΔΟΣ" lowers to "οδοσ" there and to "οδος" in Python.)
PIECES = [
    *sorted(
        wordset("""Mr Mrs Dr Sen No J U S said Ω ΟΔΟ İstanbul é e\u0301 Peskov _ x_y 42 3.5 AT
        & T . , ' ’ - — “ ” " ( ) : … ß Ǆ № ٣ 中文 🙂""")
    ),
    *[" ", "  ", "\n", "\t", "\u00a0", "\u2009", "\u3000", "\x1c"],
]


def text_and_window(parts: list[str], data: st.DataObject) -> tuple[str, int, int]:
    """The pieces joined, and a window ``[start, stop)`` drawn inside them."""
    text = "".join(parts)
    start = data.draw(st.integers(0, len(text)))
    return text, start, data.draw(st.integers(start, len(text)))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.data())
def test_same_tokens_as_the_regex(parts: list[str], data: st.DataObject) -> None:
    text, start, end = text_and_window(parts, data)
    assert fields(text, start, end) == regex_tokens(text, start, end)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*PIECES, "ΟΔΟΣ", "Σ"]), max_size=40), st.data())
def test_tokens_read_off_the_lowered_text_are_the_same(
    parts: list[str], data: st.DataObject
) -> None:
    text, start, end = text_and_window(parts, data)
    lowered = lowered_tokens(text, text_module.lowered_for_matching(text))
    with_lowered = [
        (t.start, t.end, t.text, t.lower, t.is_word) for t in tokenize(text, start, end, lowered)
    ]
    assert with_lowered == fields(text, start, end)


def text_pieces(text: str) -> tuple[list[str], list[int]]:
    """The whitespace-separated pieces of ``text`` and their offsets, as the cue scan reads
    them for the tokenizer."""
    pieces = text.split()
    begins = []
    pos = 0
    for piece in pieces:
        pos = piece_start(text, piece, pos)
        begins.append(pos)
        pos += len(piece)
    return pieces, begins


def piece_fields(text: str, start: int, end: int) -> list[tuple[int, int, str, str, bool]]:
    """The tokens of ``text[start:end]`` read off the whole text's pieces (a span that no
    piece crosses)."""
    pieces, begins = text_pieces(text)
    inside = [k for k, b in enumerate(begins) if start <= b < end]
    lo, hi = (inside[0], inside[-1] + 1) if inside else (0, 0)
    toks = tokenize_pieces(text, end, pieces[lo:hi], begins[lo:hi])
    return [(t.start, t.end, t.text, t.lower, t.is_word) for t in toks]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*PIECES, "ΟΔΟΣ", "Σ"]), max_size=40), st.data())
def test_tokens_read_off_the_shared_pieces_are_the_same(
    parts: list[str], data: st.DataObject
) -> None:
    text = "".join(parts)
    # spans that begin and end between pieces, as the sentences whose pieces are shared do
    edges = [
        i
        for i in range(len(text) + 1)
        if i in (0, len(text)) or text[i - 1].isspace() or text[i].isspace()
    ]
    start = data.draw(st.sampled_from(edges))
    end = data.draw(st.sampled_from([e for e in edges if e >= start]))
    lowered = lowered_tokens(text, text_module.lowered_for_matching(text))
    expected = [
        (t.start, t.end, t.text, t.lower, t.is_word) for t in tokenize(text, start, end, lowered)
    ]
    assert piece_fields(text, start, end) == expected


def test_shared_pieces_on_news_text() -> None:
    for text in news_texts():
        assert piece_fields(text, 0, len(text)) == fields(text, 0, len(text))
        for start in range(0, len(text), 97):
            while start > 0 and not (text[start - 1].isspace() or text[start].isspace()):
                start -= 1
            end = min(len(text), start + 240)
            while end < len(text) and not (text[end - 1].isspace() or text[end].isspace()):
                end += 1
            assert piece_fields(text, start, end) == fields(text, start, end)


def test_a_word_and_the_mark_after_it() -> None:
    text = "“No,” said Mr. Peskov on Monday. J. Smith, Gen. Lee and U.S. officials (AP)"
    words = [t.text for t in tokenize(text, 0, len(text))]
    assert words[:4] == ["“", "No", ",", "”"]
    at = words.index("Monday")
    assert words[at : at + 5] == ["Monday", ".", "J.", "Smith", ","]
    assert "Mr." in words and "Gen." in words and "U.S." in words
    assert words[-3:] == ["(", "AP", ")"]


def news_texts() -> list[str]:
    import yaml

    texts = [(FIXTURES / "seed-article.txt").read_text(encoding="utf-8")]
    with (FIXTURES / "polnear_train_slice.jsonl").open(encoding="utf-8") as fh:
        texts += [json.loads(line)["text"] for line in fh if line.strip()]
    cases = yaml.safe_load((FIXTURES / "extract_cases.yaml").read_text(encoding="utf-8"))
    texts += [case["text"] for case in cases["cases"]]
    return texts


def test_same_tokens_on_news_text() -> None:
    for text in news_texts():
        assert fields(text, 0, len(text)) == regex_tokens(text, 0, len(text))
        for start in range(0, len(text), 97):
            end = min(len(text), start + 240)
            assert fields(text, start, end) == regex_tokens(text, start, end)


def test_a_title_keeps_its_full_stop_only_before_a_space_or_comma() -> None:
    text = "Mr. Peskov and Mr.Lavrov met Dr., J. D. Vance, Mr."
    words = [t.text for t in tokenize(text, 0, len(text))]
    assert words[:2] == ["Mr.", "Peskov"]
    assert "Mr.Lavrov" in words and "Dr." in words and "J." in words
    assert words[-2:] == ["Mr", "."]  # the span ends after the stop: nothing follows it


def regex_cues(lex: CueLexicon, text: str, start: int, stop: int) -> list[tuple[int, int]]:
    return [m.span() for m in lex.regex.finditer(text, start, stop)]


def scanned_cues(lex: CueLexicon, text: str, start: int, stop: int) -> list[tuple[int, int]]:
    return [m.span() for m in lex._matches(text, start, stop)]


LEXICONS = {lang: CueLexicon.for_language(lang) for lang in ("en", "ru", "uk")}
CUE_PIECES = [
    *PIECES,
    *sorted(
        wordset("""said Said says told according According to has not didn t saying sai dsaid
        заявил Заявил сказал заявив за is Is was quoted by as in In the words of made it
        clear""")
    ),
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(CUE_PIECES), max_size=40), st.data())
def test_same_cues_as_the_regex(parts: list[str], data: st.DataObject) -> None:
    text, start, stop = text_and_window(parts, data)
    for lex in LEXICONS.values():
        assert lex is not None and lex.first_words is not None
        assert scanned_cues(lex, text, start, stop) == regex_cues(lex, text, start, stop)


def test_heads_after_a_first_word_that_is_no_head_alone() -> None:
    text = "In the words of Smith, he is quoted by the Post as is she; it was quoted as saying."
    lex = LEXICONS["en"]
    assert lex is not None
    spans = scanned_cues(lex, text, 0, len(text))
    assert spans == regex_cues(lex, text, 0, len(text))
    found = {text[s:e] for s, e in spans}
    assert {"In the words of", "is quoted by", "was quoted as saying"} <= found


def test_same_cues_on_news_text() -> None:
    found = 0
    for text in news_texts():
        for lex in LEXICONS.values():
            assert lex is not None
            spans = scanned_cues(lex, text, 0, len(text))
            assert spans == regex_cues(lex, text, 0, len(text))
            found += len(spans)
    assert found > 100


# Patterns written to start with a character class (so that the regex engine jumps from
# candidate to candidate) and the plain forms they stand for.
_CAP = r"[A-Z][\w’'.&-]*"
_ORG_REST = rf"(?:[ \t]+(?:(?:of|for|on|and|the|de|&)(?![\w’'.&-])|{_CAP})){{0,12}}"
REWRITTEN = {
    "sentence end": (text_module._SENTENCE_END, r"[.!?…]+[\"”’»)\]']*(?=\s)"),
    "organisation": (mentions_module.ORG_NAME, rf"(?<![\w’'.&-]){_CAP}{_ORG_REST}"),
    "acronym": (
        mentions_module._ACRONYM_DEFINITION,
        rf"((?<![\w’'.&-]){_CAP}{_ORG_REST})[ \t]+\(([A-Z][A-Za-z]{{1,7}})\)",
    ),
    "capital": (speakers_module._CAPITAL_WORD, r"(?<![\w’'.-])[A-Z]"),
    "latin word": (language_module._WORD, r"[A-Za-z]+"),
}
REGEX_PIECES = [
    *PIECES,
    *sorted(wordset("""Of of The the Institute IISS (IISS) .” !? ?” ) ] a. A.B. Ab-C""")),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(REGEX_PIECES), max_size=30), st.data())
def test_rewritten_patterns_match_what_their_plain_forms_match(
    parts: list[str], data: st.DataObject
) -> None:
    text = "".join(parts)
    pos = data.draw(st.integers(0, len(text)))
    for name, (pattern, plain_source) in REWRITTEN.items():
        plain = re.compile(plain_source)
        found = [(m.span(), m.groups()) for m in pattern.finditer(text, pos)]
        assert found == [(m.span(), m.groups()) for m in plain.finditer(text, pos)], name
        for method in ("match", "fullmatch", "search"):
            a, b = getattr(pattern, method)(text, pos), getattr(plain, method)(text, pos)
            assert (a and a.span()) == (b and b.span()), (name, method)


def test_head_scan_separator_class_is_not_word_or_hyphen() -> None:
    """The head scan's separator class (an ASCII bitmap first) takes exactly the characters
    of ``[^\\w-]``, over every code point."""
    from pipeline.extract.triggers import _NOT_WORD_CHAR

    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    fast = [m.start() for m in re.finditer(_NOT_WORD_CHAR, everything)]
    plain = [m.start() for m in re.finditer(r"[^\w-]", everything)]
    assert fast == plain


def test_lowered_for_matching_refuses_texts_that_lower_misaligns() -> None:
    assert text_module.lowered_for_matching("He said THAT") == "he said that"
    assert text_module.lowered_for_matching("İstanbul said that") is None  # lower() adds a mark
    assert text_module.lowered_for_matching("The ſtate said that") is None  # IGNORECASE: s
    assert text_module.lowered_for_matching("Bakı said that") is None  # IGNORECASE: i


@given(
    st.text(
        alphabet=st.sampled_from([*"aZ .'-\n’“”—…éÉçÇŽžЖжßİıſ\ud800", "Ω", "Å"]),
        max_size=30,
    )
)
@settings(max_examples=300, deadline=None)
def test_lowered_for_matching_is_lower_where_it_aligns(text: str) -> None:
    # A fresh string each time: the function keeps the last text's answer.
    text = "".join(["X", text])[1:]
    low = text.lower()
    traps = any(c in text for c in "ıſ")
    expected = low if len(low) == len(text) and not traps else None
    assert text_module.lowered_for_matching(text) == expected


def test_lowered_for_matching_on_news_text_with_typographic_marks() -> None:
    text = "“We’re ready,” the Élysée said — Erdoğan’s aide AGREED…"
    assert text_module.lowered_for_matching(text) == text.lower()


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="tThHaAſİıKk чтоЧТОщоЩ-_'’.,\n1", max_size=40),
    st.integers(0, 40),
    st.integers(0, 40),
)
def test_complementizer_scan_in_lowered_text_agrees_with_ignorecase(
    text: str, pos: int, end: int
) -> None:
    """Where a text has a lowered form, the first-letter scan over it says whether a
    complementizer is in reach exactly when the case-insensitive regex over the text does."""
    lowered = text_module.lowered_for_matching(text)
    for language in ("en", "ru", "uk"):
        lex = CueLexicon.for_language(language)
        assert lex is not None and lex.complementizer_lower_re is not None
        if lowered is None:
            continue
        fast = lex.complementizer_lower_re.search(lowered, pos, end) is not None
        plain = lex.complementizer_re.search(text, pos, end) is not None
        assert fast == plain, (language, text, pos, end)


# Sentence ends, closers, quote marks of every family, the doubled `` and '' forms, and text
# around them.
MARK_PIECES = [
    *sorted(set(text_module._MARK_CHARS + text_module._SENTENCE_END_CHARS)),
    *["''", "``", ".”", "?»", "!)", "...", "U.S.", "3.5", "said", "Ω", " ", "\n", "\u00a0"],
]


def spans_of(matches: list[re.Match[str]]) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in matches]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(MARK_PIECES), max_size=40), st.data())
def test_matches_from_finds_what_finditer_finds(parts: list[str], data: st.DataObject) -> None:
    text, start, stop = text_and_window(parts, data)
    for regex, firsts in (
        (text_module._MARK, text_module._MARK_CHARS),
        (text_module._SENTENCE_END, text_module._SENTENCE_END_CHARS),
    ):
        fast = spans_of(text_module.matches_from(regex, firsts, text, start, stop))
        assert fast == spans_of(list(regex.finditer(text, start, stop))), (regex, text)


def test_matches_from_finds_what_finditer_finds_on_news_text() -> None:
    found = 0
    for text in news_texts():
        for regex, firsts in (
            (text_module._MARK, text_module._MARK_CHARS),
            (text_module._SENTENCE_END, text_module._SENTENCE_END_CHARS),
        ):
            fast = spans_of(text_module.matches_from(regex, firsts, text))
            assert fast == spans_of(list(regex.finditer(text)))
            found += len(fast)
    assert found > 100


def test_matches_from_needs_every_first_character_of_the_regex() -> None:
    # The regex decides only where one of ``firsts`` stands: a character left out of them is
    # never a match start, which is what the test above would catch for the real patterns.
    regex = re.compile(r"[ab]c")
    assert spans_of(text_module.matches_from(regex, "ab", "xacbc")) == [(1, 3, "ac"), (3, 5, "bc")]
    assert spans_of(text_module.matches_from(regex, "a", "xacbc")) == [(1, 3, "ac")]


def paragraphs_by_regex(text: str) -> list[tuple[int, int]]:
    """Each run of ``[^\\n]+`` with the whitespace at its ends left out."""
    out = []
    for m in re.finditer(r"[^\n]+", text):
        stripped = m.group().strip()
        if stripped:
            start = m.start() + m.group().index(stripped)
            out.append((start, start + len(stripped)))
    return out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab .\n\r\t\u00a0\u2028\x1c“", max_size=40))
def test_paragraphs_are_the_lines_the_regex_finds(text: str) -> None:
    assert text_module.paragraphs(text) == paragraphs_by_regex(text)


def test_paragraphs_on_news_text() -> None:
    for text in news_texts():
        assert text_module.paragraphs(text) == paragraphs_by_regex(text)
