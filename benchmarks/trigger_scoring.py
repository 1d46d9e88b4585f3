"""Scoring predicted triggers against gold triggers: pure functions over plain data.

A predicted trigger *matches* a gold trigger when their character spans overlap and the
fields the mode compares are equal:

- ``span``: overlap only;
- ``category``: overlap and the same category;
- ``full``: overlap, the same category and the same stance (the headline score).

Matching is one-to-one and maximal (each gold and each prediction is used at most once, and
as many pairs as possible are made), per document.  Precision = matched / predicted, recall =
matched / gold.  Per category and per stance the same is computed on the triggers of that
category (or stance) only, in ``full`` mode, so a prediction of the right span with the wrong
stance counts as a miss *and* a false alarm, as in the headline score.

Sentence decisions in the style of CASE 2021 task 2 (AGREEMENT against the rest) are in
:func:`sentence_decisions`: a sentence is positive when a trigger of the chosen categories
overlaps it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MODES = ("span", "category", "full")


@dataclass(frozen=True, slots=True)
class Mention:
    """A trigger reduced to what is scored."""

    start: int
    end: int
    category: str
    stance: str


@dataclass(frozen=True, slots=True)
class Counts:
    tp: int = 0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.predicted + other.predicted, self.gold + other.gold)

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "gold": self.gold,
            "predicted": self.predicted,
            "matched": self.tp,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def _compatible(mode: str) -> Callable[[Mention, Mention], bool]:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; one of {MODES}")

    def ok(g: Mention, p: Mention) -> bool:
        if not (g.start < p.end and p.start < g.end):
            return False
        if mode == "span":
            return True
        if g.category != p.category:
            return False
        return mode == "category" or g.stance == p.stance

    return ok


def match(gold: Sequence[Mention], predicted: Sequence[Mention], mode: str = "full") -> int:
    """The size of a maximum one-to-one matching of ``gold`` and ``predicted`` in ``mode``."""
    return len(matched_pairs(gold, predicted, mode))


def matched_pairs(
    gold: Sequence[Mention], predicted: Sequence[Mention], mode: str = "full"
) -> list[tuple[int, int]]:
    """The (gold index, predicted index) pairs of a maximum one-to-one matching in ``mode``.

    Augmenting paths (Kuhn's algorithm): a document has tens of triggers, so the quadratic
    cost does not matter, and a greedy matching could pair a prediction with the wrong one
    of two overlapping gold triggers and lose a match."""
    ok = _compatible(mode)
    edges = [[j for j, p in enumerate(predicted) if ok(g, p)] for g in gold]
    owner: list[int | None] = [None] * len(predicted)

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            current = owner[j]
            if current is None or augment(current, seen):
                owner[j] = i
                return True
        return False

    for i in range(len(gold)):
        augment(i, set())
    return sorted((i, j) for j, i in enumerate(owner) if i is not None)


def stance_pairs(gold: Sequence[Mention], predicted: Sequence[Mention]) -> list[tuple[int, int]]:
    """Gold and predicted triggers paired by span and category, the pairs that agree in
    stance first (a maximum ``full`` matching), then a maximum ``category`` matching of the
    rest: the triggers found with the right category, each with the stance it was given."""
    full = matched_pairs(gold, predicted, "full")
    used_g = {i for i, _ in full}
    used_p = {j for _, j in full}
    rest_g = [i for i in range(len(gold)) if i not in used_g]
    rest_p = [j for j in range(len(predicted)) if j not in used_p]
    more = matched_pairs([gold[i] for i in rest_g], [predicted[j] for j in rest_p], "category")
    return sorted(full + [(rest_g[a], rest_p[b]) for a, b in more])


def stance_confusion(
    docs: Iterable[tuple[Sequence[Mention], Sequence[Mention]]],
) -> dict[str, dict[tuple[str, str], int]]:
    """Per category (and ``"all"``): how many category-matched triggers (``stance_pairs``)
    have each (gold stance, predicted stance)."""
    out: dict[str, dict[tuple[str, str], int]] = {}
    for gold, predicted in docs:
        for i, j in stance_pairs(gold, predicted):
            key = (gold[i].stance, predicted[j].stance)
            for cat in (gold[i].category, "all"):
                table = out.setdefault(cat, {})
                table[key] = table.get(key, 0) + 1
    return out


def score(
    docs: Iterable[tuple[Sequence[Mention], Sequence[Mention]]], mode: str = "full"
) -> Counts:
    """Counts over documents given as (gold, predicted) pairs."""
    total = Counts()
    for gold, predicted in docs:
        total += Counts(match(gold, predicted, mode), len(predicted), len(gold))
    return total


def score_by(
    docs: Sequence[tuple[Sequence[Mention], Sequence[Mention]]],
    field: str,
    values: Iterable[str],
) -> dict[str, Counts]:
    """``full``-mode counts restricted to the triggers whose ``field`` (``category`` or
    ``stance``) has each of ``values``."""
    if field not in ("category", "stance"):
        raise ValueError(f"cannot group by {field!r}")
    out: dict[str, Counts] = {}
    for value in values:
        out[value] = score(
            (
                [g for g in gold if getattr(g, field) == value],
                [p for p in predicted if getattr(p, field) == value],
            )
            for gold, predicted in docs
        )
    return out


_SENTENCE_END = re.compile(r"[.!?…][\"”’»)]*(?=\s)|\n")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text``: cut after . ! ? … (and closing quotes) before a space, and
    at line breaks; empty pieces are dropped."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if text[start : m.end()].strip():
            out.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def sentence_decisions(
    text: str, mentions: Iterable[Mention], categories: frozenset[str]
) -> list[bool]:
    """For each sentence of ``text``: whether a trigger of ``categories`` overlaps it."""
    spans = [(m.start, m.end) for m in mentions if m.category in categories]
    return [any(s < e2 and s2 < e for s2, e2 in spans) for s, e in sentences(text)]


def binary_counts(gold: Sequence[bool], predicted: Sequence[bool]) -> Counts:
    """Counts of the positive class of two aligned decision lists."""
    if len(gold) != len(predicted):
        raise ValueError("decision lists differ in length")
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g and p)
    return Counts(tp, sum(predicted), sum(gold))
