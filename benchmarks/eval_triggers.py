"""Trigger quality: parley's triggers against hand-annotated gold.

    python -m benchmarks.eval_triggers                       # the test part (the report)
    python -m benchmarks.eval_triggers --gold tests/fixtures/triggers/dev.jsonl
    python -m benchmarks.eval_triggers --json out.json
    python -m benchmarks.eval_triggers --rules-only          # without the learned model
    python -m benchmarks.eval_triggers --cross-validate      # 5-fold on dev, by document
    python -m benchmarks.eval_triggers --by-draw             # also each draw's documents apart
    python -m benchmarks.eval_triggers --cross-validate --stance-confusion [--stance-errors F]
    python -m benchmarks.eval_triggers --cross-validate --spurious F  # predictions off gold
    python -m benchmarks.eval_triggers --cross-source \
        --gold tests/fixtures/wire/dev.jsonl tests/fixtures/triggers/dev.jsonl

Gold: JSON lines ``{"id", "text", "triggers": [{"start", "end", "category", "stance"}, …]}``
(``tests/fixtures/triggers/{dev,test}.jsonl``, guidelines in ``docs/trigger-annotation.md``),
and the seed article (``tests/fixtures/seed-article.gold.json``, phrases located in the text).

Printed (scoring in ``benchmarks/trigger_scoring.py``):
- P/R/F1 of category+stance (the headline), category only and span only;
- category+stance P/R/F1 per category and per stance;
- with ``--by-draw``: the same tables for the documents of each draw of the set
  (``tests/fixtures/triggers/split.json``) apart, so that the first draw's test part stays
  comparable across rounds;
- with ``--cross-validate``: the learned model (``pipeline/extract/trigger_model.py``)
  trained on four fifths of the documents (``--gold``, default the dev part) and on its other
  training sets (``--also-train``, default: the dev parts of the annotated and the wire set
  that are not being scored), and scored on the fifth it did not see, five times, by document
  (needs scikit-learn); the rules alone on the same documents for comparison;
- with ``--cross-source`` (two or more ``--gold`` files): the learned model trained on the
  other files only (and on ``--also-train``, default nothing) and scored on each file, with
  the rules alone on the same documents.  The files are different sources (the wire dev set,
  the Kremlin dev set), so this measures what carries over to another writer's wording;
  5-fold cross-validation within one source flatters what is fitted to that source's style;
- with ``--stance-confusion``: over the triggers found with the right span and category, gold
  stance × predicted stance, per category; ``--stance-errors FILE`` writes those with the
  wrong stance as JSON lines (document, gold and predicted text, both stances, the rules'
  own stance of the same mention, the sentence), for reading;
- CASE 2021 task 2 style sentence decisions, AGREEMENT against the rest, for parley and for
  a plain keyword regex.  Two mappings of a sentence to AGREEMENT:
  ``agreement`` — a trigger of category agreement overlaps the sentence;
  ``acled`` — ACLED's "Agreement" event type, which CASE 2021 task 2 takes its AGREEMENT
  class from: agreements, ceasefires, prisoner exchanges and releases, and peace talks, i.e.
  a trigger of agreement, ceasefire, prisoner_exchange or negotiations.
  Gold decisions come from the gold triggers, parley's from its triggers, the baseline's
  from a keyword match in the sentence.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from benchmarks.trigger_gold_tools import write_jsonl  # noqa: E402
from benchmarks.trigger_scoring import (  # noqa: E402
    MODES,
    Counts,
    Mention,
    binary_counts,
    score,
    score_by,
    sentence_decisions,
    sentences,
    stance_confusion,
    stance_pairs,
)
from pipeline.extract import StatementExtractor  # noqa: E402
from pipeline.extract.model import STANCES, TRIGGER_CATEGORIES  # noqa: E402

if TYPE_CHECKING:
    from pipeline.extract.triggers import TriggerFinder

FIXTURES = ROOT / "tests" / "fixtures"
DEFAULT_GOLD = FIXTURES / "triggers" / "test.jsonl"
#: What the shipped model is trained on (``parley train triggers``): cross-validation on one
#: of them adds the others to every training fold, as the shipped model has them.
TRAINING_GOLD = (FIXTURES / "triggers" / "dev.jsonl", FIXTURES / "wire" / "dev.jsonl")

CASE_MAPPINGS: dict[str, frozenset[str]] = {
    "agreement": frozenset({"agreement"}),
    "acled": frozenset({"agreement", "ceasefire", "prisoner_exchange", "negotiations"}),
}
# The keyword baselines: the words a plain regex would look for, per mapping.
_AGREEMENT_WORDS = r"agree\w*|deals?|accords?|treat(?:y|ies)|memorand\w*|settlements?"
CASE_BASELINES: dict[str, re.Pattern[str]] = {
    "agreement": re.compile(rf"\b(?:{_AGREEMENT_WORDS})\b", re.IGNORECASE),
    "acled": re.compile(
        rf"\b(?:{_AGREEMENT_WORDS}|cease-?fires?|truces?|talks|negotiat\w*|"
        r"(?:prisoner|POW)s?\s+(?:exchanges?|swaps?)|exchanges?\s+of\s+prisoners)\b",
        re.IGNORECASE,
    ),
}

Doc = tuple[list[Mention], list[Mention]]


def read_gold(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def draws() -> list[set[str]]:
    """The document ids of each draw of the annotated set, in the order they were drawn."""
    split = json.loads((FIXTURES / "triggers" / "split.json").read_text(encoding="utf-8"))
    return [set(draw["strata"]) for draw in split["draws"]]


def seed_document() -> dict[str, Any]:
    """The seed article as a gold document (its phrases located in the text)."""
    text = (FIXTURES / "seed-article.txt").read_text(encoding="utf-8")
    gold = json.loads((FIXTURES / "seed-article.gold.json").read_text(encoding="utf-8"))
    triggers = []
    for t in gold["triggers"]:
        start = text.find(t["phrase"])
        if start < 0:
            raise SystemExit(f"seed phrase not in the article: {t['phrase']!r}")
        triggers.append(
            {
                "start": start,
                "end": start + len(t["phrase"]),
                "category": t["category"],
                "stance": t["stance"],
            }
        )
    return {"id": "seed", "text": text, "triggers": triggers}


def mentions(triggers: Sequence[Any]) -> list[Mention]:
    out = []
    for t in triggers:
        if isinstance(t, dict):
            out.append(Mention(t["start"], t["end"], t["category"], t["stance"]))
        else:
            out.append(Mention(t.start, t.end, t.category, t.stance))
    return out


def predict(docs: list[dict[str, Any]], extractor: StatementExtractor) -> list[Doc]:
    out: list[Doc] = []
    for d in docs:
        result = extractor.extract(d["text"], language=d.get("language"))
        out.append((mentions(d["triggers"]), mentions(result.triggers)))
    return out


def cross_validated(
    docs: list[dict[str, Any]],
    extractor: StatementExtractor,
    folds: int = 5,
    also_train: Sequence[dict[str, Any]] = (),
    misses: list[dict[str, Any]] | None = None,
    spurious: list[dict[str, Any]] | None = None,
) -> list[Doc]:
    """Predictions for ``docs``, each made by a model trained on the other folds (and on
    ``also_train``, another set's documents, in every fold).  With ``misses``, the gold
    triggers found with no prediction of their category are added to it, each with the
    reason (``missed``), judged with the model of its fold; with ``spurious``, the
    predictions that overlap no gold trigger (``unmatched``)."""
    from pipeline.extract import trigger_training as tt
    from pipeline.extract.triggers import TriggerFinder

    finder = TriggerFinder.for_language("en")
    if finder is None:
        raise SystemExit("no English trigger lexicon")
    shipped = finder.model
    data = tt.examples([*docs, *also_train], tt.rule_finder("en"))
    order = list(range(len(docs)))
    random.Random(tt.SEED).shuffle(order)
    fold_of = {d: i % folds for i, d in enumerate(order)}
    pairs: list[Doc | None] = [None] * len(docs)
    try:
        for k in range(folds):
            finder.model = tt.train([ex for ex in data if fold_of.get(ex.document, -1) != k])
            held_out = [i for i in range(len(docs)) if fold_of[i] == k]
            for i, pair in zip(
                held_out, predict([docs[i] for i in held_out], extractor), strict=True
            ):
                pairs[i] = pair
                if misses is not None:
                    misses += missed(docs[i], pair, finder)
                if spurious is not None:
                    spurious += unmatched(docs[i], pair, finder)
    finally:
        finder.model = shipped
    return [p for p in pairs if p is not None]


def cross_source(
    sources: Sequence[list[dict[str, Any]]],
    extractor: StatementExtractor,
    also_train: Sequence[dict[str, Any]] = (),
    trainer: Callable[[list[Any]], Any] | None = None,
) -> list[list[Doc]]:
    """Predictions for each of ``sources``' documents, made by a model trained on the other
    sources only (and ``also_train``), none of its own: how the model carries over to another
    source's writers.  ``trainer`` turns training examples into a model (default
    ``trigger_training.train``)."""
    from pipeline.extract import trigger_training as tt
    from pipeline.extract.triggers import TriggerFinder

    finder = TriggerFinder.for_language("en")
    if finder is None:
        raise SystemExit("no English trigger lexicon")
    train = trainer or tt.train
    rules = tt.rule_finder("en")
    # Documents are numbered across the sources, the extra training set last.
    docs = [doc for source in sources for doc in source]
    data = tt.examples([*docs, *also_train], rules)
    source_of: list[int] = [k for k, source in enumerate(sources) for _ in source]
    source_of += [-1] * len(also_train)
    shipped = finder.model
    out: list[list[Doc]] = []
    try:
        for k, source in enumerate(sources):
            finder.model = train([ex for ex in data if source_of[ex.document] != k])
            out.append(predict(list(source), extractor))
    finally:
        finder.model = shipped
    return out


#: Why a gold trigger was not found, in the order they are told apart (``missed``).
MISS_KINDS = (
    "predicted with another category",
    "dropped by the keep model",
    "context head, no strong head of its category in the article",
    "candidate of its category lost otherwise",
    "only a head of another category",
    "weak head without governor or earlier strong head",
    "head in an article or sentence out of scope, or no strong head at all",
    "no head",
)


def missed(doc: dict[str, Any], pair: Doc, finder: TriggerFinder) -> list[dict[str, Any]]:
    """The gold triggers of ``doc`` that no prediction of their category overlaps, each with
    the kind of miss (``MISS_KINDS``): what the rules found there and what became of it.
    ``finder`` is the language's ``TriggerFinder`` with the model that made ``pair``."""
    gold, predicted = pair
    text = doc["text"]
    model = finder.model
    candidates = finder.candidates(text)
    heads = list(finder._scan_heads(text))  # the raw head matches
    spans = sentences(text)
    out: list[dict[str, Any]] = []
    for g in gold:
        if any(p.category == g.category and p.start < g.end and g.start < p.end for p in predicted):
            continue

        def overlaps(start: int, end: int, g: Mention = g) -> bool:
            return start < g.end and g.start < end

        same = [
            (t, c, kf)
            for t, c, kf, _sf in candidates
            if t.category == g.category and overlaps(t.start, t.end)
        ]
        other = [t for t, _c, _kf, _sf in candidates if overlaps(t.start, t.end)]
        raw = [finder._heads[k] for s, e, k in heads if overlaps(s, e)]
        kind = MISS_KINDS[-1]
        if any(overlaps(p.start, p.end) for p in predicted):
            kind = MISS_KINDS[0]
        elif same:
            if any(
                c.judged_by_model and model is not None and not model.keeps(kf)
                for _t, c, kf in same
            ):
                kind = MISS_KINDS[1]
            elif any(not c.rule_keep and not c.judged_by_model for _t, c, _kf in same):
                kind = MISS_KINDS[2]
            else:
                kind = MISS_KINDS[3]
        elif other:
            kind = MISS_KINDS[4]
        elif raw:
            kind = MISS_KINDS[5] if all(h.weak for h in raw) else MISS_KINDS[6]
        sent = next(((s, e) for s, e in spans if s <= g.start < e), (g.start, g.end))
        out.append(
            {
                "id": doc["id"],
                "kind": kind,
                "category": g.category,
                "stance": g.stance,
                "gold_text": text[g.start : g.end],
                "candidates": [
                    f"{t.category}:{c.kind}:{text[c.head_start : c.head_end]}"
                    for t, c, _kf, _sf in candidates
                    if overlaps(t.start, t.end)
                ],
                "sentence": text[sent[0] : sent[1]].strip(),
            }
        )
    return out


