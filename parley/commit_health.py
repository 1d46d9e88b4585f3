"""Are the workers' Kafka offsets moving?  The commit-health part of ``parley status``.

A worker commits a partition's offset only after what it read is stored, so a commit that keeps
failing shows as a committed offset that stays put while records wait behind it.  Two views,
each collected on its own:

- **Kafka**: for the consumer groups parley commits — the pipeline's (``pipeline.group_id`` on
  the articles topic) and the dispatcher's (``alerts.dispatcher.group_id`` on the alerts topic)
  — the committed offset, the log end and the lag of every partition, and, from the sample the
  previous ``parley status`` left in ``<data_dir>/run/commit-health.json``, how long each
  committed offset has not moved.  A partition whose offset has not moved for
  ``STUCK_AFTER_S`` seconds while records wait behind it is **stuck**: a problem.
- **metrics**: when ``parley up`` runs the dispatcher on this host, its own count of consecutive
  failed commits (``parley_alert_dispatcher_commit_failures_consecutive``) from its /metrics
  endpoint; any failure in a row is a problem, as the issue it answers showed (commits refused
  on every start, offsets never moving, nothing else visibly wrong).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parley.config import Settings
from parley.metrics import worker_metrics_port
from parley.runtime_paths import RuntimePaths

STUCK_AFTER_S = 60.0
HISTORY_FILE = "commit-health.json"
DISPATCHER_FAILURES = "parley_alert_dispatcher_commit_failures_consecutive"


@dataclass(frozen=True)
class CommittedGroup:
    worker: str
    group: str
    topic: str


def watched_groups(settings: Settings) -> list[CommittedGroup]:
    """The consumer groups parley's workers commit, from the settings."""
    from pipeline.config import PipelineConfig
    from sinks.alerts.config import alerts_settings

    pipeline = PipelineConfig.model_validate(settings.pipeline)
    dispatcher = alerts_settings(settings).dispatcher
    return [
        CommittedGroup("pipeline", pipeline.group_id, pipeline.topic_name(settings)),
        CommittedGroup("dispatcher", dispatcher.group_id, settings.kafka.topics.alerts),
    ]


def assess_partition(
    previous: Mapping[str, Any] | None,
    committed: int | None,
    end: int,
    now: float,
    beginning: int = 0,
) -> dict[str, Any]:
    """One partition's row: lag, since when its committed offset has this value (None: the
    group never committed here), and whether that makes it stuck.  ``previous`` is the row of
    the previous sample (None: first look)."""
    lag = max(0, end - (committed if committed is not None else beginning))
    if previous is not None and previous.get("committed") == committed:
        since = float(previous.get("since", now))
        unchanged_for: float | None = round(now - since, 1)
    else:
        since, unchanged_for = now, (None if previous is None else 0.0)
    stuck = lag > 0 and unchanged_for is not None and unchanged_for >= STUCK_AFTER_S
    return {
        "committed": committed,
        "end": end,
        "lag": lag,
        "since": since,
        "unchanged_for_s": unchanged_for,
        "stuck": stuck,
    }


