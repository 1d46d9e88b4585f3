"""Statements and triggers on wire copy: parley against the hand-annotated wire set.

    python -m benchmarks.eval_wire                    # the dev part
    python -m benchmarks.eval_wire --errors           # and each statement error of the dev part
    python -m benchmarks.eval_wire --test --json out.json   # the test part (the report)

Gold: ``tests/fixtures/wire/{dev,test}.jsonl`` (articles written for parley's tests in the
style of agency copy, every statement and trigger annotated by hand; see the README there).
Statements are scored by ``benchmarks/statement_scoring.py`` (found: contents overlapping by
half; right speaker; attribution P/R/F1; ``official`` and ``country`` agreement), per kind of
gold speaker too, each part of a statement on its own (the gold set has a statement for each
quote an attribution splits off; the figures with each statement's whole quote span are
printed too); triggers by ``benchmarks/trigger_scoring.py`` (category + stance, category,
span; per category and stance).  ``--errors`` prints the dev part's misses, wrong speakers and
extra statements one by one; it refuses the test part, which is read only as tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from benchmarks.eval_polnear import read_records  # noqa: E402
from benchmarks.statement_scoring import (  # noqa: E402
    SPEAKER_KINDS,
    Attribution,
    SpeakerFacts,
    StatementCounts,
    same_speaker,
    score_document,
    speaker_kind,
    tally,
)
from benchmarks.trigger_scoring import MODES, Mention, score, score_by  # noqa: E402
from pipeline.extract import StatementExtractor  # noqa: E402
from pipeline.extract.model import STANCES, TRIGGER_CATEGORIES, ExtractionResult  # noqa: E402

WIRE = ROOT / "tests" / "fixtures" / "wire"


def _of_kind(kind: str) -> Callable[[Attribution], bool]:
    return lambda a: speaker_kind(a.speaker) == kind


def gold_attributions(doc: dict[str, Any]) -> list[Attribution]:
    return [
        Attribution(
            s["content"]["start"],
            s["content"]["end"],
            SpeakerFacts.from_dict(s.get("speaker")),
            s.get("kind", ""),
            (s.get("source") or {}).get("text", ""),
        )
        for s in doc["statements"]
    ]


def predicted_attributions(result: ExtractionResult, *, parts: bool = True) -> list[Attribution]:
    """One per part of each statement: parley joins the quotes of one speaker that an
    attribution splits ("“A,” he said. “B.”") into one statement of two parts (as PolNeAR
    does), where the gold set has a statement for each.  ``parts=False``: one per statement,
    its quote's whole span (from the first part's start to the last part's end)."""
    out = []
    for st in result.statements:
        sp = st.speaker
        facts = SpeakerFacts(sp.name, sp.role, sp.organization, sp.country, sp.official)
        spans = st.parts if parts else (st.quote,)
        mention = sp.mention.text if sp.mention else ""
        out.extend(
            Attribution(span.start, span.end, facts, str(st.kind), mention) for span in spans
        )
    return out


def evaluate(
    docs: list[dict[str, Any]], extractor: StatementExtractor, *, errors: bool = False
) -> dict[str, Any]:
    total = StatementCounts()
    whole = StatementCounts()  # each statement's whole quote span instead of its parts
    by_kind = {kind: StatementCounts() for kind in SPEAKER_KINDS}
    trigger_pairs = []
    for doc in docs:
        text = doc["text"]
        result = extractor.extract(text, title=doc.get("title"), language="en")
        gold = gold_attributions(doc)
        predicted = predicted_attributions(result)
        counts, pairs = score_document(gold, predicted)
        total.add(counts)
        whole.add(score_document(gold, predicted_attributions(result, parts=False))[0])
        for kind in SPEAKER_KINDS:
            by_kind[kind].add(tally(gold, predicted, pairs, _of_kind(kind)))
        if errors:
            _print_errors(doc["id"], text, gold, predicted, dict(pairs))
        trigger_pairs.append(
            (
                [
                    Mention(t["start"], t["end"], t["category"], t["stance"])
                    for t in doc["triggers"]
                ],
                [Mention(t.start, t.end, t.category, t.stance) for t in result.triggers],
            )
        )
    triggers: dict[str, Any] = {mode: score(trigger_pairs, mode).as_dict() for mode in MODES}
    for name, values in (("category", TRIGGER_CATEGORIES), ("stance", STANCES)):
        triggers[f"by_{name}"] = {
            k: c.as_dict() for k, c in score_by(trigger_pairs, name, values).items()
        }
    return {
        "documents": len(docs),
        "statements": total.as_dict(),
        "statements_whole_quote_spans": whole.as_dict(),
        "statements_by_speaker_kind": {k: v.as_dict() for k, v in by_kind.items()},
        "triggers": triggers,
    }


