"""Whether talks concern an armed conflict (docs/trigger-annotation.md, section 1).

Wage talks between dockers and employers, a tariff truce or a trade deal use the words of a
peace process (talks, mediator, truce, walked away, a revised proposal) and are no trigger.
Such a story names its own subject again and again (wages, tariffs, workers, imports) and a
war at most once, in passing or as a figure of speech ("a ceasefire on the docks", "tariff
wars have no winners"): the text is then out of scope.  But an economy or markets story can
still carry one paragraph on a war's talks ("Russia remains open to talks on the exchange of
prisoners", a Kremlin spokesman said): a sentence that shows an armed conflict by itself —
troops, shelling, prisoners, a party or a place of a war — keeps its triggers in any text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import Any


class Scope:
    """A language's words for the two kinds of subject (the ``scope`` of its trigger lexicon).

    A plain class rather than a dataclass: the dataclass machinery compiles each generated
    method separately at import (~1 M instructions each, in every process); never compared,
    printed or assigned to after construction."""

    __slots__ = ("conflict", "evidence", "min_other", "other", "other_per_conflict", "parties")

    def __init__(
        self,
        other: tuple[tuple[str, tuple[str, ...]], ...],
        conflict: re.Pattern[str],
        evidence: re.Pattern[str],
        parties: re.Pattern[str],
        min_other: int,
        other_per_conflict: int,
    ) -> None:
        # Lower-case stems of words of trade, labour and economic talks, counted as
        # substrings of the lower-cased text: every article with a strong head is counted,
        # and a substring count costs a fraction of a regex scan.  Stems of several words are
        # grouped under their first ("trade " for "trade deal", "trade war" …), counted only
        # where that one occurs.
        self.other = other
        # Whole words of armed conflict (war, troops, shelling, hostages, ceasefire …),
        # matched on the lower-cased text with a space before it.
        self.conflict = conflict
        # What shows an armed conflict in one sentence by itself: the conflict words less
        # those a figure of speech or a business story uses too (ceasefire, peace, crisis) …
        self.evidence = evidence
        # … and a party or a place of a war, in a sentence without a business word ("talks
        # with Kyiv on the grain corridor", not "talks on buying Russian oil and gas").
        self.parties = parties
        # Out of scope: at least ``min_other`` other-subject words and at least
        # ``other_per_conflict`` of them for each conflict word.
        self.min_other = min_other
        self.other_per_conflict = other_per_conflict

    @classmethod
    def from_lexicon(
        cls, data: Any, whole_words: Callable[[list[str]], re.Pattern[str]]
    ) -> Scope | None:
        """The ``scope`` section of a trigger lexicon, its word lists compiled by
        ``whole_words`` (lower-case patterns, to match on " " + the lower-cased text); None
        when the language has none."""
        if not data:
            return None
        conflict = [str(p).lower() for p in data["conflict"]]
        figurative = {str(p).lower() for p in data.get("figurative") or []}
        evidence = [p for p in conflict if p not in figurative]
        grouped: dict[str, list[str]] = {}
        for stem in (str(w).lower() for w in data["other"]):
            # A leading space marks a word start (" oil", not "soil").
            inner = stem.find(" ", 1)
            grouped.setdefault(stem[: inner + 1] if inner > 0 else stem, []).append(stem)
        return cls(
            tuple(
                (first, tuple(stems) if stems != [first] else ())
                for first, stems in grouped.items()
            ),
            whole_words(conflict),
            whole_words(evidence),
            whole_words([str(p).lower() for p in data.get("parties") or []]),
            int(data.get("min_other", 5)),
            int(data.get("other_per_conflict", 4)),
        )


def out_of_scope(lowered: str, scope: Scope) -> bool:
    """True when the text (``lowered``: lower-cased) is about trade, labour or other business
    and not about an armed conflict: only its sentences that show a conflict by themselves
    (``conflict_sentences``) can hold triggers."""
    other = 0
    for first, stems in scope.other:
        n = lowered.count(first)
        if n and stems:
            n = 0
            for stem in stems:
                n += lowered.count(stem)
        other += n
    if other < scope.min_other:
        return False
    # Only the rare text with many other-subject words is scanned for conflict words, and
    # only as far as it takes to bring it back into scope.
    enough = other // scope.other_per_conflict + 1
    for conflict, _ in enumerate(scope.conflict.finditer(" " + lowered), 1):
        if conflict >= enough:
            return False
    return True


def conflict_sentences(lowered: str, starts: list[int], scope: Scope) -> set[int]:
    """Indices of the sentences (``starts``: where each begins) of the lower-cased text that
    show an armed conflict by themselves."""
    found: set[int] = set()
    # A match starts at the character before the word: in the text with a space in front,
    # that is where the word starts in the text itself.
    for m in scope.evidence.finditer(" " + lowered):
        found.add(bisect.bisect_right(starts, m.start()) - 1)
    for m in scope.parties.finditer(" " + lowered):
        k = bisect.bisect_right(starts, m.start()) - 1
        if k not in found:
            end = starts[k + 1] if k + 1 < len(starts) else len(lowered)
            if not names_business(lowered[starts[k] : end], scope):
                found.add(k)
    return found


def names_business(sentence: str, scope: Scope) -> bool:
    for first, stems in scope.other:
        if first in sentence and (not stems or any(stem in sentence for stem in stems)):
            return True
    return False
