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
``--attribute-errors`` prints the dev part's found statements whose ``official``, ``country``
or organisation disagree with gold, and counts them by kind of gold speaker.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
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
    same_organization,
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


ATTRIBUTE_KINDS = (
    "person with role",
    "person without role",
    "country (its government)",
    "government body",
    "ministry",
    "military",
    "institution, think tank, media",
    "unnamed person with a role",
    "anonymous source",
)
_MINISTRY_WORDS = ("ministry", "ministries", "department")
_MILITARY_WORDS = ("army", "forces", "force", "general staff", "military", "navy", "command")


def attribute_kind(facts: SpeakerFacts) -> str:
    """A finer grouping of gold speakers than :func:`speaker_kind`, for attribute errors."""
    if facts.role == "source":
        return "anonymous source"
    if facts.name:
        return "person with role" if facts.role else "person without role"
    org = (facts.organization or "").casefold()
    if not org:
        return "unnamed person with a role" if facts.role else "country (its government)"
    if org.startswith(("government", "governments")):
        return "country (its government)"
    if any(w in org.split() for w in _MINISTRY_WORDS):
        return "ministry"
    if any(w in org for w in _MILITARY_WORDS):
        return "military"
    if facts.official and facts.country:
        return "government body"
    return "institution, think tank, media"


def _official_label(value: bool | None) -> str:
    return "null" if value is None else str(value).lower()


def _country_error(gold: str | None, predicted: str | None) -> str | None:
    if gold == predicted:
        return None
    if gold is None:
        return "extra"
    return "missing" if predicted is None else "wrong"


def attribute_errors(
    gold: list[Attribution], predicted: list[Attribution], pairs: list[tuple[int, int]]
) -> list[tuple[Attribution, Attribution]]:
    """The found statements whose official, country or organisation disagree with gold."""
    out = []
    for gi, pi in pairs:
        g, p = gold[gi].speaker, predicted[pi].speaker
        org_differs = bool(g.organization) and not same_organization(
            g.organization or "", p.organization
        )
        if g.official != p.official or g.country != p.country or org_differs:
            out.append((gold[gi], predicted[pi]))
    return out


def count_attribute_errors(
    found: list[tuple[Attribution, Attribution]],
) -> dict[str, Counter[str]]:
    """Per gold speaker kind: found statements, official disagreements as "gold → predicted",
    and country disagreements (missing, wrong, extra)."""
    table: dict[str, Counter[str]] = {kind: Counter() for kind in ATTRIBUTE_KINDS}
    for g, p in found:
        row = table[attribute_kind(g.speaker)]
        row["found"] += 1
        go, po = g.speaker.official, p.speaker.official
        if go != po:
            row[f"official {_official_label(go)} → {_official_label(po)}"] += 1
        err = _country_error(g.speaker.country, p.speaker.country)
        if err:
            row[f"country {err}"] += 1
    return table


def render_attribute_table(table: dict[str, Counter[str]]) -> str:
    columns = sorted({c for row in table.values() for c in row if c != "found"})
    lines = [
        "| gold speaker | found | " + " | ".join(columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    total: Counter[str] = Counter()
    for kind, row in table.items():
        total.update(row)
        lines.append(
            f"| {kind} | {row['found']} | " + " | ".join(str(row[c]) for c in columns) + " |"
        )
    lines.append(f"| all | {total['found']} | " + " | ".join(str(total[c]) for c in columns) + " |")
    return "\n".join(lines)


def evaluate(
    docs: list[dict[str, Any]],
    extractor: StatementExtractor,
    *,
    errors: bool = False,
    attributes: bool = False,
) -> dict[str, Any]:
    total = StatementCounts()
    whole = StatementCounts()  # each statement's whole quote span instead of its parts
    by_kind = {kind: StatementCounts() for kind in SPEAKER_KINDS}
    trigger_pairs = []
    every_found: list[tuple[Attribution, Attribution]] = []
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
        if attributes:
            every_found.extend((gold[gi], predicted[pi]) for gi, pi in pairs)
            _print_attribute_errors(doc["id"], text, attribute_errors(gold, predicted, pairs))
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
    report: dict[str, Any] = {
        "documents": len(docs),
        "statements": total.as_dict(),
        "statements_whole_quote_spans": whole.as_dict(),
        "statements_by_speaker_kind": {k: v.as_dict() for k, v in by_kind.items()},
        "triggers": triggers,
    }
    if attributes:
        report["attribute_errors"] = count_attribute_errors(every_found)
    return report


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


def _sentence(text: str, start: int, end: int) -> str:
    lo = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start)) + 1
    hi = min((i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0), default=len(text))
    return text[lo : hi + 1].strip().replace("\n", " ")


def _print_attribute_errors(
    doc_id: str, text: str, found: list[tuple[Attribution, Attribution]]
) -> None:
    for g, p in found:
        kind = attribute_kind(g.speaker)
        print(f"{doc_id} ATTR [{kind}] {_sentence(text, g.start, g.end)[:240]!r}")
        print(f"    gold   {_facts(g)} role={g.speaker.role!r}")
        print(f"    parley {_facts(p)} role={p.speaker.role!r}")


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
    if "attribute_errors" in report:
        lines += ["", render_attribute_table(report["attribute_errors"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gold", type=Path, help="a gold file (default: the dev part)")
    ap.add_argument("--test", action="store_true", help="score the test part (the report)")
    ap.add_argument("--errors", action="store_true", help="print each statement error")
    ap.add_argument(
        "--attribute-errors",
        action="store_true",
        help="print found statements whose official, country or organisation disagree",
    )
    ap.add_argument("--json", type=Path, help="write the numbers here")
    args = ap.parse_args(argv)
    path = args.gold or WIRE / ("test.jsonl" if args.test else "dev.jsonl")
    if (args.errors or args.attribute_errors) and path.name.startswith("test"):
        ap.error("--errors reads individual errors; the test part is read only as tables")
    report = evaluate(
        list(read_records(path)),
        StatementExtractor(),
        errors=args.errors,
        attributes=args.attribute_errors,
    )
    report["gold"] = path.name
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
