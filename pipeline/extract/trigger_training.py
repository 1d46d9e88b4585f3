"""Training the trigger model (``trigger_model.py``) from annotated triggers.

    parley train triggers   # dev parts of tests/fixtures/triggers and tests/fixtures/wire
    python -m benchmarks.eval_triggers --cross-validate                   # 5-fold estimate

The examples are the candidates the rules find in the annotated documents
(``TriggerFinder.candidates``).  A candidate the keep model decides (a bare mention of a head
the rules do not trust everywhere: ``Candidate.judged_by_model``) that overlaps a gold
trigger of its category is a *keep* example, any other a *drop* example.  The candidates that
overlap a gold trigger of their category and whose stance the rules leave undecided are the
stance examples, labelled with that gold trigger's stance (positive or neutral).

scikit-learn's ``LogisticRegression`` (lbfgs, L2, a fixed seed) learns both models; features
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
from pipeline.extract.trigger_model import LinearModel, TriggerModel
from pipeline.extract.triggers import TriggerFinder

SEED = 14
KEEP_C = 0.3
STANCE_C = 0.3
#: How much more sure than even (log-odds) the keep model must be to drop a candidate the
#: rules keep: a margin of 2 lets it overrule them only at 88 %.  What it learns to drop is
#: much of one source's habits (which meetings its writers report in passing): with no margin
#: a model trained on the Kremlin dev set drops 233 triggers of the right category from the
#: wire dev set that the rules keep (docs/triggers.md, thirteenth round).  Adding a candidate
#: the rules drop stays as easy as it was: that is where the rules know least.
KEEP_MARGIN = 2.0
MIN_COUNT = 2
#: The stance model decides a category's undecided candidates only when, on held-out documents
#: (``GATE_FOLDS`` folds of the training documents), it gets more of them right than the rules'
#: neutral would, and the category has at least ``MIN_CATEGORY_EXAMPLES`` examples (fewer make
#: the held-out gain a coin toss).  This replaced a floor alone, which each new draw of the wire
#: set crossed for security guarantees (31, 46, 51, 65 examples).
MIN_CATEGORY_EXAMPLES = 30
GATE_FOLDS = 5
#: Categories whose stance stays the rules' whatever the gate says.  Security guarantees pass
#: it with the sixth wire draw (65 examples, +10 held-out), but the seed article's gold calls
#: the guarantees a leader wants neutral where the wire annotators call them positive, and the
#: model trained on the wire copy follows the wire annotators; with the rules' stance the
#: 5-fold estimate is the same (seeds 14-16: wire dev 1,413.7 against 1,412.7 of 2,709,
#: Kremlin dev 474.3 against 473.7 of 715).
RULES_KEEP_STANCE = frozenset({"security_guarantees"})
#: How much more the words must favour another stance than neutral (log-odds).
NEUTRAL_MARGIN = 0.1
STANCE_CLASSES = ("neutral", "positive")
DECIMALS = 5


@dataclass(frozen=True, slots=True)
class Example:
    document: int
    category: str
    keep_features: list[str]
    stance_features: list[str]
    keep: bool
    #: The gold stance (of a kept candidate), else "".
    stance: str
    rule_keep: bool
    rule_stance: str
    #: Whether the rules left its stance undecided (the stance model decides it).
    undecided: bool
    #: Whether the keep model decides it (a keep example).
    judged_by_model: bool


def read_documents(paths: Iterable[Path]) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            docs += [json.loads(line) for line in fh if line.strip()]
    return docs


def rule_finder(language: str) -> TriggerFinder:
    """The language's trigger rules without a model."""
    return TriggerFinder(lexicon.load(f"triggers.{language}.yaml"))


def examples(docs: Sequence[dict[str, Any]], finder: TriggerFinder) -> list[Example]:
    out: list[Example] = []
    for i, doc in enumerate(docs):
        if doc.get("language", finder.language) != finder.language:
            continue
        for trig, cand, keep_feats, stance_feats in finder.candidates(doc["text"]):
            gold = _best_gold(trig, doc["triggers"])
            out.append(
                Example(
                    i,
                    trig.category,
                    keep_feats,
                    stance_feats,
                    gold is not None,
                    str(gold["stance"]) if gold is not None else "",
                    cand.rule_keep,
                    cand.rule_stance,
                    cand.undecided,
                    cand.judged_by_model,
                )
            )
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