def unmatched(doc: dict[str, Any], pair: Doc, finder: TriggerFinder) -> list[dict[str, Any]]:
    """The predictions of ``doc`` that overlap no gold trigger of any category, each with the
    head that made it (category, kind, whether the keep model judged it), whether the same
    head word was predicted earlier in the document, and its sentence (the first sentence is
    usually the headline)."""
    gold, predicted = pair
    text = doc["text"]
    candidates = finder.candidates(text)
    spans = sentences(text)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for p in sorted(predicted, key=lambda m: (m.start, m.end)):
        heads = [
            (c, text[c.head_start : c.head_end].lower())
            for _t, c, _kf, _sf in candidates
            if c.head_start < p.end and p.start < c.head_end
        ]
        words = {w for _c, w in heads}
        repeated = bool(words & seen)
        seen |= words
        if any(p.start < g.end and g.start < p.end for g in gold):
            continue
        k = next((i for i, (s, e) in enumerate(spans) if s <= p.start < e), -1)
        sent = spans[k] if k >= 0 else (p.start, p.end)
        out.append(
            {
                "id": doc["id"],
                "category": p.category,
                "stance": p.stance,
                "predicted_text": text[p.start : p.end],
                "heads": [
                    f"{c.category}:{c.kind}:{'model' if c.judged_by_model else 'rules'}:{w}"
                    for c, w in heads
                ],
                "repeated": repeated,
                "sentence_index": k,
                "sentence": text[sent[0] : sent[1]].strip(),
            }
        )
    return out


