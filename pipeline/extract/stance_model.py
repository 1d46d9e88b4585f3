"""A learned stance for the triggers the rules find: multinomial logistic regression over the
rule's own verdict and the words around the trigger.

The rules (``triggers.py``) find a trigger and judge its stance from a governing predicate,
negation and outcome words in its clause.  Much of what decides a stance in real reporting is
spread over the sentence ("both sides gave a positive assessment of …, which … working out
the modalities for a ceasefire") and cannot be listed; the annotated triggers
(``tests/fixtures/triggers/dev.jsonl``) can teach it.  The model re-decides the stance of each
trigger from:

- the rule's stance and act, the category, and whether a negator was found;
- the words of the trigger, of its left and right context in the sentence, and of the whole
  sentence, each family with its own prefix.

Weights are trained by ``parley train triggers`` (``pipeline/extract/stance_training.py``,
scikit-learn, fixed seed) and shipped as ``data/trigger_stance.<lang>.json``: a bias and one
weight row per feature.  Inference is a few dozen dictionary look-ups per trigger in plain
Python, so neither scikit-learn nor numpy is needed at run time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pipeline.extract.model import STANCES, Stance

#: Words of the left and right context used, nearest first.
CONTEXT_WORDS = 8
_WORD = re.compile(r"[^\W\d_]+")


def features(
    text: str,
    sent_start: int,
    sent_end: int,
    start: int,
    end: int,
    category: str,
    rule_stance: str,
    act: str | None,
) -> list[str]:
    """The features of the trigger ``text[start:end]`` in the sentence ``[sent_start,
    sent_end)``, as the rules judged it."""
    out = [
        f"rule={rule_stance}",
        f"act={act or '-'}",
        f"cat={category}",
        f"cat_rule={category}|{rule_stance}",
    ]
    out += ["t:" + w for w in _words(text, start, end)]
    left = _words(text, sent_start, start)
    right = _words(text, end, sent_end)
    out += ["l:" + w for w in left[len(left) - CONTEXT_WORDS :]]
    out += ["r:" + w for w in right[:CONTEXT_WORDS]]
    out += ["s:" + w for w in sorted({*left, *right})]
    return out


def _words(text: str, start: int, end: int) -> list[str]:
    return [w.lower() for w in _WORD.findall(text, max(0, start), max(start, end))]


@dataclass(frozen=True, slots=True)
class StanceModel:
    """Logistic-regression weights: per class, a bias and a weight per feature."""

    classes: tuple[Stance, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    # The categories it decides: those with enough training examples (others keep the
    # rules' stance).
    categories: frozenset[str] = frozenset()

    def scores(self, feats: list[str]) -> list[float]:
        totals = list(self.bias)
        for f in feats:
            row = self.weights.get(f)
            if row is not None:
                for i, w in enumerate(row):
                    totals[i] += w
        return totals

    def predict(self, feats: list[str]) -> Stance:
        totals = self.scores(feats)
        best = 0
        for i in range(1, len(totals)):
            if totals[i] > totals[best]:
                best = i
        return self.classes[best]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StanceModel:
        classes = tuple(str(c) for c in data["classes"])
        for c in classes:
            if c not in STANCES:
                raise ValueError(f"unknown stance {c!r} in a stance model")
        width = len(classes)
        bias = tuple(float(b) for b in data["bias"])
        weights = {str(k): tuple(float(w) for w in v) for k, v in data["weights"].items()}
        if len(bias) != width or any(len(v) != width for v in weights.values()):
            raise ValueError("stance model rows do not match its classes")
        categories = frozenset(str(c) for c in data.get("categories") or [])
        return cls(classes, bias, weights, categories)  # type: ignore[arg-type]

    def to_dict(self, **meta: Any) -> dict[str, Any]:
        return {
            **meta,
            "categories": sorted(self.categories),
            "classes": list(self.classes),
            "bias": list(self.bias),
            "weights": {k: list(v) for k, v in sorted(self.weights.items())},
        }

    @staticmethod
    def for_language(language: str) -> StanceModel | None:
        return _load(language)


def model_file(language: str) -> str:
    return f"trigger_stance.{language}.json"


@cache
def _load(language: str) -> StanceModel | None:
    path = resources.files("pipeline.extract").joinpath("data").joinpath(model_file(language))
    if not language or not path.is_file():
        return None
    return StanceModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
