"""Stance probes: per-kind accuracy of trigger stance on the project's own outcome sentences.

``benchmarks/data/stance_probes.yaml`` holds short wire-style texts written for this check (not
gold from articles), grouped by the kind of outcome they report (stalling, deadlock, low
expectations, progress …) with the stance each kind has under the annotation guidelines.  The
head to judge is marked ``[…]``; the probe passes when the trigger that overlaps it has the
kind's stance.  A failing probe is told apart by what went wrong: no trigger on the head, or
the stance the rules gave (``rules``) and the one the learned model gave (``model``).

    python -m benchmarks.stance_probes [--boundary] [--failures] [--held-out] [--rules-only]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.extract import lexicon  # noqa: E402
from pipeline.extract.model import Trigger  # noqa: E402
from pipeline.extract.trigger_model import TriggerModel  # noqa: E402
from pipeline.extract.triggers import TriggerFinder  # noqa: E402

PROBES = ROOT / "benchmarks" / "data" / "stance_probes.yaml"


@dataclass(frozen=True)
class Probe:
    kind: str
    expected: str
    text: str
    start: int
    end: int
    held_out: bool


@dataclass(frozen=True)
class Outcome:
    probe: Probe
    rules: str | None
    final: str | None

    @property
    def passed(self) -> bool:
        return self.final == self.probe.expected


def load(path: Path = PROBES, section: str = "kinds") -> list[Probe]:
    """The probes of ``section``: ``kinds`` (outcomes of talks, truces and deals) or
    ``boundary`` (plain reports against willingness and progress)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    context = str(data.get("context") or "")
    lead = context + "\n\n" if context else ""
    out: list[Probe] = []
    for kind, spec in data[section].items():
        for part in ("study", "held_out"):
            for marked in spec.get(part) or []:
                start = len(lead) + marked.index("[")
                end = len(lead) + marked.index("]") - 1
                text = lead + marked.replace("[", "", 1).replace("]", "", 1)
                out.append(Probe(kind, str(spec["stance"]), text, start, end, part == "held_out"))
    return out


def _on_head(triggers: list[Trigger], probe: Probe) -> str | None:
    # The last word of a marked compound is its head ("ceasefire talks" are talks): the
    # trigger on it is judged, not the one on its modifier.
    last = probe.text.rfind(" ", probe.start, probe.end) + 1 or probe.start
    for lo in (last, probe.start):
        for t in triggers:
            if t.start < probe.end and lo < t.end:
                return t.stance
    return None


def run(probes: list[Probe], *, rules_only: bool = False) -> list[Outcome]:
    data = lexicon.load("triggers.en.yaml")
    rules = TriggerFinder(data)
    finder = rules if rules_only else TriggerFinder(data, TriggerModel.for_language("en"))
    return [
        Outcome(p, _on_head(rules.find(p.text), p), _on_head(finder.find(p.text), p))
        for p in probes
    ]


def report(outcomes: list[Outcome], *, failures: bool) -> None:
    kinds: dict[str, list[Outcome]] = {}
    for o in outcomes:
        kinds.setdefault(o.probe.kind, []).append(o)
    print(f"{'kind':<18} {'stance':<9} {'right':>9}  {'rules':>9}")
    for side in ("negative", "positive", "neutral"):
        right = total = 0
        for kind, group in kinds.items():
            if group[0].probe.expected != side:
                continue
            ok = sum(o.passed for o in group)
            by_rules = sum(o.rules == o.probe.expected for o in group)
            right += ok
            total += len(group)
            print(f"{kind:<18} {side:<9} {ok:>4} / {len(group):<3} {by_rules:>4} / {len(group):<3}")
        if total:
            print(f"{'= all ' + side:<28} {right:>4} / {total:<3}")
    if failures:
        print()
        for o in outcomes:
            if not o.passed:
                why = "no trigger" if o.final is None else f"rules {o.rules}, final {o.final}"
                print(f"[{o.probe.kind}] {why}: {o.probe.text.split(chr(10))[-1]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--failures", action="store_true", help="list the probes that fail")
    ap.add_argument(
        "--held-out", action="store_true", help="the held-out probes (default: the study ones)"
    )
    ap.add_argument("--all", action="store_true", help="study and held-out probes together")
    ap.add_argument("--rules-only", action="store_true", help="leave out the learned model")
    ap.add_argument(
        "--boundary",
        action="store_true",
        help="the neutral / positive boundary kinds (plain reports, scheduling, frames …)",
    )
    args = ap.parse_args(argv)
    section = "boundary" if args.boundary else "kinds"
    probes = [p for p in load(section=section) if args.all or p.held_out == args.held_out]
    report(run(probes, rules_only=args.rules_only), failures=args.failures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
