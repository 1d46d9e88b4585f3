"""Tools for the hand-annotated wire set (``tests/fixtures/wire/``).

    python -m benchmarks.wire_gold_tools split --seed 2026 a.jsonl b.jsonl \\
        --control wire-a06 wire-b06
    python -m benchmarks.wire_gold_tools split --append --seed 2027 --test-share 0.4 c.jsonl …
    python -m benchmarks.wire_gold_tools counts

``split`` files the annotated documents of the given files into ``dev.jsonl`` and
``test.jsonl`` by a seeded draw (``draw_split`` of the trigger set: per stratum, ids sorted,
shuffled with ``random.Random(seed)``, the first round(share × n) to test) and records the
draw in ``split.json`` (every draw as it was made, then the union the files follow).  The
strata: each file's conflict articles (the file's stem), and the control articles (talks
vocabulary, no armed conflict) together.  ``counts`` prints the tables of the README, which
``tests/unit/test_wire_gold.py`` compares with the files.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.eval_polnear import read_records
from benchmarks.statement_scoring import SpeakerFacts, speaker_kind
from benchmarks.trigger_gold_tools import draw_split, split_procedure, write_jsonl
from pipeline.extract.model import STANCES, TRIGGER_CATEGORIES

WIRE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "wire"
SPLIT_FILE = WIRE / "split.json"
PARTS = ("dev", "test")
CONTROL = "control"


def cmd_split(args: argparse.Namespace) -> None:
    """A draw's split.  With ``--append`` the draw is added to those already recorded: the
    documents of earlier draws stay where they are, and only the given files' new documents
    are drawn."""
    draws = read_draws() if args.append else []
    taken = {doc_id for draw in draws for doc_id in draw["strata"]}
    docs = {d["id"]: d for part in PARTS for d in _part(part) if d["id"] in taken}
    selection: list[tuple[str, str]] = []
    for path in args.files:
        for doc in read_records(path):
            if doc["id"] in docs:
                raise SystemExit(f"{doc['id']} twice (or in an earlier draw)")
            docs[doc["id"]] = doc
            stratum = CONTROL if doc["id"] in args.control else f"wire-{path.stem}"
            selection.append((doc["id"], stratum))
    strata = tuple(sorted({s for _, s in selection}))
    split = draw_split(selection, args.seed, args.test_share, strata)
    draws.append(
        {
            "seed": args.seed,
            "test_share": args.test_share,
            "strata_order": list(strata),
            "procedure": split_procedure(strata),
            "strata": dict(sorted(selection)),
            **split,
        }
    )
    record = {
        "draws": draws,
        "dev": sorted(d for draw in draws for d in draw["dev"]),
        "test": sorted(d for draw in draws for d in draw["test"]),
    }
    for part in PARTS:
        write_jsonl(WIRE / f"{part}.jsonl", (docs[d] for d in record[part]))
    SPLIT_FILE.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    for part in PARTS:
        print(part, len(split[part]), dict(Counter(dict(selection)[d] for d in split[part])))


def read_draws() -> list[dict[str, Any]]:
    draws: list[dict[str, Any]] = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))["draws"]
    return draws


def _part(part: str) -> list[dict[str, Any]]:
    path = WIRE / f"{part}.jsonl"
    return list(read_records(path)) if path.exists() else []


def count_tables() -> str:
    """Markdown: per part, documents, triggers per category × stance, statements per kind and
    per kind of speaker."""
    lines = []
    for part in PARTS:
        docs = list(read_records(WIRE / f"{part}.jsonl"))
        triggers = [t for d in docs for t in d["triggers"]]
        statements = [s for d in docs for s in d["statements"]]
        kinds = Counter(s["kind"] for s in statements)
        speakers = Counter(speaker_kind(SpeakerFacts.from_dict(s["speaker"])) for s in statements)
        lines += [
            f"**{part}**: {len(docs)} documents, {len(triggers)} triggers, "
            f"{len(statements)} statements "
            f"({', '.join(f'{k} {kinds[k]}' for k in ('direct', 'indirect', 'mixed'))}; "
            f"speakers: {', '.join(f'{k} {n}' for k, n in sorted(speakers.items()))})",
            "",
            "| category | positive | negative | neutral | total |",
            "|---|---|---|---|---|",
        ]
        cells = Counter((t["category"], t["stance"]) for t in triggers)
        for category in TRIGGER_CATEGORIES:
            row = [cells[(category, s)] for s in STANCES]
            lines.append(f"| `{category}` | {' | '.join(map(str, row))} | {sum(row)} |")
        totals = [sum(cells[(c, s)] for c in TRIGGER_CATEGORIES) for s in STANCES]
        lines += [f"| all | {' | '.join(map(str, totals))} | {sum(totals)} |", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("split", help="file the annotated documents into dev and test")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--test-share", type=float, default=0.5)
    p.add_argument("--control", nargs="*", default=[], help="ids of the control articles")
    p.add_argument(
        "--append", action="store_true", help="a further draw: earlier draws stay as they are"
    )
    p.set_defaults(run=cmd_split)
    p = sub.add_parser("counts", help="the README's tables")
    p.set_defaults(run=lambda _args: print(count_tables()))
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
