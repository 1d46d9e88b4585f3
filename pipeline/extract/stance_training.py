"""Training the trigger stance model (``stance_model.py``) from annotated triggers.

    parley train triggers --gold tests/fixtures/triggers/dev.jsonl        # writes the model
    parley train triggers --gold … --cross-validate                       # compare with rules

The examples are the triggers the rules find in the annotated documents but leave undecided
(neutral, with no predicate, negation or outcome word: ``TriggerFinder.candidates``) that
overlap a gold trigger of the same category; the label is that gold trigger's stance.  Rule
triggers with no such gold trigger are not examples: the model only decides the stance the
rules left open, it does not find, drop or overrule triggers.

scikit-learn's ``LogisticRegression`` (lbfgs, L2, a fixed seed) learns the weights; features
seen in fewer than ``MIN_COUNT`` examples are left out.  Training is deterministic: the same
documents give the same file.  scikit-learn is needed here only (``pip install
'parley[train]'``), never when extracting.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.extract import lexicon
from pipeline.extract.model import Trigger
from pipeline.extract.stance_model import StanceModel
from pipeline.extract.triggers import TriggerFinder

SEED = 14
C = 0.1
MIN_COUNT = 2
#: A category with fewer examples keeps the rules' stance.
MIN_CATEGORY_EXAMPLES = 10
DECIMALS = 5


@dataclass(frozen=True, slots=True)
class Example:
    document: int
    category: str
    features: list[str]
    label: str
    rule_stance: str


def read_documents(paths: Iterable[Path]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            docs += [json.loads(line) for line in fh if line.strip()]
    return docs


def rule_finder(language: str) -> TriggerFinder:
    """The language's trigger rules without a stance model."""
    return TriggerFinder(lexicon.load(f"triggers.{language}.yaml"))


def examples(docs: Sequence[dict[str, Any]], finder: TriggerFinder) -> list[Example]:
    out: list[Example] = []
    for i, doc in enumerate(docs):
        if doc.get("language", finder.language) != finder.language:
            continue
        for trig, feats in finder.candidates(doc["text"]):
            gold = _best_gold(trig, doc["triggers"])
            if gold is not None:
                out.append(Example(i, trig.category, feats, str(gold["stance"]), trig.stance))
    return out


def _best_gold(trig: Trigger, gold: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    best: dict[str, Any] | None = None
    best_overlap = 0
    for g in gold:
        if g["category"] != trig.category:
            continue
        overlap = min(g["end"], trig.end) - max(g["start"], trig.start)
        if overlap > best_overlap:
            best, best_overlap = g, overlap
    return best


def train(data: Sequence[Example], c: float = C, seed: int = SEED) -> StanceModel:
    """Multinomial logistic regression over binary features."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    counts = Counter(f for ex in data for f in set(ex.features))
    vocabulary = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    column = {f: j for j, f in enumerate(vocabulary)}
    rows: list[int] = []
    cols: list[int] = []
    for i, ex in enumerate(data):
        for j in sorted({column[f] for f in ex.features if f in column}):
            rows.append(i)
            cols.append(j)
    x = csr_matrix(([1.0] * len(rows), (rows, cols)), shape=(len(data), len(vocabulary)))
    labels = [ex.label for ex in data]
    clf = LogisticRegression(C=c, max_iter=5000, random_state=seed)
    clf.fit(x, labels)
    classes = [str(k) for k in clf.classes_]
    coef = clf.coef_
    intercept = clf.intercept_
    if len(classes) == 2:  # binary: sklearn keeps one row, for the second class
        coef = [[-w for w in coef[0]], list(coef[0])]
        intercept = [-intercept[0], intercept[0]]
    weights: dict[str, tuple[float, ...]] = {}
    for j, f in enumerate(vocabulary):
        row = tuple(round(float(coef[k][j]), DECIMALS) for k in range(len(classes)))
        if any(row):
            weights[f] = row
    bias = tuple(round(float(b), DECIMALS) for b in intercept)
    per_category = Counter(ex.category for ex in data)
    categories = frozenset(c for c, n in per_category.items() if n >= MIN_CATEGORY_EXAMPLES)
    return StanceModel(tuple(classes), bias, weights, categories)  # type: ignore[arg-type]


def cross_validate(
    data: Sequence[Example], c: float = C, folds: int = 5, seed: int = SEED
) -> dict[str, float]:
    """Stance accuracy of the rules and of the model on held-out documents (folds by
    document)."""
    documents = sorted({ex.document for ex in data})
    random.Random(seed).shuffle(documents)
    fold_of = {d: i % folds for i, d in enumerate(documents)}
    model_right = rules_right = 0
    for k in range(folds):
        train_part = [ex for ex in data if fold_of[ex.document] != k]
        test_part = [ex for ex in data if fold_of[ex.document] == k]
        if not train_part or not test_part:
            continue
        model = train(train_part, c, seed)
        model_right += sum(
            (model.predict(ex.features) if ex.category in model.categories else ex.rule_stance)
            == ex.label
            for ex in test_part
        )
        rules_right += sum(ex.rule_stance == ex.label for ex in test_part)
    n = len(data)
    return {
        "examples": n,
        "rules_accuracy": rules_right / n if n else 0.0,
        "model_accuracy": model_right / n if n else 0.0,
    }


def write(model: StanceModel, path: Path, sources: list[str], n: int, c: float) -> None:
    meta = {
        "about": "trigger stance model; trained by `parley train triggers` "
        "(pipeline/extract/stance_training.py)",
        "trained_on": sources,
        "examples": n,
        "c": c,
        "seed": SEED,
        "min_count": MIN_COUNT,
        "min_category_examples": MIN_CATEGORY_EXAMPLES,
    }
    path.write_text(json.dumps(model.to_dict(**meta), ensure_ascii=False) + "\n", "utf-8")