def print_misses(name: str, misses: list[dict[str, Any]]) -> None:
    """Counts of the missed gold triggers by kind and category."""
    cats = [c for c in TRIGGER_CATEGORIES if any(m["category"] == c for m in misses)]
    print(f"\n### {name}: gold triggers with no prediction of their category, by kind\n")
    print("| kind | all | " + " | ".join(cats) + " |")
    print("|---|---|" + "---|" * len(cats))
    for kind in (*MISS_KINDS, "all"):
        rows = [m for m in misses if kind in ("all", m["kind"])]
        if not rows:
            continue
        cells = " | ".join(str(sum(m["category"] == c for m in rows)) for c in cats)
        print(f"| {kind} | {len(rows)} | {cells} |")


def case_decisions(docs: list[dict[str, Any]], pairs: list[Doc]) -> dict[str, dict[str, Counts]]:
    """Per mapping: counts of parley and of the keyword baseline against the gold decisions."""
    out: dict[str, dict[str, Counts]] = {}
    for name, categories in CASE_MAPPINGS.items():
        parley = Counts()
        baseline = Counts()
        for d, (gold, predicted) in zip(docs, pairs, strict=True):
            text = d["text"]
            want = sentence_decisions(text, gold, categories)
            parley += binary_counts(want, sentence_decisions(text, predicted, categories))
            keyword = [
                CASE_BASELINES[name].search(text, s, e) is not None for s, e in sentences(text)
            ]
            baseline += binary_counts(want, keyword)
        out[name] = {"parley": parley, "keyword regex": baseline}
    return out


