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
_TOKEN = re.compile(
    r"(?=[A-Z])(?:Mr|Mrs|Ms|Dr|Sen|Rep|Reps|Gov|Gen|Lt|Col|Capt|Cmdr|Adm|Sgt|Maj|St|Jr|Sr|Rev"
    r"|Prof|Fr|Sens|Messrs|Mt|Ft|No|[A-Z])\.(?=\s|,)"
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


def tokenize(text: str, start: int, end: int) -> list[Token]:
    pairs: list[tuple[str, str]] = _SPACED_TOKEN.findall(text, start, end)
    if not pairs:
        return []
    # One lower() for all words (tokens never contain spaces, so split() undoes the join);
    # ’ folded to ' in the lower form, so word lists need one spelling ("he's").
    lowered = " ".join(map(_second, pairs)).lower()
    if "’" in lowered:
        lowered = lowered.replace("’", "'")
    out: list[Token] = []
    append = out.append
    pos = start
    for (space, word), lower in zip(pairs, lowered.split(" "), strict=True):
        begin = pos + len(space)
        size = len(word)
        pos = begin + size
        # Punctuation tokens are single characters: a longer token is a word.
        append(Token(begin, pos, word, lower, size > 1 or word.isalnum() or word == "_"))
    return out


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
