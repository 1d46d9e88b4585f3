"""Word tokens with offsets, and the small closed word classes the attribution rules need.

There is no part-of-speech tagger here (speed budget: ~2 ms per article); noun phrases are
delimited with closed-class words instead - determiners, prepositions, auxiliaries,
conjunctions - which is enough for the subjects and sources of reporting verbs.
"""

from __future__ import annotations

import re
from operator import itemgetter


def wordset(words: str) -> frozenset[str]:
    """A closed word class written as one whitespace-separated string (readable in diffs)."""
    return frozenset(words.split())


# Titles, initials and dotted abbreviations keep their full stop ("Sen.", "J.", "U.S."), so
# that noun phrases are not cut at them.  (Tokenizing is the largest single cost of the
# attribution rules: the titles are only tried before a capital, the word parts never
# backtrack, and the "U.S." full stop is checked after it is seen, not at every word end.)
_TITLES = (
    "Mr|Mrs|Ms|Dr|Sen|Rep|Reps|Gov|Gen|Lt|Col|Capt|Cmdr|Adm|Sgt|Maj|St|Jr|Sr|Rev|Prof|Fr|Sens"
    "|Messrs|Mt|Ft|No"
)
_TOKEN = re.compile(
    rf"(?=[A-Z])(?:{_TITLES}|[A-Z])\.(?=\s|,)"
    r"|\w++(?:[’'&.-]\w++)*+(?:\.(?<=\.\w\.))?"
    r"|[^\w\s]"
)


class Token:
    """A word or punctuation mark.  ``lower`` and ``is_word`` are computed once here because
    the rules test them over and over.  A slotted class rather than a NamedTuple: compiled
    (setup.py) its fields are read directly, ~6 % of the extraction time, and as Python it
    is no slower."""

    __slots__ = ("end", "is_word", "lower", "start", "text")

    def __init__(self, start: int, end: int, text: str, lower: str, is_word: bool) -> None:
        self.start = start
        self.end = end
        self.text = text
        self.lower = lower
        self.is_word = is_word

    @property
    def capitalized(self) -> bool:
        return self.text[0].isupper()


_second = itemgetter(1)
# Every character of a text is whitespace or part of a token, so one ``findall`` of
# (whitespace before, token) pairs gives the offsets by summing lengths, which is cheaper
# than a match object per token.
_SPACED_TOKEN = re.compile(r"(\s*)(" + _TOKEN.pattern + ")")


def tokenize(text: str, start: int, end: int, lowered: str | None = None) -> list[Token]:
    """The tokens of ``text[start:end]``: exactly what ``_TOKEN`` finds there.

    Tokens never contain whitespace, so they are read off the whitespace-separated pieces of
    the span (``str.split`` splits at the same characters as ``\\s``).  A piece of letters
    and digits (``str.isalnum``: ``\\w`` without the underscore) is one word token; pieces of
    words, joiners and punctuation ("said,", "“Russia’s") are read by ``_read_piece``; the
    regex, which costs thousands of instructions per token, only reads what is left (titles,
    initials, "U.S.", "3.5", underscores).

    ``lowered``, when given, is ``text.lower()`` with every character at its offset and no
    capital sigma in ``text`` (``lowered_tokens``): the pieces' lower case is then read off
    it instead of lower-casing them again.
    """
    pieces = text[start:end].split()
    if not pieces:
        return []
    lows = _piece_lowers(pieces, start, end, lowered)
    out: list[Token] = []
    pos = start
    for piece, lower in zip(pieces, lows, strict=True):
        begin = piece_start(text, piece, pos)
        pos = begin + len(piece)
        if piece.isalnum():
            out.append(Token(begin, pos, piece, lower, True))
        elif not _read_piece(begin, piece, out):
            # The lookahead after a title's full stop ("Mr." before a space) needs the
            # character after the piece, and nothing further.
            _regex_tokens(text, begin, min(pos + 1, end), out)
    return out


def tokenize_pieces(text: str, end: int, pieces: list[str], begins: list[int]) -> list[Token]:
    """``tokenize(text, start, end, lowered)`` given what it would split off first: the
    whitespace-separated ``pieces`` of ``text[start:end]`` and their offsets ``begins`` (read
    once for the whole text by the cue scan, ``CueLexicon.find``).

    A piece of letters and digits is lower-cased on its own, which is what any ``lowered``
    has at its offsets (``lowered_tokens``: no capital sigma, whose lower case depends on its
    neighbours) and what lower-casing the joined pieces gives; ``_read_piece`` lower-cases
    the other pieces' words itself.  (Cheaper than slicing and splitting the lower-cased
    span, whose pieces for the other pieces were never read.)"""
    out: list[Token] = []
    for k in range(len(pieces)):
        piece = pieces[k]
        begin = begins[k]
        pos = begin + len(piece)
        if piece.isalnum():
            out.append(Token(begin, pos, piece, piece.lower(), True))
        elif not _read_piece(begin, piece, out):
            _regex_tokens(text, begin, min(pos + 1, end), out)
    return out


def _piece_lowers(pieces: list[str], start: int, end: int, lowered: str | None) -> list[str]:
    """The lower case of each of ``pieces``, the pieces of ``text[start:end]``, with ’ as '."""
    if lowered is not None:
        low = lowered[start:end]
        if "’" in low:
            low = low.replace("’", "'")
        return low.split()
    # One lower() for all pieces: whitespace separates them, so no letter's lower case
    # depends on another piece (the final sigma looks at cased neighbours only).
    low = " ".join(pieces).lower()
    if "’" in low:
        low = low.replace("’", "'")
    return low.split(" ")