def _row(label: str, c: Counts) -> str:
    return (
        f"| {label} | {c.gold} | {c.predicted} | {c.tp} | "
        f"{c.precision:.2f} | {c.recall:.2f} | **{c.f1:.2f}** |"
    )


def report(name: str, docs: list[dict[str, Any]], pairs: list[Doc]) -> dict[str, Any]:
    print(f"\n## {name}: {len(docs)} documents, {sum(len(g) for g, _ in pairs)} gold triggers\n")
    print("| | gold | predicted | matched | P | R | F1 |\n|---|---|---|---|---|---|---|")
    result: dict[str, Any] = {"documents": len(docs)}
    labels = {"full": "category + stance", "category": "category only", "span": "span only"}
    for mode in reversed(MODES):
        c = score(pairs, mode)
        result[mode] = c.as_dict()
    for mode in ("full", "category", "span"):
        print(_row(labels[mode], _counts(result[mode])))
    for field, values in (("category", TRIGGER_CATEGORIES), ("stance", STANCES)):
        groups = score_by(pairs, field, values)
        result[f"by_{field}"] = {k: v.as_dict() for k, v in groups.items()}
        for value, c in groups.items():
            print(_row(f"{field} {value}", c))
    return result


def print_stance_confusion(name: str, pairs: list[Doc]) -> dict[str, Any]:
    """Gold × predicted stance of the category-matched triggers, per category."""
    tables = stance_confusion(pairs)
    print(f"\n### {name}: stance of the triggers found with the right category\n")
    print("| category | gold \\ predicted | " + " | ".join(STANCES) + " | right |")
    print("|---|---|" + "---|" * len(STANCES) + "---|")
    out: dict[str, Any] = {}
    for cat in ("all", *TRIGGER_CATEGORIES):
        table = tables.get(cat)
        if not table:
            continue
        total = sum(table.values())
        right = sum(n for (g, p), n in table.items() if g == p)
        out[cat] = {f"{g}>{p}": n for (g, p), n in sorted(table.items())}
        for k, g in enumerate(STANCES):
            cells = " | ".join(str(table.get((g, p), 0)) for p in STANCES)
            tail = f"{right}/{total} ({right / total:.2f})" if k == 0 else ""
            print(f"| {cat if k == 0 else ''} | {g} | {cells} | {tail} |")
    return out


