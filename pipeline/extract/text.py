"""Paragraphs, sentences and quotation marks, with offsets into the original text.

Nothing here rewrites the text: every span is a pair of indices into the article as given, so
the offsets in the output are the caller's offsets.  All scanning is linear (single regex passes
and index walks) so that 5 MB of text or 10,000 quote marks cost time proportional to their size.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pipeline.extract.tokens import wordset

# Paragraph = text between blank lines or single newlines: feeds and trafilatura emit one
# paragraph per line, PolNeAR uses blank lines.  A quote never continues over a newline unless
# the next paragraph re-opens it (the English multi-paragraph convention, see below).

# A sentence ends at . ! ? … (optionally followed by closing quotes/brackets) before whitespace.
# (``[.!?…][.!?…]*`` rather than ``[.!?…]+``: a pattern that starts with a character class
# lets the regex engine skip from candidate to candidate; one that starts with a repetition
# is tried at every position, which made this scan 5 % of the extraction.)
_SENTENCE_END = re.compile(r"[.!?…][.!?…]*[\"”’»)\]']*(?=\s)")

# Tokens before a full stop that do not end a sentence: titles, initials, month and state
# abbreviations that news text uses constantly.
_ABBREVIATIONS = wordset(
    """mr mrs ms dr prof sen rep gov gen lt col capt cmdr adm sgt maj st jr sr rev fr messrs no
    nos vs etc inc corp co ltd dept univ est approx fig al jan feb mar apr jun jul aug sep
    sept oct nov dec ala ariz ark calif colo conn del fla ga ill ind kan ky la md mass mich
    minn miss mo mont neb nev okla ore pa tenn tex va vt wash wis wyo u.s u.n u.k e.u d.c
    n.y n.j n.h s.c n.c l.a a.m p.m i.e e.g г гг т тт им ул стр"""
)
#: (the same, for code outside this module that asks whether a full stop is part of a word)
ABBREVIATIONS = _ABBREVIATIONS


#: Longer "sentences" are cut: real ones are far shorter, and it bounds per-sentence work.
MAX_SENTENCE_CHARS = 2000

# = ``''|``|["“”„«»‘’‚]``, written to start with one character class so that the regex
# engine skips from candidate to candidate instead of trying every position.
_MARK = re.compile(r"['`\"“”„«»‘’‚](?:(?<=')'|(?<=`)`|(?<!['`]))")
# The characters that every match of _MARK and of _SENTENCE_END starts with (``matches_from``).
_MARK_CHARS = "'`\"“”„«»‘’‚"
_SENTENCE_END_CHARS = ".!?…"
_WORD_CHAR = re.compile(r"\w")


def matches_from(
    regex: re.Pattern[str], firsts: str, text: str, start: int = 0, end: int | None = None
) -> list[re.Match[str]]:
    """``list(regex.finditer(text, start, end))`` for a regex whose every match starts with one
    of the characters ``firsts``: ``str.find`` jumps to the next such character, where the
    regex engine would test each character of the text against its class (~80 instructions a
    character); the regex then decides there, so the matches are the same."""
    stop = len(text) if end is None else end
    following = [text.find(c, start, stop) for c in firsts]
    out: list[re.Match[str]] = []
    pos = start
    while True:
        best = -1
        for k in range(len(following)):
            at = following[k]
            if 0 <= at < pos:
                at = text.find(firsts[k], pos, stop)
                following[k] = at
            if at >= 0 and (best < 0 or at < best):
                best = at
        if best < 0:
            return out
        m = regex.match(text, best, stop)
        if m is None:
            pos = best + 1
        else:
            out.append(m)
            pos = max(m.end(), best + 1)


class Quote(NamedTuple):
    """A quotation: ``open`` is the index of the opening mark, ``end`` is just after the closer.

    ``inner_start``/``inner_end`` delimit the quoted words (without marks).  ``family`` is
    ``double`` (“…”, "…", „…“, ''…''), ``guillemet`` («…») or ``single`` (‘…’).  A quote that
    runs over several paragraphs (each opened, only the last closed) is one Quote whose inner
    span contains the paragraph breaks.  (A NamedTuple because it is built for every pair
    of quote marks and a frozen dataclass is several times slower to construct.)
    """

    open: int
    inner_start: int
    inner_end: int
    end: int
    family: str


# Letters that re.IGNORECASE matches to a different letter than their lower() (dotless ı and
# i, long ſ and s, the Cyrillic letter variants U+1C80-U+1C88 and в д о с т ъ ѣ).
_FOLD_TRAPS = "\u0131\u017f\u1c80\u1c81\u1c82\u1c83\u1c84\u1c85\u1c86\u1c87\u1c88"
_last_lowered: tuple[str, str | None] = ("", "")
_ASCII_BYTES = bytes(range(128))


def bisect_left(a: list[int], x: int) -> int:
    """``bisect.bisect_left`` for a sorted list of ints.  Compiled (setup.py), it compares
    native ints; the C function it replaces compares Python objects, and the call through the
    module attribute cost more than the search (~1,000 instructions a call, ~90,000 calls on
    200 typical articles)."""
    lo = 0
    hi = len(a)
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def bisect_right(a: list[int], x: int) -> int:
    """``bisect.bisect_right`` for a sorted list of ints (see ``bisect_left``)."""
    lo = 0
    hi = len(a)
    while lo < hi:
        mid = (lo + hi) >> 1
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def lowered_for_matching(text: str) -> str | None:
    """``text.lower()``, in which lower-case patterns match case-sensitively what they match
    case-insensitively in ``text``, at the same offsets (the engine can then skip positions by
    their first character, which IGNORECASE prevents); None for the rare text where that does
    not hold: lower() changes a length (İ -> i̇), or IGNORECASE equates letters that lower()
    keeps apart (ı and i, ſ and s).  The last text's is kept: the attribution rules and the
    trigger finder ask for the same article one after the other."""
    global _last_lowered
    last_text, last = _last_lowered
    if text is last_text:
        return last
    if text.isascii():
        out: str | None = text.lower()
    else:
        # Mostly ASCII with a few caseless marks (quotes, dashes, é): lower-casing the UTF-8
        # bytes, which touches only A-Z, gives lower()'s result several times faster than
        # lower(), which maps every character through the Unicode tables.  It does when the
        # characters outside ASCII are all their own lower case (compared together, in a
        # string of only them: each maps to one character, so equality holds per character).
        raw = text.encode("utf-8", "surrogatepass")
        rest = raw.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
        # A substring search per letter: several times cheaper than a regex character class.
        if any(c in rest for c in _FOLD_TRAPS):
            out = None
        elif rest.lower() == rest:
            out = raw.lower().decode("utf-8", "surrogatepass")
        else:
            low = text.lower()
            out = low if len(low) == len(text) else None
    _last_lowered = (text, out)
    return out


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty line, trailing whitespace excluded."""
    out: list[tuple[int, int]] = []
    # The runs between newlines (what ``[^\n]+`` finds), read with str.find, which skips a
    # line at memchr speed where a regex tests every character.
    pos = 0
    n = len(text)
    while pos < n:
        line_end = text.find("\n", pos)
        if line_end < 0:
            line_end = n
        start, end = pos, line_end
        pos = line_end + 1
        while end > start and text[end - 1].isspace():
            end -= 1
        while start < end and text[start].isspace():
            start += 1
        if end > start:
            out.append((start, end))
    return out