def _facts(a: Attribution) -> str:
    f = a.speaker
    return (
        f"[{a.mention}] name={f.name!r} org={f.organization!r} country={f.country} "
        f"official={f.official}"
    )


def _print_errors(
    doc_id: str,
    text: str,
    gold: list[Attribution],
    predicted: list[Attribution],
    matched: dict[int, int],
) -> None:
    used = set(matched.values())
    for gi, g in enumerate(gold):
        snippet = text[g.start : g.end][:90].replace("\n", " ")
        if gi not in matched:
            print(f"{doc_id} MISSED   {snippet!r}\n    gold {_facts(g)}")
            continue
        p = predicted[matched[gi]]
        if not same_speaker(g.speaker, p.speaker):
            print(f"{doc_id} SPEAKER  {snippet!r}\n    gold {_facts(g)}\n    parley {_facts(p)}")
    for pi, p in enumerate(predicted):
        if pi not in used:
            snippet = text[p.start : p.end][:90].replace("\n", " ")
            print(f"{doc_id} EXTRA    {snippet!r}\n    parley {_facts(p)}")


def render(report: dict[str, Any]) -> str:
    st = report["statements"]
    att = st["attribution"]
    lines = [
        f"wire copy: {report['documents']} documents",
        "",
        f"statements: {st['gold']} gold, {st['predicted']} predicted, found {st['found']}, "
        f"with the right speaker {st['right_speaker']}",
        f"attribution P {att['precision']:.3f} R {att['recall']:.3f} F1 {att['f1']:.3f}; "
        f"official agrees on {st['official_agree']} of {st['found']} found, "
        f"country on {st['country_agree']}",
        f"(each statement's whole quote span instead of its parts: found "
        f"{report['statements_whole_quote_spans']['found']}, right speaker "
        f"{report['statements_whole_quote_spans']['right_speaker']}, attribution F1 "
        f"{report['statements_whole_quote_spans']['attribution']['f1']:.3f})",
        "",
        "| gold speaker | gold | found | right speaker |",
        "|---|---|---|---|",
    ]
    for kind, c in report["statements_by_speaker_kind"].items():
        lines.append(f"| {kind} | {c['gold']} | {c['found']} | {c['right_speaker']} |")
    tr = report["triggers"]
    lines += [
        "",
        "| triggers | gold | predicted | matched | P | R | F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [
        ("category + stance", tr["full"]),
        ("category only", tr["category"]),
        ("span only", tr["span"]),
    ]
    rows += [(f"category {k}", v) for k, v in tr["by_category"].items()]
    rows += [(f"stance {k}", v) for k, v in tr["by_stance"].items()]
    for label, c in rows:
        lines.append(
            f"| {label} | {c['gold']} | {c['predicted']} | {c['matched']} | "
            f"{c['precision']:.2f} | {c['recall']:.2f} | {c['f1']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, help="a gold file (default: the dev part)")
    ap.add_argument("--test", action="store_true", help="score the test part (the report)")
    ap.add_argument("--errors", action="store_true", help="print each statement error")
    ap.add_argument("--json", type=Path, help="write the numbers here")
    args = ap.parse_args(argv)
    path = args.gold or WIRE / ("test.jsonl" if args.test else "dev.jsonl")
    if args.errors and path.name.startswith("test"):
        ap.error("--errors reads individual errors; the test part is read only as tables")
    report = evaluate(list(read_records(path)), StatementExtractor(), errors=args.errors)
    report["gold"] = path.name
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