def stance_errors(
    docs: list[dict[str, Any]], pairs: list[Doc], rules: list[Doc]
) -> list[dict[str, Any]]:
    """The category-matched triggers with the wrong stance, for reading."""
    out: list[dict[str, Any]] = []
    for d, (gold, predicted), (_, ruled) in zip(docs, pairs, rules, strict=True):
        text = d["text"]
        spans = sentences(text)
        for i, j in stance_pairs(gold, predicted):
            g, p = gold[i], predicted[j]
            if g.stance == p.stance:
                continue
            rule = [
                r.stance
                for r in ruled
                if r.category == p.category and r.start < p.end and p.start < r.end
            ]
            sent = next(((s, e) for s, e in spans if s <= g.start < e), (g.start, g.end))
            out.append(
                {
                    "id": d["id"],
                    "category": g.category,
                    "gold": g.stance,
                    "predicted": p.stance,
                    "rules": rule[0] if rule else None,
                    "gold_text": text[g.start : g.end],
                    "predicted_text": text[p.start : p.end],
                    "sentence": text[sent[0] : sent[1]].strip(),
                }
            )
    return out


def _counts(d: dict[str, Any]) -> Counts:
    return Counts(d["matched"], d["predicted"], d["gold"])


def gold_label(path: Path, all_paths: Sequence[Path]) -> str:
    """The file's name, with its folder when another gold file of the run has the same name
    (the wire and Kremlin dev sets are both ``dev.jsonl``; one would overwrite the other)."""
    if sum(p.name == path.name for p in all_paths) > 1:
        return f"{path.parent.name}/{path.name}"
    return path.name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, nargs="+", default=[DEFAULT_GOLD])
    ap.add_argument("--json", type=Path, help="write the numbers here")
    ap.add_argument(
        "--rules-only",
        action="store_true",
        help="leave out the learned model (pipeline/extract/trigger_model.py)",
    )
    ap.add_argument(
        "--cross-validate",
        action="store_true",
        help="5-fold cross-validation of the learned model by document (default gold: dev)",
    )
    ap.add_argument(
        "--also-train",
        type=Path,
        nargs="+",
        default=[],
        help="with --cross-validate: documents added to the training folds of every fold "
        "(default: the model's other training sets); with --cross-source: documents added "
        "to every training set (default: none)",
    )
    ap.add_argument(
        "--cross-source",
        action="store_true",
        help="train the learned model on the other --gold files only and score each file "
        "(two or more files, e.g. the wire and the Kremlin dev sets)",
    )
    ap.add_argument(
        "--by-draw",
        action="store_true",
        help="also report the documents of each draw of the set apart (split.json)",
    )
    ap.add_argument(
        "--stance-confusion",
        action="store_true",
        help="gold × predicted stance of the triggers found with the right category",
    )
    ap.add_argument(
        "--misses",
        type=Path,
        help="with --cross-validate: write the gold triggers found with no prediction of "
        "their category here (JSON lines, with the kind of miss) and print their counts",
    )
    ap.add_argument(
        "--spurious",
        type=Path,
        help="with --cross-validate: write the predicted triggers that overlap no gold "
        "trigger here (JSON lines, with their head and sentence)",
    )
    ap.add_argument(
        "--stance-errors",
        type=Path,
        help="with --cross-validate: write the wrong-stance triggers here (JSON lines)",
    )
    args = ap.parse_args(argv)
    errors: list[dict[str, Any]] = []
    lost: list[dict[str, Any]] = []
    extra_found: list[dict[str, Any]] = []
    if args.cross_validate and args.gold == [DEFAULT_GOLD]:
        args.gold = [FIXTURES / "triggers" / "dev.jsonl"]
    extractor = StatementExtractor()
    if args.cross_source:
        return main_cross_source(args.gold, args.also_train, extractor, args.json)
    if args.rules_only:
        _without_models()
    results: dict[str, Any] = {}
    for path in args.gold:
        docs = read_gold(path)
        label = gold_label(path, args.gold)
        if args.cross_validate:
            also = args.also_train or [
                p for p in TRAINING_GOLD if p.resolve() != path.resolve() and p.exists()
            ]
            extra = [doc for p in also for doc in read_gold(p)]
            mine: list[dict[str, Any]] | None = [] if args.misses else None
            wrong: list[dict[str, Any]] | None = [] if args.spurious else None
            pairs = cross_validated(docs, extractor, also_train=extra, misses=mine, spurious=wrong)
            name = f"{label}, 5-fold cross-validation"
            results[name] = report(name, docs, pairs)
            if mine is not None:
                print_misses(name, mine)
                lost += [{"gold_file": label, **m} for m in mine]
            if wrong is not None:
                extra_found += [{"gold_file": label, **m} for m in wrong]
            if args.stance_confusion:
                results[name]["stance_confusion"] = print_stance_confusion(name, pairs)
            rules = _without_models()
            rule_pairs = predict(docs, extractor)
            results[f"{label}, rules alone"] = report(f"{label}, rules alone", docs, rule_pairs)
            _restore(rules)
            if args.stance_errors:
                errors += stance_errors(docs, pairs, rule_pairs)
            continue
        pairs = predict(docs, extractor)
        results[label] = report(label, docs, pairs)
        if args.stance_confusion:
            results[label]["stance_confusion"] = print_stance_confusion(label, pairs)
        if args.by_draw:
            for number, ids in enumerate(draws(), 1):
                chosen = [i for i, d in enumerate(docs) if d["id"] in ids]
                if chosen:
                    name = f"{label}, draw {number}"
                    results[name] = report(
                        name, [docs[i] for i in chosen], [pairs[i] for i in chosen]
                    )
        case = case_decisions(docs, pairs)
        print(
            "\nCASE-style sentence decisions, AGREEMENT against the rest "
            f"({sum(len(sentences(d['text'])) for d in docs)} sentences):\n"
        )
        print("| mapping | system | gold | predicted | matched | P | R | F1 |")
        print("|---|---|---|---|---|---|---|---|")
        for mapping, systems in case.items():
            for system, c in systems.items():
                print(_row(f"{mapping} | {system}", c))
        results[label]["case"] = {
            m: {s: c.as_dict() for s, c in systems.items()} for m, systems in case.items()
        }
    for path, rows in (
        (args.misses, lost),
        (args.spurious, extra_found),
        (args.stance_errors, errors),
    ):
        if path:
            write_jsonl(path, rows)
    if args.cross_validate:
        if args.json:
            args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        return 0
    seed = seed_document()
    seed_pairs = predict([seed], extractor)
    results["seed"] = report("seed article", [seed], seed_pairs)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