def _is_abbreviation(text: str, dot: int, start: int) -> bool:
    """Whether the full stop at ``dot`` closes an abbreviation or an initial, not a sentence."""
    i = dot
    while i > start and (text[i - 1].isalnum() or text[i - 1] == "."):
        i -= 1
    word = text[i:dot].lower()
    if not word:
        return False
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "Donald J. Trump", "F. Kennedy"
    if "." in word and len(word) <= 6:
        return True  # "U.S.", "W.W. Norton", "D.C."
    return word in _ABBREVIATIONS


def sentences(
    text: str, start: int, end: int, protected: list[tuple[int, int]] | None = None
) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` (one paragraph) into sentences.

    ``protected`` spans (quotations) are never split: a three-sentence quote followed by
    ", he said." is one sentence for attribution purposes, which is what the patterns need.
    """
    out: list[tuple[int, int]] = []
    seg_start = start
    prot = protected or []
    pi = 0
    for m in matches_from(_SENTENCE_END, _SENTENCE_END_CHARS, text, start, end):
        cut = m.end()
        while pi < len(prot) and prot[pi][1] <= m.start():
            pi += 1
        # Inside a quotation, unless the full stop is the quote's last character ("“No.” He").
        if pi < len(prot) and prot[pi][0] < m.start() and m.end() < prot[pi][1]:
            continue
        # "U.S. officials said" - only split when the next word starts like a sentence
        # (checked first: it is cheaper than the abbreviation test).
        nxt = cut
        while nxt < end and text[nxt].isspace():
            nxt += 1
        if nxt < end and text[nxt].islower():
            continue
        dot = m.start()
        if (
            text[dot] == "."
            and cut - dot == 1
            and _is_abbreviation(text, dot, seg_start)
            and not (nxt < end and text[nxt] in '“"«')
        ):
            # (a quote opening after "U.S." or "wrote on X." begins a new sentence)
            continue
        out.append((seg_start, cut))
        seg_start = nxt
    if seg_start < end:
        out.append((seg_start, end))
    if any(e - s > MAX_SENTENCE_CHARS for s, e in out):
        out = [piece for s, e in out for piece in _chop(text, s, e)]
    return out


def _chop(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut a run-on "sentence" (no full stops: lists, junk, a 5 MB line) at whitespace into
    pieces of at most MAX_SENTENCE_CHARS, so that per-sentence work stays bounded."""
    out = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        if cut <= start:
            cut = start + MAX_SENTENCE_CHARS
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def _straight_is_opener(text: str, i: int, width: int) -> bool:
    """A straight " opens when it follows a space/start/bracket and precedes a word."""
    before = text[i - 1] if i > 0 else " "
    after = text[i + width] if i + width < len(text) else " "
    if before.isspace() or before in "([{—–-:;/" or i == 0:
        return not after.isspace()
    return False


def find_quotes(text: str) -> list[Quote]:
    """All quotations in ``text`` in document order (outermost only, nested ones skipped).

    One forward scan over the marks.  Unbalanced marks are tolerated: an opener that is not
    closed in its paragraph is dropped, unless the next paragraph opens again with the same
    family (the multi-paragraph quote convention).  A straight " closes an open “, and “ closes
    a „ (German/Ukrainian style), because feeds mix typographic and straight marks.
    """
    quotes: list[Quote] = []
    open_pos = -1  # opening mark of the current outer quote, -1 when none is open
    open_family = ""
    open_mark = ""
    depth = 0  # nesting depth of guillemets inside an open guillemet quote
    checked = 0  # newlines before this index have been checked already (keeps the scan linear)
    for m in matches_from(_MARK, _MARK_CHARS, text):
        i = m.start()
        mark = m.group()
        width = len(mark)
        if open_pos >= 0:
            nl = text.find("\n", checked, i)
            while nl >= 0:
                if not _reopens(text, nl, i, open_family):
                    open_pos = -1
                    break
                nl = text.find("\n", nl + 1, i)
            checked = i
            if (
                open_pos >= 0
                and _at_paragraph_start(text, i)
                and _reopens(text, text.rfind("\n", 0, i), i + 1, open_family)
            ):
                continue  # the re-opening mark of a continued paragraph
        if open_pos < 0:
            family = _opener_family(text, i, mark, width)
            if family:
                open_pos, open_family, open_mark = i, family, mark
                depth = 1
                checked = i
            continue
        if open_family == "guillemet":
            if mark == "«":
                depth += 1
            elif mark == "»":
                depth -= 1
                if depth == 0:
                    quotes.append(Quote(open_pos, open_pos + 1, i, i + 1, "guillemet"))
                    open_pos = -1
        elif open_family == "double":
            if _closes_double(mark, open_mark):
                quotes.append(Quote(open_pos, open_pos + len(open_mark), i, i + width, "double"))
                open_pos = -1
        elif mark in "’‘" and _single_closes(text, i):
            quotes.append(Quote(open_pos, open_pos + 1, i, i + 1, "single"))
            open_pos = -1
        elif _opener_family(text, i, mark, width) == "double":
            # A double quote while a single one is open: the single opener was a stray (or an
            # apostrophe); the double quotation is the one that matters for attribution.
            open_pos, open_family, open_mark = i, "double", mark
            checked = i
    return quotes


def _opener_family(text: str, i: int, mark: str, width: int) -> str:
    if mark in "“„" or mark == "``":
        return "double"
    if mark == '"' or mark == "''":
        return "double" if _straight_is_opener(text, i, width) else ""
    if mark == "«":
        return "guillemet"
    if mark in "‘‚":
        before = text[i - 1] if i > 0 else " "
        return "" if _WORD_CHAR.match(before) else "single"
    return ""


def _closes_double(mark: str, open_mark: str) -> bool:
    if mark == "”":
        return True
    if mark == "“":
        # „…“ closes with “; after a “ opener a second “ is usually a new (re)opening.
        return open_mark == "„"
    return mark in ('"', "''")


def _single_closes(text: str, i: int) -> bool:
    after = text[i + 1] if i + 1 < len(text) else " "
    return not _WORD_CHAR.match(after)


def _at_paragraph_start(text: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and text[j] in " \t\r":
        j -= 1
    return j < 0 or text[j] == "\n"


def _reopens(text: str, nl: int, limit: int, family: str) -> bool:
    """Whether the paragraph after the newline at ``nl`` starts by re-opening ``family``."""
    j = nl
    n = len(text)
    while j < n and text[j].isspace():
        j += 1
    if j >= n or j > limit:
        return False
    if family == "double":
        return text[j] in '“"„' or text.startswith(("''", "``"), j)
    if family == "guillemet":
        return text[j] == "«"
    return text[j] == "‘"


# "— Мы готовы к переговорам, — заявил Песков.": a paragraph that opens with a dash is direct
# speech up to the ", —" (or "! —", "? —", "… —") that introduces the attribution.
_DASH_SPEECH = re.compile(
    r"^[ \t]*([—–])[ \t\u00a0]+(\S[^\n]*?[,!?…])[ \t\u00a0]+[—–][ \t\u00a0]", re.M
)


def find_dash_quotes(text: str) -> list[Quote]:
    """Dash-introduced direct speech (Russian/Ukrainian typography), as quotes whose "marks"
    are the opening dash and the punctuation before the attribution's dash."""
    out = []
    for m in _DASH_SPEECH.finditer(text):
        inner_start, inner_end = m.start(2), m.end(2)
        out.append(Quote(m.start(1), inner_start, inner_end, inner_end, "dash"))
    return out


def merge_quotes(a: list[Quote], b: list[Quote]) -> list[Quote]:
    """Both lists in document order, dropping quotes that overlap an earlier one."""
    out: list[Quote] = []
    for q in sorted(a + b, key=lambda q: q.open):
        if out and q.open < out[-1].end:
            continue
        out.append(q)
    return out
