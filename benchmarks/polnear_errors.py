"""Where ``parley extract`` misses PolNeAR attributions: the error table of docs/statements.md.

    python benchmarks/polnear_errors.py --data path/to/polnear_train.jsonl.gz [--no-learned-cues]

Run it on the training split (errors on dev are not looked at one by one: dev only decides
whether a change generalises).  A gold attribution is *missed* when no statement matches it as
``eval_polnear.py``'s attribution F1 counts (contents overlapping by half the longer one, the
speaker overlapping the gold source).  Missed ones are counted by the kind of their source and
content and by what happened to their cue; statements whose cue equals a gold cue but whose
content does not are counted by how the content differs (PolNeAR's convention, as the
evaluation's adapter).  The most frequent cue strings outside the lexicon come last.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.eval_polnear import _overlap, adapt_statement, read_records
from pipeline.extract import StatementExtractor
from pipeline.extract.cues import CueLexicon

_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "you", "who", "which"})


def _source_kind(text: str, span: list[int] | None) -> str:
    if not span:
        return "no source"
    mention = text[span[0] : span[1]].strip()
    if mention.lower() in _PRONOUNS:
        return "pronoun"
    if mention[:1].isupper() and len(mention.split()) <= 4:
        return "name"
    return "description"


# A sentence end inside a gold content ("… today. The …").
_SENTENCE_END = re.compile(r"[.!?][”\"’']?\s+[“\"‘]?[A-Z]")


def _difference(
    text: str, pred: tuple[int, int], q: dict[str, Any], gold_cues: list[tuple[int, int]]
) -> str:
    """How a content whose cue is found differs from gold, the first kind that fits: in parts
    around the cue, other parts, before the cue, nested, several sentences, then the ends
    (the table of docs/statements.md)."""
    gold = (q["quote_span"][0], q["quote_span"][1])
    cue = (q["cue_span"][0], q["cue_span"][1])
    parts = [(p[0], p[1]) for p in q.get("quote_spans") or [gold]]
    if len(parts) > 1:
        if any(p[1] <= cue[0] for p in parts) and any(p[0] >= cue[1] for p in parts):
            if pred[0] >= cue[1]:
                return "interrupted: only the part after the cue found"
            if pred[1] <= cue[0]:
                return "interrupted: only the part before the cue found"
            return "interrupted: other"
        return "several gold parts, not around the cue"
    if gold[1] <= cue[0]:
        if _overlap(pred, gold) == 0:
            return "before the cue: content elsewhere"
        if pred[0] == gold[0]:
            return "before the cue: the end differs"
        if pred[1] != gold[1]:
            return "before the cue: both ends differ"
        return "before the cue: starts " + ("early" if pred[0] < gold[0] else "late")
    if any(c != cue and gold[0] <= c[0] < gold[1] for c in gold_cues):
        return "nested"
    if _SENTENCE_END.search(text, gold[0], gold[1]):
        return "gold over several sentences, " + ("ends early" if pred[1] < gold[1] else "other")
    if _overlap(pred, gold) == 0:
        return "content elsewhere"
    if pred[0] != gold[0] and pred[1] != gold[1]:
        return "both ends differ"
    if pred[0] < gold[0]:
        fronted = pred[0] < cue[0] < gold[0]
        return "starts early" + (": a fronted part before the cue" if fronted else "")
    if pred[0] > gold[0]:
        return "starts late"
    return "ends late" if pred[1] > gold[1] else "ends early"


def analyse(
    records: list[dict[str, object]], extractor: StatementExtractor
) -> dict[str, Counter[str]]:
    lex = CueLexicon.for_language("en")
    assert lex is not None
    tables: dict[str, Counter[str]] = {
        k: Counter() for k in ("total", "source", "content", "cue", "boundary", "outside")
    }
    for rec in records:
        text = str(rec["text"])
        result = extractor.extract(text, language="en")
        preds = []
        for st in result.statements:
            content, speaker, cue = adapt_statement(text, st)
            preds.append((content, speaker, cue))
        by_cue: dict[tuple[int, int], tuple[int, int]] = {}
        for content, _, cue in preds:
            if cue:
                by_cue.setdefault(cue, content)
        quotes: list[dict[str, Any]] = rec["quotes"]  # type: ignore[assignment]
        gold_cues = [(q["cue_span"][0], q["cue_span"][1]) for q in quotes if q.get("cue_span")]
        lexicon = [c for c in lex.find(text) if not c.learned]
        exact = {(c.start, c.end) for c in lexicon}
        for q in rec["quotes"]:  # type: ignore[attr-defined]
            if not q.get("quote_span"):
                continue
            tables["total"]["gold"] += 1
            gold = (q["quote_span"][0], q["quote_span"][1])
            gsrc = q.get("speaker_span")
            gcue = tuple(q["cue_span"]) if q.get("cue_span") else None
            if gcue in by_cue:
                tables["total"]["gold cue found"] += 1
                if by_cue[gcue] != gold:
                    tables["boundary"][_difference(text, by_cue[gcue], q, gold_cues)] += 1
            found = False
            for content, speaker, _ in preds:
                longer = max(content[1] - content[0], gold[1] - gold[0])
                if longer <= 0 or _overlap(content, gold) * 2 < longer:
                    continue
                if gsrc and (speaker is None or _overlap(speaker, tuple(gsrc)) == 0):
                    continue
                found = True
                break
            if found:
                continue
            tables["total"]["missed"] += 1
            tables["source"][_source_kind(text, gsrc)] += 1
            tables["content"][str(q.get("kind"))] += 1
            if gcue is None:
                what = "no cue"
            elif gcue in exact:
                if gcue in by_cue:
                    what = "in the lexicon: statement found, content or speaker differ"
                elif any(c[0] <= gcue[0] < c[1] for c, _, _ in preds):
                    what = "in the lexicon: inside another statement's content"
                else:
                    what = "in the lexicon: no statement built"
            elif any(gcue[0] <= c.verb_start < gcue[1] for c in lexicon):
                what = "in the lexicon: other cue span"
            else:
                what = "outside the lexicon"
                tables["outside"][str(q.get("cue") or "").lower().replace("’", "'")] += 1
            tables["cue"][what] += 1
    return tables


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, type=Path, help="PolNeAR JSONL (.gz ok)")
    ap.add_argument("--no-learned-cues", action="store_true", help="without the cue model")
    ap.add_argument("--top", type=int, default=30, help="cue strings outside the lexicon shown")
    args = ap.parse_args(argv)
    extractor = StatementExtractor(learned_cues=not args.no_learned_cues)
    tables = analyse(list(read_records(args.data)), extractor)
    total = tables.pop("total")
    print(f"{total['missed']} of {total['gold']} gold attributions missed")
    found = total["gold cue found"]
    print(
        f"{found} with the gold cue found, the content differs in"
        f" {sum(tables['boundary'].values())}"
    )
    titles = {
        "source": "missed, by source",
        "content": "missed, by content kind",
        "cue": "missed, by cue",
        "boundary": "gold cue found, content differs",
    }
    for name, title in titles.items():
        print(f"\n| {title} | n |\n|---|---|")
        for key, n in tables[name].most_common(30 if name == "boundary" else 12):
            print(f"| {key} | {n:,} |")
    outside = tables["outside"]
    print(f"\n{len(outside):,} different cue strings outside the lexicon; the most frequent:")
    print(", ".join(f"{k!r} {n}" for k, n in outside.most_common(args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
