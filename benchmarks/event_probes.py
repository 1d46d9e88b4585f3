"""Event-word probes: does the trigger finder recall event words in wording of its own?

    python -m benchmarks.event_probes                  # per-kind recall, negatives kept clean
    python -m benchmarks.event_probes --failures       # also each failed probe and its triggers
    python -m benchmarks.event_probes --rules-only     # without the learned keep model

The probes (``benchmarks/data/event_probes.yaml``) are short sentences written by the project,
not gold from articles: each names one kind of event (talks by another noun, a deal with its
light verb, a prisoner swap with counts, a freeze of the front …) and says which category a
trigger must have and which word its span must contain.  Negative probes use the same words in
other business (trade talks, a record deal, released on bail) and pass when no trigger of the
named categories covers the word.  Each probe is extracted as a text of its own, through the
whole extractor as the pipeline runs it.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from pipeline.extract import StatementExtractor  # noqa: E402
from pipeline.extract.model import Trigger  # noqa: E402

PROBES = ROOT / "benchmarks" / "data" / "event_probes.yaml"


def load(path: Path = PROBES) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    probes: list[dict[str, Any]] = data["probes"]
    return probes


def passes(probe: dict[str, Any], triggers: list[Trigger]) -> bool:
    """Whether ``triggers`` (found in the probe's text) satisfy the probe."""
    text: str = probe["text"]
    head = str(probe["head"]).lower()
    at = text.lower().find(head)
    if at < 0:
        raise ValueError(f"head {head!r} not in probe {text!r}")
    lo, hi = at, at + len(head)

    def covers(t: Trigger) -> bool:
        return t.start < hi and lo < t.end

    if "absent" in probe:
        banned = set(probe["absent"])
        return not any(covers(t) and ("any" in banned or t.category in banned) for t in triggers)
    return any(covers(t) and t.category == probe["expect"] for t in triggers)


def run(
    probes: list[dict[str, Any]], extractor: StatementExtractor
) -> list[tuple[dict[str, Any], bool, list[Trigger]]]:
    out: list[tuple[dict[str, Any], bool, list[Trigger]]] = []
    for p in probes:
        triggers = list(extractor.extract(p["text"], language="en").triggers)
        out.append((p, passes(p, triggers), triggers))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--probes", type=Path, default=PROBES)
    ap.add_argument("--failures", action="store_true", help="print each failed probe")
    ap.add_argument("--rules-only", action="store_true", help="without the learned model")
    args = ap.parse_args(argv)
    extractor = StatementExtractor()
    if args.rules_only:
        from pipeline.extract.triggers import TriggerFinder

        finder = TriggerFinder.for_language("en")
        if finder is not None:
            finder.model = None
    results = run(load(args.probes), extractor)
    total: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for p, ok, _t in results:
        total[p["kind"]] += 1
        passed[p["kind"]] += ok
    print(f"{'kind':<20}{'passed':>8}{'of':>5}")
    for kind in total:
        print(f"{kind:<20}{passed[kind]:>8}{total[kind]:>5}")
    pos = [k for k in total if k != "negative"]
    print(
        f"{'positives':<20}{sum(passed[k] for k in pos):>8}{sum(total[k] for k in pos):>5}"
        f"   negatives kept clean {passed['negative']} of {total['negative']}"
    )
    if args.failures:
        for p, ok, triggers in results:
            if ok:
                continue
            want = f"no {'/'.join(p['absent'])}" if "absent" in p else p["expect"]
            found = ", ".join(f"{t.category}:{t.stance}:{t.text!r}" for t in triggers) or "-"
            print(f"\n[{p['kind']}] want {want} on {p['head']!r}\n  {p['text']}\n  found: {found}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
