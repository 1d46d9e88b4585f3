"""The extraction result: statements, their speakers and the talks/ceasefire triggers.

These dataclasses are the in-memory form of the "Extraction contract" in DESIGN.md; ``to_dict``
renders exactly that JSON shape.  Offsets are Python string indices into the article text, end
exclusive.  A quote that its attribution splits in two (``"A," he said, "B."``) keeps its parts
in ``Statement.parts``; the contract's single ``quote`` then covers all parts (``start`` of the
first, ``end`` of the last) and its ``text`` is the parts joined by a space, because readers and
alert messages want the words that were said, not the attribution in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

StatementKind = Literal["direct", "indirect", "mixed"]
Stance = Literal["positive", "negative", "neutral"]

#: The fixed trigger vocabulary (DESIGN.md); lexicon files are validated against it.
TRIGGER_CATEGORIES: tuple[str, ...] = (
    "negotiations",
    "ceasefire",
    "peace_plan",
    "agreement",
    "prisoner_exchange",
    "security_guarantees",
    "conflict_end",
)
STANCES: tuple[str, ...] = ("positive", "negative", "neutral")


# Span, Speaker and Trigger are not slotted: orjson encodes a dataclass by its instance dict,
# about seven times faster than by reading slotted fields one by one, and the batch output
# (``ExtractionResult.to_encodable``) is made of them.


@dataclass(frozen=True)
class Span:
    """A piece of the article: ``text == article[start:end]`` unless documented otherwise."""

    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end}

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass
class Speaker:
    """Who is speaking: the mention next to the cue, resolved within the article.

    ``name`` is the person (None for an institution or a medium); ``official`` means the
    speaker acts for a government, a state body or an intergovernmental organisation, and is
    None when nothing is known about the speaker.
    """

    mention: Span | None
    name: str | None = None
    role: str | None = None
    organization: str | None = None
    country: str | None = None
    official: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mention": self.mention.to_dict() if self.mention else None,
            "name": self.name,
            "role": self.role,
            "organization": self.organization,
            "country": self.country,
            "official": self.official,
        }


@dataclass
class Trigger:
    """A phrase about the peace process, with the stance it expresses toward it."""

    category: str
    stance: Stance
    text: str
    start: int
    end: int
    codes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "stance": self.stance,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "codes": list(self.codes),
        }


@dataclass(slots=True)
class Statement:
    """One attribution: a quote (direct, indirect or mixed), its cue and its speaker."""

    kind: StatementKind
    parts: tuple[Span, ...]
    cue: Span | None
    speaker: Speaker
    triggers: list[Trigger] = field(default_factory=list)

    @property
    def quote(self) -> Span:
        first, last = self.parts[0], self.parts[-1]
        if len(self.parts) == 1:
            return first
        return Span(" ".join(p.text for p in self.parts), first.start, last.end)

    def contains(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` lies inside one of the quote's parts."""
        return any(p.start <= start and end <= p.end for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "quote": self.quote.to_dict(),
            "cue": self.cue.to_dict() if self.cue else None,
            "speaker": self.speaker.to_dict(),
            "triggers": [t.to_dict() for t in self.triggers],
        }


@dataclass(slots=True)
class ExtractionResult:
    """Everything found in one article.  ``to_dict`` is the contract's output line minus ``id``."""

    language: str | None
    statements: list[Statement] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "statements": [s.to_dict() for s in self.statements],
            "triggers": [t.to_dict() for t in self.triggers],
        }

    def to_encodable(self) -> dict[str, Any]:
        """``to_dict`` with the spans, speakers and triggers left as the dataclasses they are,
        for an encoder that serialises dataclasses field by field (orjson): their fields are
        exactly their ``to_dict`` keys, in order, and building the nested dicts in Python
        costs several times more than encoding them."""
        return {
            "statements": [
                {
                    "kind": s.kind,
                    "quote": s.quote,
                    "cue": s.cue,
                    "speaker": s.speaker,
                    "triggers": s.triggers,
                }
                for s in self.statements
            ],
            "triggers": self.triggers,
        }
