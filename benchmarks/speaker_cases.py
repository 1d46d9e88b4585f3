"""Speaker-resolution accuracy on the extraction cases, by kind of speaker.

    python benchmarks/speaker_cases.py [--cases tests/fixtures/extract_cases.yaml] [--json out]

Every expected statement of a case that has a ``speaker_kind`` counts once: right when the
extractor finds the statement (its quote contains the expected words) with every expected
speaker field equal (name, role, organisation, country, official) - the same test as
tests/unit/test_extract_cases.py, counted instead of asserted, so that an older extractor can
be measured on the same cases.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "fixtures" / "extract_cases.yaml"
_FIELDS = ("name", "role", "organization", "country", "official")


def _matches(statement: Any, want: dict[str, Any]) -> bool:
    if want["quote"] not in statement.quote.text:
        return False
    return all(getattr(statement.speaker, f) == want[f] for f in _FIELDS if f in want)


def score(cases: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    from pipeline.extract import StatementExtractor

    extractor = StatementExtractor()
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for case in cases:
        kind = case.get("speaker_kind")
        if not kind:
            continue
        result = extractor.extract(case["text"], language=case.get("language"))
        for want in case.get("statements") or []:
            total[kind] += 1
            right[kind] += any(_matches(s, want) for s in result.statements)
    return {k: {"right": right[k], "total": total[k]} for k in total}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=CASES)
    ap.add_argument("--json", type=Path, help="write the counts here")
    args = ap.parse_args(argv)
    cases = yaml.safe_load(args.cases.read_text(encoding="utf-8"))["cases"]
    counts = score(cases)
    for kind, c in counts.items():
        print(f"{kind:<14} {c['right']:>3} / {c['total']}")
    right = sum(c["right"] for c in counts.values())
    total = sum(c["total"] for c in counts.values())
    print(f"{'all':<14} {right:>3} / {total}")
    if args.json:
        args.json.write_text(json.dumps(counts, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