def main_cross_source(
    paths: Sequence[Path],
    also_train: Sequence[Path],
    extractor: StatementExtractor,
    json_path: Path | None,
) -> int:
    if len(paths) < 2:
        raise SystemExit("--cross-source needs two or more --gold files")
    sources = [read_gold(p) for p in paths]
    extra = [doc for p in also_train for doc in read_gold(p)]
    labels = [gold_label(p, paths) for p in paths]
    learned = cross_source(sources, extractor, also_train=extra)
    taken = _without_models()
    try:
        ruled = [predict(docs, extractor) for docs in sources]
    finally:
        _restore(taken)
    results: dict[str, Any] = {}
    summary: list[tuple[str, Counts, Counts, Counts, Counts]] = []
    for k, (label, docs) in enumerate(zip(labels, sources, strict=True)):
        others = ", ".join(labels[j] for j in range(len(paths)) if j != k)
        name = f"{label}, learned model trained on {others}"
        if extra:
            name += f" and {len(extra)} other documents"
        results[name] = report(name, docs, learned[k])
        results[f"{label}, rules alone"] = report(f"{label}, rules alone", docs, ruled[k])
        summary.append(
            (
                f"{others} -> {label}",
                score(learned[k], "full"),
                score(learned[k], "category"),
                score(ruled[k], "full"),
                score(ruled[k], "category"),
            )
        )
    print("\n## Across sources: matched (F1)\n")
    print(
        "| trained on -> scored on | gold | model, category + stance | model, category only "
        "| rules, category + stance | rules, category only |"
    )
    print("|---|---|---|---|---|---|")
    for direction, *counts in summary:
        cells = " | ".join(f"{c.tp} ({c.f1:.3f})" for c in counts)
        print(f"| {direction} | {counts[0].gold} | {cells} |")
    if json_path:
        json_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


def _without_models() -> dict[str, Any]:
    """Take the learned model out of every language's finder; returns what was taken."""
    from pipeline.extract.triggers import TriggerFinder

    taken: dict[str, Any] = {}
    for language in ("en", "ru", "uk", "de", "fr", "es"):
        finder = TriggerFinder.for_language(language)
        if finder is not None:
            taken[language], finder.model = finder.model, None
    return taken


def _restore(taken: dict[str, Any]) -> None:
    from pipeline.extract.triggers import TriggerFinder

    for language, model in taken.items():
        finder = TriggerFinder.for_language(language)
        if finder is not None:
            finder.model = model


if __name__ == "__main__":
    raise SystemExit(main())
