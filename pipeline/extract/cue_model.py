"""Keep or drop an attribution cued by a word outside the cue lexicon (a learned model).

Words such as "support", "plans" or "is confident" cue an attribution in some sentences
("Most Republicans support deporting …") and not in most others.  The rules build an
attribution around each of them (``learned_verbs`` in ``data/cues.<lang>.yaml``) and this
logistic-regression model decides from a few facts about it - the word, the words around it,
what kind of speaker and content the rules found - whether it is one.  It is trained on
PolNeAR train (``parley train cues``, ``pipeline/extract/cue_training.py``) and ships as
``data/cue_model.<lang>.json``; without the file, such words cue nothing.

``features`` is the one description of a candidate, for training and for the compiled
extractor alike; scoring is a dictionary lookup per feature.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from pipeline.extract.lexicon import DATA_DIR, load_json

_PRONOUNS = frozenset({"he", "she", "it", "they", "we", "i", "you", "who", "which", "that"})
_QUOTES = "“\"'‘«„`"


def _bucket(n: int) -> str:
    if n <= 2:
        return str(n)
    if n <= 4:
        return "3-4"
    if n <= 8:
        return "5-8"
    if n <= 16:
        return "9-16"
    return "17+"


def _words_before(text: str, pos: int, limit: int) -> str:
    """The last word before ``pos`` (lower case), skipping spaces; "" at a sentence mark."""
    j = pos - 1
    while j >= limit and text[j] == " ":
        j -= 1
    k = j
    while k >= limit and (text[k].isalnum() or text[k] in "'’-"):
        k -= 1
    if k == j:
        return text[j] if j >= limit else "^"
    return text[k + 1 : j + 1].lower()


def _word_after(text: str, pos: int, end: int) -> str:
    j = pos
    while j < end and text[j] == " ":
        j += 1
    if j >= end:
        return "$"
    if text[j] in _QUOTES or text[j] == "”":
        return "<q>"
    k = j
    while k < end and (text[k].isalnum() or text[k] in "'’-"):
        k += 1
    if k == j:
        return text[j]
    return text[j:k].lower()


def _speaker_kind(text: str, start: int, end: int) -> str:
    mention = text[start:end]
    low = mention.lower()
    if low in _PRONOUNS:
        return "pronoun"
    words = mention.split()
    if not words:
        return "none"
    if all(w[:1].isupper() for w in words if w[:1].isalpha()):
        return "name"
    if words[0][:1].isupper() and words[-1][:1].isupper():
        return "titled"
    if low.split()[0] in ("the", "a", "an"):
        return "described"
    return "nominal"


def features(
    text: str,
    cue: tuple[int, int],
    form: str,
    cls: str,
    speaker: tuple[int, int] | None,
    content: tuple[int, int],
    kind: str,
    sentence_start: int,
) -> list[str]:
    """What the model knows about one attribution cued by a learned word."""
    prev = _words_before(text, cue[0], sentence_start)
    nxt = _word_after(text, cue[1], len(text))
    first = _word_after(text, content[0], content[1])
    out = [
        "f=" + form,
        "c=" + cls,
        "k=" + kind,
        "p=" + prev,
        "n=" + nxt,
        "fn=" + form + "|" + nxt,
        "fp=" + form + "|" + prev,
        "cw=" + first,
        "cl=" + _bucket(len(text[content[0] : content[1]].split())),
    ]
    if speaker is None:
        out.append("s=none")
        return out
    sk = _speaker_kind(text, speaker[0], speaker[1])
    out.append("s=" + sk)
    out.append("fs=" + form + "|" + sk)
    out.append("sl=" + _bucket(len(text[speaker[0] : speaker[1]].split())))
    gap = text[speaker[1] : cue[0]] if speaker[1] <= cue[0] else "after"
    out.append("g=" + ("adjacent" if gap.strip() == "" else "after" if gap == "after" else "gap"))
    out.append("h=" + _words_before(text, speaker[1], speaker[0]))
    out.append("ss=" + ("yes" if text[sentence_start : speaker[0]].strip() == "" else "no"))
    return out


class CueModel:
    """Logistic-regression weights and the probability a candidate needs to be kept."""

    def __init__(self, bias: float, weights: dict[str, float], threshold: float) -> None:
        self.bias = bias
        self.weights = weights
        self.threshold = threshold
        # keep when the score reaches the threshold's logit: no exp per candidate
        self._cut = math.log(threshold / (1.0 - threshold))

    def probability(self, feats: list[str]) -> float:
        return 1.0 / (1.0 + math.exp(-self.score(feats)))

    def score(self, feats: list[str]) -> float:
        total = self.bias
        weights = self.weights
        for f in feats:
            w = weights.get(f)
            if w is not None:
                total += w
        return total

    def keep(self, feats: list[str]) -> bool:
        return self.score(feats) >= self._cut

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CueModel:
        threshold = float(data.get("threshold", 0.5))
        if not 0.0 < threshold < 1.0:
            raise ValueError("cue model threshold must be between 0 and 1")
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        return cls(float(data["bias"]), weights, threshold)


@cache
def model_for(language: str) -> CueModel | None:
    """The shipped model of a language (``data/cue_model.<lang>.json``), or None."""
    name = f"cue_model.{language}.json"
    try:
        raw = (DATA_DIR / name).read_text("utf-8")
    except (FileNotFoundError, OSError):
        return None
    return CueModel.from_json(load_json(raw))
