"""Scoring predicted statements against hand-annotated gold: pure functions over plain data.

The measures are those the wire-copy evaluation asks for (`docs/statements.md`, *Wire copy*):

- a gold statement is **found** when a prediction's content overlaps its content by at least
  half of the longer of the two (the attribution rule of `benchmarks/eval_polnear.py`);
  pairs are made one to one, the largest overlaps first;
- a found statement has **the right speaker** when :func:`same_speaker` says so: the same
  person for a person (the last names equal up to transliteration — a similarity ratio of 0.8
  — and the first names' initials compatible: Sergei/Sergey Lavrov, Zelensky/Zelenskyy),
  otherwise no person, the same ``official`` flag, the same country when gold names one, and,
  for a named institution that is not a state's body, its organisation (half of the gold
  name's content words, or its acronym);
- **attribution** P/R/F1 counts a prediction right when it found a gold statement with the
  right speaker: precision over all predicted statements, recall over all gold statements;
- ``official`` and ``country`` agreement over the found statements.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from benchmarks.trigger_scoring import Counts

_STOP = frozenset({"of", "the", "for", "and", "on", "in", "at", "a", "an", "'s"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SpeakerFacts:
    name: str | None = None
    role: str | None = None
    organization: str | None = None
    country: str | None = None
    official: bool | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> SpeakerFacts:
        d = d or {}
        return cls(
            name=d.get("name"),
            role=d.get("role"),
            organization=d.get("organization"),
            country=d.get("country"),
            official=d.get("official"),
        )


@dataclass(frozen=True, slots=True)
class Attribution:
    """A statement reduced to what is scored: its content span and its resolved speaker."""

    start: int
    end: int
    speaker: SpeakerFacts = field(default_factory=SpeakerFacts)
    kind: str = ""
    #: The speaker's mention as the text has it (not scored: shown with the errors).
    mention: str = ""


SPEAKER_KINDS = ("person", "institution or country", "anonymous")


def speaker_kind(facts: SpeakerFacts) -> str:
    """How the gold set groups speakers: named people, institutions and countries, and
    anonymous sources (role ``source``)."""
    if facts.role == "source":
        return "anonymous"
    return "person" if facts.name else "institution or country"


def _words(s: str | None) -> list[str]:
    if not s:
        return []
    plain = unicodedata.normalize("NFKD", s)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return [w.casefold() for w in _WORD.findall(plain)]


def same_person(gold: str, predicted: str | None) -> bool:
    """The same person: last names equal up to transliteration (Zelensky, Zelenskiy,
    Zelenskyy), first names' initials compatible."""
    g, p = _words(gold), _words(predicted)
    if not g or not p or not _same_surname(g[-1], p[-1]):
        return False
    if len(g) == 1 or len(p) == 1:
        return True
    return g[0][0] == p[0][0]


def _same_surname(a: str, b: str) -> bool:
    if a == b:
        return True
    return min(len(a), len(b)) >= 5 and SequenceMatcher(None, a, b).ratio() >= 0.8


def same_organization(gold: str, predicted: str | None) -> bool:
    """Half of the gold name's content words in the prediction, or the same acronym."""
    g = [w for w in _words(gold) if w not in _STOP]
    p = [w for w in _words(predicted) if w not in _STOP]
    if not g or not p:
        return False
    acronym = "".join(w[0] for w in g)
    if len(g) > 1 and (acronym in p or "".join(w[0] for w in p) == acronym):
        return True
    # "Iran"/"Iranian", "Ukraine"/"Ukrainian": a shared stem of five letters is the same word.
    shared = sum(1 for w in g if any(w == q or (len(w) >= 5 and q[:5] == w[:5]) for q in p))
    return shared * 2 >= len(g)


def same_speaker(gold: SpeakerFacts, predicted: SpeakerFacts) -> bool:
    if gold.name:
        return same_person(gold.name, predicted.name)
    if predicted.name:
        return False
    if gold.official is not None and predicted.official != gold.official:
        return False
    if gold.country and predicted.country != gold.country:
        return False
    if gold.official and gold.country:
        # a state speaking: its country and official standing say who; which body of it
        # ("Ministry of Defence of Armenia", "Government of Armenia") is naming convention
        return True
    if gold.organization and gold.role != "source":
        return same_organization(gold.organization, predicted.organization)
    return True


def _overlap(a: Attribution, b: Attribution) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def pair(gold: Sequence[Attribution], predicted: Sequence[Attribution]) -> list[tuple[int, int]]:
    """One-to-one (gold index, predicted index) pairs whose contents overlap by half or more."""
    candidates = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(predicted):
            longer = max(g.end - g.start, p.end - p.start)
            ov = _overlap(g, p)
            if longer > 0 and ov * 2 >= longer:
                candidates.append((-ov, gi, pi))
    candidates.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _, gi, pi in candidates:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        out.append((gi, pi))
    return out


@dataclass(slots=True)
class StatementCounts:
    gold: int = 0
    predicted: int = 0
    found: int = 0
    right_speaker: int = 0
    official_agree: int = 0
    country_agree: int = 0

    def add(self, other: StatementCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @staticmethod
    def _f1(tp: int, pred: int, gold: int) -> dict[str, float]:
        c = Counts(tp, pred, gold)
        return {
            "precision": round(c.precision, 3),
            "recall": round(c.recall, 3),
            "f1": round(c.f1, 3),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "gold": self.gold,
            "predicted": self.predicted,
            "found": self.found,
            "right_speaker": self.right_speaker,
            "official_agree": self.official_agree,
            "country_agree": self.country_agree,
            "found_prf": self._f1(self.found, self.predicted, self.gold),
            "attribution": self._f1(self.right_speaker, self.predicted, self.gold),
        }


def tally(
    gold: Sequence[Attribution],
    predicted: Sequence[Attribution],
    pairs: Sequence[tuple[int, int]],
    only: Callable[[Attribution], bool] | None = None,
) -> StatementCounts:
    """Counts of the gold statements ``only`` selects (all by default) and their pairs."""
    chosen = {i for i, g in enumerate(gold) if only is None or only(g)}
    c = StatementCounts(gold=len(chosen), predicted=len(predicted) if only is None else 0)
    for gi, pi in pairs:
        if gi not in chosen:
            continue
        g, p = gold[gi].speaker, predicted[pi].speaker
        c.found += 1
        c.right_speaker += same_speaker(g, p)
        c.official_agree += g.official == p.official
        c.country_agree += g.country == p.country
    return c


def score_document(
    gold: Sequence[Attribution], predicted: Sequence[Attribution]
) -> tuple[StatementCounts, list[tuple[int, int]]]:
    pairs = pair(gold, predicted)
    return tally(gold, predicted, pairs), pairs


def score(docs: Iterable[tuple[Sequence[Attribution], Sequence[Attribution]]]) -> StatementCounts:
    total = StatementCounts()
    for gold, predicted in docs:
        total.add(score_document(gold, predicted)[0])
    return total