def dispatcher_commit_failures(settings: Settings, timeout_s: float = 1.0) -> int | None:
    """Consecutive failed commits of the dispatcher on this host, or None when its /metrics
    endpoint does not answer."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    port = worker_metrics_port(settings.metrics, "dispatcher")
    url = f"http://{settings.metrics.host}:{port}/metrics"
    try:
        response = httpx.get(url, timeout=timeout_s, trust_env=False)
        response.raise_for_status()
    except httpx.HTTPError:
        return None
    text = response.text
    for family in text_string_to_metric_families(text):
        if family.name == DISPATCHER_FAILURES:
            return int(max((s.value for s in family.samples), default=0))
    return None


def collect_commit_health(
    settings: Settings,
    supervisor: Mapping[str, Any],
    *,
    timeout_s: float = 5.0,
    now: float | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The commit-health section of the status report and its problems."""
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
    from kafka.errors import KafkaError

    now = time.time() if now is None else now
    problems: list[str] = []
    history_path = RuntimePaths.from_settings(settings).run_dir / HISTORY_FILE
    history = _read_history(history_path)
    timeout_ms = int(timeout_s * 1000)
    common = {
        **settings.kafka.client_kwargs(),
        "request_timeout_ms": timeout_ms,
        "bootstrap_timeout_ms": timeout_ms,
    }
    groups: list[dict[str, Any]] = []
    admin = consumer = None
    try:
        admin = KafkaAdminClient(**common)
        consumer = KafkaConsumer(**common, enable_auto_commit=False)
        for watched in watched_groups(settings):
            offsets = admin.list_group_offsets([watched.group]).get(watched.group, {})
            partitions = sorted(consumer.partitions_for_topic(watched.topic) or ())
            tps = [TopicPartition(watched.topic, p) for p in partitions]
            ends = consumer.end_offsets(tps) if tps else {}
            beginnings = consumer.beginning_offsets(tps) if tps else {}
            committed = {
                tp.partition: meta.offset
                for tp, meta in offsets.items()
                if tp.topic == watched.topic and meta.offset >= 0
            }
            before = history.get(watched.group, {})
            rows = {
                str(p): assess_partition(
                    before.get(str(p)),
                    committed.get(p),
                    int(ends.get(tp, 0)),
                    now,
                    int(beginnings.get(tp, 0)),
                )
                for p, tp in zip(partitions, tps, strict=True)
            }
            groups.append(
                {
                    "worker": watched.worker,
                    "group": watched.group,
                    "topic": watched.topic,
                    "committed_any": bool(committed),
                    "lag": sum(r["lag"] for r in rows.values()),
                    "partitions": rows,
                    "stuck": [int(p) for p, r in rows.items() if r["stuck"]],
                }
            )
            for p, row in rows.items():
                if row["stuck"]:
                    where = f"{watched.topic}:{p}"
                    what = (
                        f"offset {row['committed']} has not moved"
                        if row["committed"] is not None
                        else "nothing has been committed"
                    )
                    problems.append(
                        f"{watched.worker} commits are stuck: {where} {what} for "
                        f"{row['unchanged_for_s']:.0f}s while {row['lag']} records wait (group "
                        f"{watched.group}: is a {watched.worker} running? see its log)"
                    )
    except (KafkaError, OSError, ValueError) as exc:
        return {"reachable": False, "error": str(exc)[:200]}, []
    finally:
        for client in (consumer, admin):
            if client is not None:
                client.close()
    _write_history(history_path, {g["group"]: g["partitions"] for g in groups})

    failures: int | None = None
    if _running(supervisor, "dispatcher") and settings.metrics.enabled:
        failures = dispatcher_commit_failures(settings)
        if failures:
            problems.append(
                f"the dispatcher's last {failures} offset commit(s) failed "
                f"({DISPATCHER_FAILURES}); its log says why"
            )
    return {
        "reachable": True,
        "groups": groups,
        "dispatcher_commit_failures": failures,
        "stuck_after_s": STUCK_AFTER_S,
    }, problems


def _running(supervisor: Mapping[str, Any], worker: str) -> bool:
    return bool(supervisor.get("running")) and any(
        w.get("name") == worker and w.get("state") == "running"
        for w in supervisor.get("workers", [])
    )


def _read_history(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_history(path: Path, groups: Mapping[str, Any]) -> None:
    from parley.supervisor import write_json_atomically

    # A read-only data directory: the next run can tell the lag, not for how long.
    with contextlib.suppress(OSError):
        write_json_atomically(path, dict(groups))


# -- rendering -----------------------------------------------------------------------------------


def render_commit_health(commits: Mapping[str, Any]) -> Any:
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    if not commits.get("reachable"):
        return Panel(
            f"[red]unknown[/red]: {escape(str(commits.get('error')))}", title="Offset commits"
        )
    table = Table("worker", "group", "topic", "lag", "offsets unchanged for", "state", expand=True)
    for group in commits.get("groups", []):
        rows = group["partitions"].values()
        waiting = [r["unchanged_for_s"] for r in rows if r["lag"] > 0]
        known = [w for w in waiting if w is not None]
        unchanged = (
            "-" if not waiting else f"{max(known):.0f}s" if known else "first look (run again)"
        )
        if group["stuck"]:
            state = "[red]stuck[/red] on partition " + ", ".join(map(str, group["stuck"]))
        elif not group["committed_any"]:
            state = "[dim]no commits yet[/dim]"
        else:
            state = "[green]moving[/green]" if waiting else "[green]caught up[/green]"
        table.add_row(
            group["worker"],
            escape(group["group"]),
            escape(group["topic"]),
            str(group["lag"]),
            unchanged,
            state,
        )
    failures = commits.get("dispatcher_commit_failures")
    line = (
        "dispatcher metrics: not read (not running under `parley up` here)"
        if failures is None
        else f"dispatcher: [red]{failures} failed commits in a row[/red]"
        if failures
        else "dispatcher: last commit succeeded"
    )
    from rich.console import Group

    return Panel(Group(table, line), title="Offset commits")