def lowered_tokens(text: str, lowered: str | None) -> str | None:
    """``lowered`` (``text.lower()`` at the same offsets, or None) when ``tokenize`` may read
    the lower case of any span's pieces off it: ``text`` has no capital sigma, the one letter
    whose lower case depends on its neighbours (and so may differ between a piece on its own
    and the piece inside the text)."""
    if lowered is None or "\u03a3" in text:
        return None
    return lowered


def piece_start(text: str, piece: str, pos: int) -> int:
    """Where ``piece``, the next piece of ``str.split()`` after ``pos``, starts: only
    whitespace lies between.  Mostly one space or none, told by comparing one character."""
    first = ord(piece[0])
    if ord(text[pos]) == first:
        return pos  # no whitespace before it (a piece is never whitespace)
    if ord(text[pos + 1]) == first:
        return pos + 1  # text[pos] was whitespace, and the piece starts right after it
    return text.find(piece, pos)


#: Characters that join two runs of word characters into one token ("Russia’s", "AT&T").
_JOINERS = "’'&-"
_TITLE_WORDS = frozenset(_TITLES.split("|"))


def word_char(text: str, i: int) -> bool:
    """Whether ``text[i]`` matches ``\\w`` (a letter, a digit or the underscore), without
    making a string of it when it is ASCII."""
    c = ord(text[i])
    if c < 128:
        return 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c == 95
    return text[i].isalnum()


def _read_piece(begin: int, piece: str, out: list[Token]) -> bool:
    """Append the tokens of a whitespace-free ``piece`` that starts at ``begin`` when it is
    made of words (runs of word characters, joined by single ``_JOINERS``) and punctuation
    marks, as ``_TOKEN`` reads it; False (nothing appended) when it needs the regex: an
    underscore, a full stop inside a word ("U.S.", "3.5") or after a possible title or
    initial ("Mr.", "J.", where the regex looks past the piece)."""
    if "_" in piece:
        return False
    n = len(piece)
    # Most such pieces are a word and the mark after it ("said,", "Monday."): read at once,
    # as the loop below would read them.
    last = n - 1
    if last > 0 and not word_char(piece, last) and piece[:last].isalnum():
        word = piece[:last]
        if piece[last] != "." or (last > 1 and word not in _TITLE_WORDS):
            mark_text = piece[last]
            lower = mark_text.lower()
            if lower == "’":
                lower = "'"
            out.append(Token(begin, begin + last, word, word.lower(), True))
            out.append(Token(begin + last, begin + n, mark_text, lower, False))
            return True
    mark = len(out)
    i = 0
    while i < n:
        if not word_char(piece, i):
            mark_text = piece[i]
            lower = mark_text.lower()
            if lower == "’":
                lower = "'"
            out.append(Token(begin + i, begin + i + 1, mark_text, lower, False))
            i += 1
            continue
        j = i + 1
        while j < n:
            if word_char(piece, j):
                j += 1
            elif piece[j] in _JOINERS and j + 1 < n and word_char(piece, j + 1):
                j += 2
            else:
                break
        # A full stop after an initial or a title, or inside a word: the regex decides.
        if j < n and piece[j] == ".":
            initial = j == i + 1
            if initial or (j + 1 < n and word_char(piece, j + 1)) or piece[i:j] in _TITLE_WORDS:
                del out[mark:]
                return False
        word = piece[i:j]
        lower = word.lower()
        if "’" in lower:
            lower = lower.replace("’", "'")
        out.append(Token(begin + i, begin + j, word, lower, True))
        i = j
    return True


def _regex_tokens(text: str, start: int, end: int, out: list[Token]) -> None:
    """Append the tokens ``_TOKEN`` finds in ``text[start:end]``."""
    pairs: list[tuple[str, str]] = _SPACED_TOKEN.findall(text, start, end)
    if not pairs:
        return
    # Tokens never contain spaces, so split() undoes the join; ’ folded to ' in the lower
    # form, so word lists need one spelling ("he's").
    lowered = " ".join(map(_second, pairs)).lower()
    if "’" in lowered:
        lowered = lowered.replace("’", "'")
    pos = start
    for (space, word), lower in zip(pairs, lowered.split(" "), strict=True):
        begin = pos + len(space)
        size = len(word)
        pos = begin + size
        # Punctuation tokens are single characters: a longer token is a word.
        out.append(Token(begin, pos, word, lower, size > 1 or word.isalnum() or word == "_"))


DETERMINERS = wordset(
    """the a an this that these those his her its their our my your some many several any each
    every both all most few no two three four five six seven eight nine ten another other
    such one"""
)
PREPOSITIONS = wordset(
    """of for in on at by with from to about into onto over under after before during since
    between among against within without through via per including like than near"""
)
# Words that cannot be inside the subject noun phrase of a reporting verb: a clause starts or
# a finite verb intervenes.  Walking left from the cue stops here.
CLAUSE_WORDS = wordset(
    """that which whom whose when while because if although though as after before since but so
    where whether why how than then yet or nor unless until once also not never is was are
    were be been being has have had do does did will would can could should may might must
    shall 's there it's he's she's they're we're i'm however meanwhile moreover
    nonetheless nevertheless instead"""
)
PERSONAL_PRONOUNS = frozenset({"he", "she", "they", "i", "we", "it", "you"})
RELATIVE_PRONOUNS = frozenset({"who", "which", "that"})
# Adjunct openers after a cue or a source: "said on Monday", "according to X in a statement".
ADJUNCT_WORDS = wordset(
    """on at during last this late early earlier in after before while when via from to
    yesterday today tonight monday tuesday wednesday thursday friday saturday sunday
    recently later"""
)
TIME_NOUNS = wordset(
    """week weekend month year morning afternoon evening night spring summer fall autumn
    winter time monday tuesday wednesday thursday friday saturday sunday"""
)
WEEKDAYS = wordset("""monday tuesday wednesday thursday friday saturday sunday""")
