"""The learned decisions on the trigger candidates the rules find: keep or drop, and stance.

The rules (``triggers.py``) over-generate: every head of the lexicon is a *candidate*, also
the generic contact words ("meeting", "discussed", "efforts") in a story that is not about
talks, and the words that count only in the right company ("terms", "observers").  For each
candidate two linear models decide:

- **keep**: whether it is a trigger at all (binary), from the head's words, how far the rules
  trust it (a word they trust anywhere, one they trust only in a story about its event), what
  governs it, the words around it, and how much the document and the sentence are about the
  peace process (the other heads found there);
- **stance** (positive, negative, neutral) of the candidates the rules leave undecided (no
  predicate that takes a side, no negation, no outcome word: about four in ten), from the
  words of the trigger, its context, its clause (``clause_features``) and its sentence.  A
  stance the rules decided stands: a model that may overrule it scores lower in 5-fold
  cross-validation ("ruled out a ceasefire" must stay negative; docs/triggers.md).

Both are logistic regressions trained by ``parley train triggers``
(``pipeline/extract/trigger_training.py``, scikit-learn, a fixed seed) and shipped as
``data/trigger_model.<lang>.json``: per model a bias and one weight row per feature.
Inference is a few dozen dictionary look-ups per candidate in plain Python, so neither
scikit-learn nor numpy is needed at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pipeline.extract.lexicon import DATA_DIR, load_json
from pipeline.extract.model import STANCES, Stance

#: Words of the left and right context used, nearest first.
CONTEXT_WORDS = 8
#: Words next to the candidate that the keep model sees with their position.
NEAR_WORDS = 3
_WORD = re.compile(r"[^\W\d_]+")
_UNDECIDED_ACTS: frozenset[str | None] = frozenset({None, "engage", "mention"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the rules know about one candidate: where it is and how they judged it."""

    start: int
    end: int
    head_start: int
    head_end: int
    category: str
    #: How far the rules trust the head: "strong" (anywhere), "context" (in a story about
    #: its event), "weak" (with a governor, after a strong head).
    kind: str
    #: Whether the rules alone would report it.
    rule_keep: bool
    rule_stance: str
    act: str | None
    negated: bool
    outcome: str | None
    #: Strong heads of the same category in the document, and of any category in the
    #: sentence (the candidate itself left out).
    doc_category_heads: int
    doc_heads: int
    sentence_heads: int

    @property
    def bare(self) -> bool:
        """Whether the text around it says nothing about it that the rules know: no
        predicate that takes a side, no negation, no outcome word."""
        return self.act in _UNDECIDED_ACTS and not self.negated and self.outcome is None

    @property
    def judged_by_model(self) -> bool:
        """Whether the keep model decides it: a bare mention of a head the rules do not
        trust everywhere ("the meeting", "efforts"); one that something is done with
        ("rejected the demands") is the rules' to keep."""
        return self.kind != "strong" and self.bare

    @property
    def undecided(self) -> bool:
        """Whether its stance is the stance model's: a bare mention whose head has no
        stance of its own."""
        return self.bare and self.rule_stance == "neutral"


def _bucket(n: int) -> str:
    return "0" if n <= 0 else "1" if n == 1 else "2-4" if n <= 4 else "5+"


