"""Render the fault suite's report (``PARLEY_FAULTS_REPORT=faults.jsonl pytest tests/faults``)
as the Markdown table of the README.

    python -m benchmarks.fault_table benchmarks/results/faults.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

HEADER = (
    "| fault | published | in Kafka | indexed | alerted | lost | duplicate alerts "
    "| redeliveries¹ | worker restarts² | last alert after publishing stopped |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def row(r: dict[str, Any]) -> str:
    restarts = Counter(r.get("worker_restarts") or [])
    restart_text = ", ".join(f"{role} ×{n}" for role, n in sorted(restarts.items())) or "none"
    recovered = r.get("recovered_s")
    # With articles lost, "the last alert" is not a recovery time.
    after = "never (lost)" if r["lost"] else "-" if recovered is None else f"{recovered:g} s"
    return (
        f"| {r['fault']} | {r['published']} | {r['in_kafka']} | {r['indexed']} | {r['alerted']} "
        f"| **{r['lost']}** | **{r['duplicate_alerts']}** | {r['redeliveries']} | {restart_text} "
        f"| {after} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.report.read_text().splitlines() if line.strip()]
    # The last run of each fault wins: the file accumulates runs.
    latest = {r["fault"]: r for r in rows}
    print(HEADER)
    for r in latest.values():
        print(row(r))


if __name__ == "__main__":
    main()
