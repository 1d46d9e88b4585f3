"""The gazetteer's scan of running text (``Gazetteer.find_mentions``), compiled with the rule
modules (``native.py``): the gazetteer itself is pickled and holds the data classes users see,
so only this loop over a text's tokens is native code.  It runs once for each distinct speaker
span of an article, and as Python it cost about 4 % of the extraction.

The tables come from the gazetteer: first token key -> candidates (keys, case flags, kind,
entity), longest first; the token keys from its cache, or from ``token_key`` for a new token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

#: A candidate name: its token keys, the case each token needs, its kind and the entity.
ScanEntry = tuple[tuple[str, ...], tuple[int, ...], Any, Any]

# Case requirement of a name's token (the gazetteer's _ANY, _CAPITAL, _CAPITALS).
_ANY = 0
_CAPITAL = 1


def scan_mentions(
    text: str,
    token_re: re.Pattern[str],
    scan: dict[str, list[ScanEntry]],
    key_cache: dict[str, str],
    token_key: Callable[[str], str],
    gap_chars: frozenset[str],
) -> list[tuple[int, int, Any, Any]]:
    """(start, end, kind, entity) of every name in ``text``: leftmost-longest,
    non-overlapping, in text order."""
    starts: list[int] = []
    ends: list[int] = []
    words: list[str] = []
    keys: list[str] = []
    for m in token_re.finditer(text):
        start, end = m.span()
        word = text[start:end]
        key = key_cache.get(word)
        if not key:
            # An ASCII word's key is its lower case (as ``token_key`` has it), without a call
            # back into Python: every new word of the text takes this path.
            key = word.lower() if word.isascii() and word.isalnum() else token_key(word)
        starts.append(start)
        ends.append(end)
        words.append(word)
        keys.append(key)
    out: list[tuple[int, int, Any, Any]] = []
    n = len(keys)
    after = 0  # first token not yet covered by a name
    for i in range(n):
        if i < after:
            continue
        bucket = scan.get(keys[i])
        if bucket is None:
            continue  # most words start no name
        for cand_keys, cand_flags, cand_kind, cand_entity in bucket:
            length = len(cand_keys)
            if i + length > n:
                continue
            if length > 1 and not (
                _same_keys(keys, i, cand_keys)
                and _joined(text, starts, ends, words, i, length, gap_chars)
            ):
                continue
            if not _case_ok(words, i, cand_flags):
                continue
            out.append((starts[i], ends[i + length - 1], cand_kind, cand_entity))
            after = i + length
            break
    return out


def _same_keys(keys: list[str], i: int, cand_keys: tuple[str, ...]) -> bool:
    return all(keys[i + k] == cand_keys[k] for k in range(1, len(cand_keys)))


def _joined(
    text: str,
    starts: list[int],
    ends: list[int],
    words: list[str],
    i: int,
    length: int,
    gap_chars: frozenset[str],
) -> bool:
    """Tokens of one name are separated by spaces or hyphens (a line break at most, and a
    dot only after an initial: "J. D. Vance"), never by other punctuation."""
    for j in range(i, i + length - 1):
        gap = text[ends[j] : starts[j + 1]]
        if not gap:
            continue
        if len(gap) > 3 or "\n\n" in gap:
            return False
        if gap[0] == "." and len(words[j]) == 1:
            gap = gap[1:]
        for c in gap:
            if c not in gap_chars:
                return False
    return True


def _case_ok(words: list[str], i: int, flags: tuple[int, ...]) -> bool:
    for offset in range(len(flags)):
        flag = flags[offset]
        if flag == _ANY:
            continue
        word = words[i + offset]
        if flag == _CAPITAL:
            if not word[0].isupper():
                return False
        else:
            for c in word:
                if c.islower():
                    return False
    return True
