"""Language of an article: script and function-word heuristics first, py3langid as fallback.

The languages parley has lexicons for are told apart cheaply: Cyrillic text is Ukrainian when
it uses і/ї/є/ґ more than Russian's ы/э/ъ/ё, Latin text is English when English function words
are frequent.  Only other Latin-script (or mixed) text goes to py3langid, on a bounded sample,
because classifying a whole 5 KB article with it costs ~0.8 ms - more than the rest of the
extraction (see benchmarks/bench_extract.py).
"""

from __future__ import annotations

import re

from pipeline.extract.tokens import wordset

_SAMPLE = 800  # enough words for the function-word test; py3langid gets the same sample
_LATIN = re.compile(r"[A-Za-z]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_UK_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RU_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")
_WORD = re.compile(r"[A-Za-z]+")
_EN_FUNCTION_WORDS = wordset(
    """the of and to in is that for on with was as by it he said at from his are be has have
    an were this who whose which not but or they we will would been had their its after
    about than more she her"""
)


def detect_language(text: str, *, hint: str | None = None) -> str | None:
    """ISO 639-1 code of ``text``, or None when there is nothing to go by.

    ``hint`` (the record's declared language) wins when given: feeds know their language.
    """
    if hint:
        return hint.strip().lower().split("-")[0].split("_")[0] or None
    sample = _sample(text)
    if not sample.strip():
        return None
    # Counting every letter is the costly part: without Cyrillic only whether there is any
    # Latin letter matters.
    if _CYRILLIC.search(sample) is None:
        cyrillic = 0
        latin = 1 if _LATIN.search(sample) else 0
    else:
        latin = len(_LATIN.findall(sample))
        cyrillic = len(_CYRILLIC.findall(sample))
    if not latin and not cyrillic and not any(c.isalpha() for c in sample):
        return None  # punctuation, digits, junk: nothing to identify (and no model to load)
    if cyrillic > latin:
        uk = len(_UK_ONLY.findall(sample))
        ru = len(_RU_ONLY.findall(sample))
        if uk > ru:
            return "uk"
        if ru > uk:
            return "ru"
        return _langid(sample) or "ru"
    if latin:
        words = _WORD.findall(sample)
        if words:
            hits = sum(map(_EN_FUNCTION_WORDS.__contains__, map(str.lower, words)))
            # English prose has ~25-35 % function words from this list; other Latin-script
            # languages almost none (a few shared forms like "in", "is", "has").
            if hits / len(words) >= 0.12 and len(words) >= 5:
                return "en"
            if len(words) < 5 and hits:
                return "en"
    return _langid(sample)


def _sample(text: str) -> str:
    if len(text) <= _SAMPLE:
        return text
    # Skip a possible boilerplate head: take the middle of long texts as well.
    half = _SAMPLE // 2
    mid = len(text) // 2
    return text[:half] + " " + text[mid : mid + half]


def _langid(sample: str) -> str | None:
    try:
        import py3langid
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    lang, _ = py3langid.classify(sample)
    return str(lang) if lang else None
