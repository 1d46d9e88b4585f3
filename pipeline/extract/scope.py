"""Whether a text's talks can concern an armed conflict (docs/trigger-annotation.md, section 1).

Wage talks between dockers and employers, a tariff truce or a trade deal use the words of a
peace process (talks, mediator, truce, walked away, a revised proposal) and are no trigger.
Such a story names its own subject again and again (wages, tariffs, workers, imports) and a
war at most once, in passing or as a figure of speech ("a ceasefire on the docks", "tariff
wars have no winners"); a conflict story with a trade paragraph still names its war, its
troops or its strikes more often than that.  The decision counts both kinds of words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Scope:
    """A language's words for the two kinds of subject (the ``scope`` of its trigger lexicon)."""

    # Lower-case stems of words of trade, labour and economic talks, counted as substrings of
    # the lower-cased text: every article is counted, and a substring count costs a fraction
    # of a regex scan.
    other: tuple[str, ...]
    # Whole words of armed conflict (war, troops, shelling, hostages, ceasefire …), matched
    # on the lower-cased text with a space before it.
    conflict: re.Pattern[str]
    # Out of scope: at least ``min_other`` other-subject words and at least
    # ``other_per_conflict`` of them for each conflict word.
    min_other: int
    other_per_conflict: int

    @classmethod
    def from_lexicon(
        cls, data: Any, whole_words: Callable[[list[str]], re.Pattern[str]]
    ) -> Scope | None:
        """The ``scope`` section of a trigger lexicon, its conflict words compiled by
        ``whole_words`` (lower-case patterns, to match on " " + the lower-cased text); None
        when the language has none."""
        if not data:
            return None
        return cls(
            tuple(str(w).lower() for w in data["other"]),
            whole_words([str(p).lower() for p in data["conflict"]]),
            int(data.get("min_other", 5)),
            int(data.get("other_per_conflict", 4)),
        )


def out_of_scope(lowered: str, scope: Scope) -> bool:
    """True when the text (``lowered``: lower-cased) is about trade, labour or other business
    and not about an armed conflict: none of its talks is a trigger."""
    other = 0
    for stem in scope.other:
        other += lowered.count(stem)
    if other < scope.min_other:
        return False
    # Only the rare text with many other-subject words is scanned for conflict words, and
    # only as far as it takes to bring it back into scope.
    enough = other // scope.other_per_conflict + 1
    for conflict, _ in enumerate(scope.conflict.finditer(" " + lowered), 1):
        if conflict >= enough:
            return False
    return True
