"""Language of an article: script and function-word heuristics first, py3langid as fallback.

The languages parley has lexicons for are told apart cheaply: Cyrillic text is Ukrainian when
it uses і/ї/є/ґ more than Russian's ы/э/ъ/ё, Latin text is English when English function words
are frequent.  Only other Latin-script (or mixed) text goes to py3langid, on a bounded sample,
because classifying a whole 5 KB article with it costs ~0.8 ms - more than the rest of the
extraction (see benchmarks/bench_extract.py).
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from pathlib import Path
from typing import Any

from pipeline.extract.diskcache import cache_dir, load_or_build
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
    identifier = _identifier()
    if identifier is None:  # pragma: no cover - a declared dependency
        return None
    lang, _ = identifier.classify(sample)
    return str(lang) if lang else None


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier, its model read through parley's disk cache.

    py3langid decompresses its 4.5 MB xz model on first use, ~0.4 s in every process that
    meets one text of a language parley does not tell apart itself; unpickling the
    decompressed arrays takes ~0.06 s.  The cache goes through py3langid's own loader and
    constructor; should they change, its plain ``classify`` is used."""
    try:
        import numpy as np
        import py3langid
        from py3langid import langid
        from py3langid.modelio import load_model
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        model = Path(langid.MODEL_DIR) / langid.MODEL_FILE
        stat = model.stat()
        version = getattr(py3langid, "__version__", "?")
        key = hashlib.sha256(
            f"{sys.version}\0{version}\0{model}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
        ).hexdigest()[:32]
        parts = load_or_build(
            cache_dir(),
            "langid",
            key,
            lambda: tuple(load_model(model)),
            lambda cached: isinstance(cached, tuple) and len(cached) == 6,
            keep=2,
        )
        ptc, pc, classes, nextmove, row, output = parts
        return langid.LanguageIdentifier(
            np.asarray(ptc), np.asarray(pc), classes, nextmove, output, tk_row=row
        )
    except Exception:  # noqa: BLE001 - py3langid internals moved: use its own loading
        return _PlainIdentifier()


class _PlainIdentifier:
    def classify(self, sample: str) -> tuple[str, float]:
        import py3langid

        lang, score = py3langid.classify(sample)
        return str(lang), float(score)