def fit(
    rows: Sequence[list[str]],
    labels: Sequence[str],
    c: float,
    seed: int = SEED,
    *,
    balanced: bool = False,
    intercept: bool = True,
) -> LinearModel:
    """Logistic regression over binary features (multinomial for more than two classes).

    ``balanced`` weights each class inversely to its frequency; without ``intercept`` the
    bias is zero, so a candidate whose features carry no weight gets the first class."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    counts = Counter(f for feats in rows for f in set(feats))
    vocabulary = sorted(f for f, n in counts.items() if n >= MIN_COUNT)
    column = {f: j for j, f in enumerate(vocabulary)}
    ii: list[int] = []
    jj: list[int] = []
    for i, feats in enumerate(rows):
        for j in sorted({column[f] for f in feats if f in column}):
            ii.append(i)
            jj.append(j)
    x = csr_matrix(([1.0] * len(ii), (ii, jj)), shape=(len(rows), len(vocabulary)))
    clf = LogisticRegression(
        C=c,
        max_iter=5000,
        random_state=seed,
        class_weight="balanced" if balanced else None,
        fit_intercept=intercept,
    )
    clf.fit(x, list(labels))
    classes = [str(k) for k in clf.classes_]
    coef = clf.coef_
    bias = list(clf.intercept_) if intercept else [0.0] * len(coef)
    if len(classes) == 2:  # binary: sklearn keeps one row, for the second class
        coef = [[-w for w in coef[0]], list(coef[0])]
        bias = [-bias[0], bias[0]]
    weights: dict[str, tuple[float, ...]] = {}
    for j, f in enumerate(vocabulary):
        row = tuple(round(float(coef[k][j]), DECIMALS) for k in range(len(classes)))
        if any(row):
            weights[f] = row
    return LinearModel(tuple(classes), tuple(round(float(b), DECIMALS) for b in bias), weights)


def train(
    data: Sequence[Example],
    keep_c: float = KEEP_C,
    stance_c: float = STANCE_C,
    seed: int = SEED,
) -> TriggerModel:
    judged = [ex for ex in data if ex.judged_by_model]
    keep = with_rule_margin(
        fit(
            [ex.keep_features for ex in judged],
            ["keep" if ex.keep else "drop" for ex in judged],
            keep_c,
            seed,
        ),
        KEEP_MARGIN,
    )
    # Refusals and failures come from the rules (a predicate, a negation, an outcome word):
    # the few undecided ones (1 in 25) are too few to learn from, so the model chooses
    # between positive and neutral.
    kept = [ex for ex in data if ex.keep and ex.undecided and ex.stance in STANCE_CLASSES]
    # Neutral unless the words say otherwise: no bias (the training documents are mostly
    # supportive official prose, whose prior does not carry over to wire copy), classes
    # weighted by their rarity, and a margin before the words overrule the rules' neutral.
    stance = fit_stance(kept, stance_c, seed)
    return TriggerModel(keep, stance, stance_categories(kept, stance_c, seed), NEUTRAL_MARGIN)


def with_rule_margin(keep: LinearModel, margin: float) -> LinearModel:
    """``keep`` leaning ``margin`` (log-odds) towards keeping what the rules keep: every keep
    example the rules keep carries ``rule_keep=True``, so the margin on that feature's weights
    (half on each class) is a margin at run time, with no change there."""
    if not margin:
        return keep
    weights = dict(keep.weights)
    k = keep.classes.index("keep")
    row = list(weights.get("rule_keep=True", (0.0,) * len(keep.classes)))
    for i in range(len(row)):
        row[i] = round(row[i] + (margin if i == k else -margin) / 2, DECIMALS)
    weights["rule_keep=True"] = tuple(row)
    return LinearModel(keep.classes, keep.bias, weights)


def fit_stance(kept: Sequence[Example], stance_c: float, seed: int) -> LinearModel:
    return fit(
        [ex.stance_features for ex in kept],
        [ex.stance for ex in kept],
        stance_c,
        seed,
        balanced=True,
        intercept=False,
    )


def stance_gains(kept: Sequence[Example], stance_c: float, seed: int) -> Counter[str]:
    """Per category, how many more held-out stance examples the model gets right than a
    constant neutral (5 folds by document, every category trained together as in ``train``)."""
    documents = sorted({ex.document for ex in kept})
    random.Random(seed).shuffle(documents)
    fold_of = {d: i % GATE_FOLDS for i, d in enumerate(documents)}
    gains: Counter[str] = Counter()
    for k in range(GATE_FOLDS):
        rest = [ex for ex in kept if fold_of[ex.document] != k]
        model = fit_stance(rest, stance_c, seed)
        probe = TriggerModel(model, model, frozenset(), NEUTRAL_MARGIN)
        for ex in kept:
            if fold_of[ex.document] == k:
                right = probe.stance_of(ex.stance_features) == ex.stance
                gains[ex.category] += int(right) - int(ex.stance == "neutral")
    return gains


def stance_categories(kept: Sequence[Example], stance_c: float, seed: int) -> frozenset[str]:
    per_category = Counter(ex.category for ex in kept)
    gains = stance_gains(kept, stance_c, seed)
    return frozenset(
        c
        for c, n in per_category.items()
        if n >= MIN_CATEGORY_EXAMPLES and gains[c] > 0 and c not in RULES_KEEP_STANCE
    )


def write(model: TriggerModel, path: Path, sources: list[str], n: int) -> None:
    meta = {
        "about": "trigger keep/drop and stance model; trained by `parley train triggers` "
        "(pipeline/extract/trigger_training.py)",
        "trained_on": sources,
        "examples": n,
        "keep_c": KEEP_C,
        "stance_c": STANCE_C,
        "keep_margin": KEEP_MARGIN,
        "seed": SEED,
        "min_count": MIN_COUNT,
        "min_category_examples": MIN_CATEGORY_EXAMPLES,
    }
    path.write_text(json.dumps(model.to_dict(**meta), ensure_ascii=False) + "\n", "utf-8")