def features(
    text: str,
    sent_start: int,
    sent_end: int,
    c: Candidate,
    *,
    keep: bool = True,
    stance: bool = True,
    clause: tuple[int, int] | None = None,
    lowered: str | None = None,
) -> tuple[list[str], list[str]]:
    """Features of the keep/drop and of the stance decision about ``c``, in the sentence
    ``[sent_start, sent_end)`` (an empty list for a decision not asked for).  With ``clause``,
    the bounds of the trigger's own clause, the stance features also hold the clause's
    (``clause_features``; ``lowered`` is ``text.lower()`` at the same offsets, or None)."""
    near: tuple[list[str], list[str]] | None = None
    if stance and clause is not None:
        # The sentence read in the same pieces, split at the clause's bounds (breaks between
        # words), so that the clause's words come without reading it again.
        lo, hi = clause
        near = (_words(text, lo, c.start), _words(text, c.end, hi))
        left = _words(text, sent_start, lo) + near[0]
        right = near[1] + _words(text, hi, sent_end)
    else:
        left = _words(text, sent_start, c.start)
        right = _words(text, c.end, sent_end)
    sentence = ["s:" + w for w in sorted({*left, *right})]
    # Where it stands: in the headline (the first line), in a question.
    if text.find("\n", 0, c.start) < 0:
        sentence.append("headline")
    if text[sent_end : sent_end + 1] == "?":
        sentence.append("question")
    keep_feats: list[str] = []
    if keep:
        head = _words(text, c.head_start, c.head_end)
        doc_cat = _bucket(c.doc_category_heads)
        sent = _bucket(c.sentence_heads)
        act = c.act or "-"
        keep_feats = [
            f"kind={c.kind}",
            f"rule_keep={c.rule_keep}",
            f"cat={c.category}",
            f"cat_kind={c.category}|{c.kind}",
            f"act={act}",
            f"cat_act={c.category}|{act}",
            f"doc_cat={doc_cat}",
            f"doc={_bucket(c.doc_heads)}",
            f"sent={sent}",
            f"kind_doc_cat={c.kind}|{doc_cat}",
            f"kind_sent={c.kind}|{sent}",
            f"stance={c.rule_stance}",
        ]
        if head:
            keep_feats += [f"h0={head[0]}", f"h1={head[-1]}", f"h1_sent={head[-1]}|{sent}"]
        keep_feats += [f"l{i}={w}" for i, w in enumerate(reversed(left[-NEAR_WORDS:]))]
        keep_feats += [f"r{i}={w}" for i, w in enumerate(right[:NEAR_WORDS])]
        keep_feats += sentence
    stance_feats: list[str] = []
    if stance:
        # Words only: the model decides where the rules found nothing, and a category's
        # share of positive mentions in the training documents is their style's.
        stance_feats = ["t:" + w for w in _words(text, c.start, c.end)]
        stance_feats += ["l:" + w for w in left[len(left) - CONTEXT_WORDS :]]
        stance_feats += ["r:" + w for w in right[:CONTEXT_WORDS]]
        stance_feats += sentence
        if near is not None and clause is not None:
            stance_feats += clause_features(
                text, lowered, sent_start, sent_end, clause, c, near[0], near[1]
            )
    return keep_feats, stance_feats


_CONTRAST = re.compile(r"(?i)\b(?:but|however|despite|although|though|yet|whereas|even as)\b")
# The same on the lower-cased text, with the word boundary before the match tested apart: a
# pattern that starts with its words lets the engine skip to their first letters.
_CONTRAST_LOWER = re.compile(r"(?:but|however|despite|although|though|yet|whereas|even as)\b")
#: Negators, modals and "if": what makes a mention hypothetical or denied.
_CLAUSE_MARKS = (
    "not",
    "no",
    "never",
    "could",
    "would",
    "may",
    "might",
    "should",
    "must",
    "can",
    "if",
)


# How a plain report places an event, read in the trigger's clause on the lower-cased text:
# a time set for it, a venue, a schedule; and, just before the trigger, a frame that makes it
# the reference of something else ("under the terms of the 2015 agreement", "since the
# ceasefire took effect").  Willingness and progress have their own words; these say that
# the event is only told, which the guidelines call neutral (docs/triggers.md, thirteenth
# round).
_WHEN = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight"
    r"|january|february|march|april|june|july|august|september|october|november|december"
    r"|(?:next|this|last|coming)\s+(?:week|month|days|weeks|round|session)"
    r"|later\s+this"
    r"|[ap]\.m\.|local\s+time|gmt|within\s+(?:\w+\s+)?(?:days|weeks))\b"
)
_SCHEDULE = re.compile(
    r"\b(?:schedul\w*|slated|set\s+(?:for|to)|due\s+(?:to|on|in)|planned\s+for|pencil\w*"
    r"|expected\s+to\s+(?:take\s+place|begin|start|open|last|be\s+held)|date\s+(?:of|for))\b"
)
_VENUE = re.compile(
    r"\b(?:(?:be|been|being|is|are|was|were)\s+held|(?:take|takes|took|taking)\s+place"
    r"|host(?:s|ed|ing)?|venue|in\s+a\s+(?:hotel|palace|villa)|headquarters)\b"
)
_FRAME_BEFORE = re.compile(
    r"\b(?:under|per|according\s+to|since|pursuant\s+to|in\s+(?:line|keeping|accordance)\s+with"
    r"|(?:stipulated|set\s+out|provided\s+for|laid\s+down|enshrined)\s+(?:in|by)"
    r"|(?:terms|points?|clauses?|chapters?|provisions?|articles?|sections?|lines?)\s+of"
    r"|before|after)\s+(?:the\s+|a\s+|an\s+|this\s+|that\s+|its\s+|their\s+)?"
    r"(?:[\w'’-]+\s+){0,3}$"
)
_FRAME_REACH = 48


def _report_marks(lowered: str, lo: int, hi: int, start: int) -> list[str]:
    out = []
    if _WHEN.search(lowered, lo, hi) is not None:
        out.append("rp:when")
    if _SCHEDULE.search(lowered, lo, hi) is not None:
        out.append("rp:schedule")
    if _VENUE.search(lowered, lo, hi) is not None:
        out.append("rp:venue")
    if _FRAME_BEFORE.search(lowered, max(lo, start - _FRAME_REACH), start) is not None:
        out.append("rp:frame")
    return out


def clause_features(
    text: str,
    lowered: str | None,
    sent_start: int,
    sent_end: int,
    clause: tuple[int, int],
    c: Candidate,
    left: list[str],
    right: list[str],
) -> list[str]:
    """Stance features of the trigger's own clause ``clause`` (within the sentence
    ``[sent_start, sent_end)``): its content words on each side of the trigger (``left`` and
    ``right``, read from the clause's start and up to its end), the negators, modals and "if"
    in it, and the contrast words of the sentence with the side of them the trigger is on
    ("the talks resumed, but …" against "… but the talks stalled").  The sentence's words
    alone do not say which of them belong to the trigger's clause.  ``lowered`` is
    ``text.lower()`` at the same offsets, or None."""
    out = ["cl:" + w for w in left]
    out += ["cr:" + w for w in right]
    lo, hi = clause
    if lowered is None:
        found = {w.lower() for w in _WORD.findall(text, lo, hi)}
        out += ["cm:" + w for w in sorted(found.intersection(_CLAUSE_MARKS))]
        for m in _CONTRAST.finditer(text, sent_start, sent_end):
            out.append(("ca:" if m.end() <= c.start else "cb:") + m.group().lower())
        # The clause alone, lowered: the whole text per candidate would make a long text
        # with many triggers quadratic, and its offsets are off where lower() changed a length.
        part = text[lo:hi].lower()
        return out + _report_marks(part, 0, len(part), c.start - lo)
    marks = []
    for w in _CLAUSE_MARKS:
        # As whole words of letters, as ``_WORD`` reads them ("can" of "can't", not of
        # "cannot"); a substring search per word is much cheaper than reading every word.
        i = lowered.find(w, lo, hi)
        while i >= 0:
            j = i + len(w)
            if (i == 0 or not lowered[i - 1].isalpha()) and (
                j >= len(lowered) or not lowered[j].isalpha()
            ):
                marks.append("cm:" + w)
                break
            i = lowered.find(w, j, hi)
    out += sorted(marks)
    for m in _CONTRAST_LOWER.finditer(lowered, sent_start, sent_end):
        i = m.start()
        if i > 0 and (lowered[i - 1].isalnum() or lowered[i - 1] == "_"):
            continue
        out.append(("ca:" if m.end() <= c.start else "cb:") + m.group())
    return out + _report_marks(lowered, lo, hi, c.start)


def _words(text: str, start: int, end: int) -> list[str]:
    """The content words of ``text[start:end]``, lower-cased.  Left out: function words,
    which say nothing about an event and much about a source's style (long official
    sentences, mostly positive in the training data, are full of them), and capitalised
    words, mostly names: "Russia" is no more positive than "Ukraine" outside the training
    documents."""
    out = []
    for w in _WORD.findall(text, max(0, start), max(start, end)):
        if w[0].isupper():
            continue
        if w not in FUNCTION_WORDS:
            out.append(w)
    return out


#: English function words (articles, pronouns, prepositions, conjunctions, auxiliaries).
#: Negators ("not", "no", "never") and modals that soften ("could", "would") are not here:
#: they bear on stance.
FUNCTION_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "they",
        "them",
        "their",
        "he",
        "him",
        "his",
        "she",
        "her",
        "we",
        "us",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "into",
        "about",
        "over",
        "after",
        "before",
        "between",
        "during",
        "under",
        "up",
        "down",
        "out",
        "off",
        "than",
        "then",
        "there",
        "here",
        "and",
        "or",
        "so",
        "if",
        "because",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "while",
        "also",
        "all",
        "above",
        "s",
        "be",
        "is",
        "are",
        "was",
        "were",
        "been",
        "being",
        "am",
        "has",
        "have",
        "had",
        "having",
        "do",
        "does",
        "did",
        "will",
        "shall",
    }
)


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Logistic-regression weights: per class, a bias and a weight per feature."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]

    def scores(self, feats: list[str]) -> list[float]:
        totals = list(self.bias)
        for f in feats:
            row = self.weights.get(f)
            if row is not None:
                for i, w in enumerate(row):
                    totals[i] += w
        return totals

    def predict(self, feats: list[str]) -> str:
        totals = self.scores(feats)
        best = 0
        for i in range(1, len(totals)):
            if totals[i] > totals[best]:
                best = i
        return self.classes[best]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearModel:
        classes = tuple(str(c) for c in data["classes"])
        width = len(classes)
        bias = tuple(float(b) for b in data["bias"])
        weights = {str(k): tuple(float(w) for w in v) for k, v in data["weights"].items()}
        if len(bias) != width or any(len(v) != width for v in weights.values()):
            raise ValueError("model rows do not match its classes")
        return cls(classes, bias, weights)

    def to_dict(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "bias": list(self.bias),
            "weights": {k: list(v) for k, v in sorted(self.weights.items())},
        }


@dataclass(frozen=True, slots=True)
class TriggerModel:
    """The keep/drop and the stance model of one language."""

    keep: LinearModel
    stance: LinearModel
    #: The categories whose stance the model decides (those with enough training examples;
    #: the others keep the rules' stance).
    stance_categories: frozenset[str] = frozenset()
    #: How much higher another stance must score than neutral to be chosen.
    neutral_margin: float = 0.0

    def keeps(self, feats: list[str]) -> bool:
        return self.keep.predict(feats) == "keep"

    def stance_of(self, feats: list[str]) -> Stance:
        totals = self.stance.scores(feats)
        classes = self.stance.classes
        best = 0
        for i in range(1, len(totals)):
            if totals[i] > totals[best]:
                best = i
        if (
            "neutral" in classes
            and totals[best] - totals[classes.index("neutral")] <= self.neutral_margin
        ):
            return "neutral"
        return classes[best]  # type: ignore[return-value]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TriggerModel:
        keep = LinearModel.from_dict(data["keep"])
        if set(keep.classes) != {"keep", "drop"}:
            raise ValueError(f"a keep model decides keep or drop, not {keep.classes}")
        stance = LinearModel.from_dict(data["stance"])
        for c in stance.classes:
            if c not in STANCES:
                raise ValueError(f"unknown stance {c!r} in a trigger model")
        categories = frozenset(str(c) for c in data.get("stance_categories") or [])
        return cls(keep, stance, categories, float(data.get("neutral_margin", 0.0)))

    def to_dict(self, **meta: Any) -> dict[str, Any]:
        return {
            **meta,
            "stance_categories": sorted(self.stance_categories),
            "neutral_margin": self.neutral_margin,
            "keep": self.keep.to_dict(),
            "stance": self.stance.to_dict(),
        }

    @staticmethod
    def for_language(language: str) -> TriggerModel | None:
        return _load(language)


def model_file(language: str) -> str:
    return f"trigger_model.{language}.json"


@cache
def _load(language: str) -> TriggerModel | None:
    path = DATA_DIR / model_file(language)
    if not language or not path.is_file():
        return None
    return TriggerModel.from_dict(load_json(path.read_text(encoding="utf-8")))
