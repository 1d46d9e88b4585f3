"""``parley status``: one look at the whole monitor.

- workers: state, restarts and uptime from the state file of ``parley up``;
- Kafka: consumer lag per group (committed offsets vs end offsets on parley's topics) and the
  number of dead letters (end offsets of the dead-letter topic);
- partitions: which member of each consumer group (which pipeline, dispatcher or poller
  process) holds which partitions of parley's topics, and its lag;
- feeds: health summary from the pollers' state store;
- Elasticsearch: documents per index, alerts per delivery status;
- offset commits: whether the pipeline's and the dispatcher's committed offsets move
  (``parley.commit_health``).

Each part is collected on its own, so a part that is down is shown as unreachable while the rest
still reports; the command then exits 1 (0 only when everything is up and healthy).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from parley.config import Settings, get_settings
from parley.redact import redact, redact_data
from parley.runtime_paths import RuntimePaths

DOCUMENT_INDICES = ("articles", "statements", "alerts")


@dataclass
class StatusReport:
    supervisor: dict[str, Any] = field(default_factory=dict)
    kafka: dict[str, Any] = field(default_factory=dict)
    partitions: dict[str, Any] = field(default_factory=dict)
    feeds: dict[str, Any] = field(default_factory=dict)
    elasticsearch: dict[str, Any] = field(default_factory=dict)
    commits: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "supervisor": self.supervisor,
            "kafka": self.kafka,
            "partitions": self.partitions,
            "feeds": self.feeds,
            "elasticsearch": self.elasticsearch,
            "commits": self.commits,
            "problems": self.problems,
        }


# -- collection ----------------------------------------------------------------------------------


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2] != "Z"


def read_supervisor_state(paths: RuntimePaths) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(paths.state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state


def collect_supervisor(paths: RuntimePaths, report: StatusReport, now: datetime) -> None:
    state = read_supervisor_state(paths)
    if state is None:
        report.supervisor = {"running": False, "state_file": str(paths.state_file), "workers": []}
        report.problems.append("parley up is not running (start it with `parley up`)")
        return
    running = isinstance(state.get("pid"), int) and process_alive(state["pid"])
    workers = []
    for worker in state.get("workers", []):
        row = dict(worker)
        started = worker.get("started_at")
        row["uptime_seconds"] = (
            round((now - datetime.fromisoformat(started)).total_seconds())
            if running and started and worker.get("state") == "running"
            else None
        )
        if not running:
            row["state"] = "not running"
        workers.append(row)
        if running and worker.get("crash_looping"):
            report.problems.append(
                f"worker {worker['name']} is crash-looping ({worker.get('last_error')}); "
                f"see {worker.get('log')}"
            )
        elif running and worker.get("state") != "running":
            report.problems.append(f"worker {worker['name']} is {worker.get('state')}")
    report.supervisor = {
        "running": running,
        "pid": state.get("pid"),
        "started_at": state.get("started_at"),
        "state_file": str(paths.state_file),
        "workers": workers,
    }
    if not running:
        report.problems.append(
            f"parley up is not running (last state from {state.get('updated_at')})"
        )


def _kafka_options(settings: Settings, timeout_s: float) -> tuple[set[str], dict[str, Any]]:
    """parley's topic names, and client options that give up after ``timeout_s``."""
    topics = settings.kafka.topics
    timeout_ms = int(timeout_s * 1000)
    options = {
        **settings.kafka.client_kwargs(),
        "request_timeout_ms": timeout_ms,
        "bootstrap_timeout_ms": timeout_ms,
    }
    return {topics.articles, topics.alerts, topics.deadletter, topics.feeds}, options


def collect_kafka(settings: Settings, report: StatusReport, timeout_s: float = 5.0) -> None:
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
    from kafka.errors import KafkaError

    topics = settings.kafka.topics
    parley_topics, common = _kafka_options(settings, timeout_s)
    admin = consumer = None
    try:
        admin = KafkaAdminClient(**common)
        consumer = KafkaConsumer(**common, enable_auto_commit=False)
        groups = []
        for group in admin.list_groups():
            group_id = group["group_id"] if isinstance(group, dict) else group[0]
            offsets = admin.list_group_offsets([group_id]).get(group_id, {})
            committed = {
                tp: meta.offset
                for tp, meta in offsets.items()
                if tp.topic in parley_topics and meta.offset >= 0
            }
            if not committed:
                continue
            ends = consumer.end_offsets(list(committed))
            per_topic: Counter[str] = Counter()
            for tp, offset in committed.items():
                per_topic[tp.topic] += max(0, ends.get(tp, offset) - offset)
            groups.append(
                {
                    "group": group_id,
                    "state": group.get("group_state") if isinstance(group, dict) else None,
                    "lag": sum(per_topic.values()),
                    "lag_by_topic": dict(per_topic),
                }
            )
        partitions = consumer.partitions_for_topic(topics.deadletter) or set()
        dead_tps = [TopicPartition(topics.deadletter, p) for p in sorted(partitions)]
        dead_letters = sum(consumer.end_offsets(dead_tps).values()) if dead_tps else 0
        report.kafka = {
            "reachable": True,
            "bootstrap_servers": settings.kafka.bootstrap_servers,
            "groups": sorted(groups, key=lambda g: str(g["group"])),
            "dead_letters": dead_letters,
            "dead_letter_topic": topics.deadletter,
            "dead_letter_topic_exists": bool(partitions),
        }
    except (KafkaError, OSError, ValueError) as exc:
        report.kafka = {
            "reachable": False,
            "bootstrap_servers": settings.kafka.bootstrap_servers,
            "error": _describe(exc),
        }
        report.problems.append(
            f"Kafka is unreachable at {settings.kafka.bootstrap_servers}: {_describe(exc)}"
        )
    finally:
        for client in (consumer, admin):
            if client is not None:
                client.close()


def collect_partition_owners(
    settings: Settings, report: StatusReport, timeout_s: float = 5.0
) -> None:
    """Members of every consumer group that reads parley's topics: the partitions each holds
    and its lag (end offset minus committed offset; None where the group commits nothing, as
    the pollers on the feeds topic).  A partition that no member of a stable group holds is a
    problem: nothing reads it."""
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
    from kafka.errors import KafkaError

    parley_topics, common = _kafka_options(settings, timeout_s)
    admin = consumer = None
    try:
        admin = KafkaAdminClient(**common)
        consumer = KafkaConsumer(**common, enable_auto_commit=False)
        group_ids = [g["group_id"] for g in admin.list_groups() if g.get("protocol_type")]
        described = admin.describe_groups(group_ids) if group_ids else {}
        groups = []
        for group_id, group in sorted(described.items()):
            members = []
            for member in group.get("members", []):
                assignment = member.get("member_assignment") or {}
                held = sorted(
                    TopicPartition(a["topic"], p)
                    for a in assignment.get("assigned_partitions", [])
                    if a["topic"] in parley_topics
                    for p in a["partitions"]
                )
                if held:
                    members.append((member, held))
            if not members:
                continue
            offsets = admin.list_group_offsets([group_id]).get(group_id, {})
            committed = {tp: m.offset for tp, m in offsets.items() if m.offset >= 0}
            held_all = [tp for _, held in members for tp in held]
            ends = consumer.end_offsets(held_all)
            rows = []
            for member, held in members:
                known = [tp for tp in held if tp in committed]
                rows.append(
                    {
                        "member": member.get("group_instance_id") or member["member_id"],
                        "static": bool(member.get("group_instance_id")),
                        "client_id": member.get("client_id"),
                        "host": str(member.get("client_host") or "").lstrip("/"),
                        "partitions": [f"{tp.topic}:{tp.partition}" for tp in held],
                        "lag": sum(max(0, ends[tp] - committed[tp]) for tp in known)
                        if known
                        else None,
                    }
                )
            unowned = []
            for topic in sorted({tp.topic for tp in held_all}):
                numbers = consumer.partitions_for_topic(topic) or set()
                unowned += [
                    f"{topic}:{p}"
                    for p in sorted(numbers)
                    if TopicPartition(topic, p) not in set(held_all)
                ]
            state = group.get("group_state")
            groups.append(
                {
                    "group": group_id,
                    "state": state,
                    "members": sorted(rows, key=lambda r: str(r["member"])),
                    "unowned": unowned,
                }
            )
            if unowned and state == "Stable":
                report.problems.append(
                    f"consumer group {group_id}: no member reads {', '.join(unowned)}"
                )
        report.partitions = {"reachable": True, "groups": groups}
    except (KafkaError, OSError, ValueError) as exc:
        # Kafka being down is reported once, by collect_kafka.
        report.partitions = {"reachable": False, "error": _describe(exc)}
    finally:
        for client in (consumer, admin):
            if client is not None:
                client.close()


def collect_feeds(settings: Settings, report: StatusReport) -> None:
    from ingest.config import ingest_settings
    from ingest.store import IngestStore

    try:
        config = ingest_settings(settings)
    except ValueError as exc:
        report.feeds = {"available": False, "error": f"invalid ingest settings: {exc}"}
        report.problems.append(report.feeds["error"])
        return
    if not config.state_db.exists():
        report.feeds = {"available": False, "state_db": str(config.state_db), "feeds": 0}
        return
    store = IngestStore(config.state_db)
    try:
        states = list(store.states())
        seen = store.seen_count()
    finally:
        store.close()
    by_status = Counter(s.status for s in states)
    unhealthy = [
        {
            "url": s.url,
            "status": s.status,
            "failures": s.consecutive_failures,
            "error": s.last_error,
        }
        for s in states
        if s.status != "active"
    ]
    report.feeds = {
        "available": True,
        "state_db": str(config.state_db),
        "feeds": len(states),
        "by_status": dict(by_status),
        "articles_seen": seen,
        "last_success_at": max((s.last_success_at or 0 for s in states), default=0) or None,
        "unhealthy": unhealthy[:10],
    }


def collect_elasticsearch(settings: Settings, report: StatusReport, timeout_s: float = 5.0) -> None:
    from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

    es = settings.elasticsearch
    client = Elasticsearch(**{**es.client_kwargs(), "request_timeout": timeout_s, "max_retries": 0})
    try:
        health = client.cluster.health(timeout=f"{int(timeout_s)}s")
        documents: dict[str, int | None] = {}
        for name in DOCUMENT_INDICES:
            try:
                documents[name] = int(client.count(index=es.index(name))["count"])
            except NotFoundError:
                documents[name] = None
                report.problems.append(f"index {es.index(name)} is missing (run `parley setup`)")
        alerts_by_status: dict[str, int] = {}
        if documents.get("alerts") is not None:
            response = client.search(
                index=es.index("alerts"),
                size=0,
                aggs={"status": {"terms": {"field": "status", "size": 20}}},
            )
            alerts_by_status = {
                b["key"]: int(b["doc_count"]) for b in response["aggregations"]["status"]["buckets"]
            }
        report.elasticsearch = {
            "reachable": True,
            "hosts": es.hosts,
            "cluster_status": health.get("status"),
            "documents": {es.index(k): v for k, v in documents.items()},
            "alerts_by_status": alerts_by_status,
        }
        if health.get("status") == "red":
            report.problems.append("Elasticsearch cluster status is red")
    except (TransportError, ApiError) as exc:
        report.elasticsearch = {"reachable": False, "hosts": es.hosts, "error": _describe(exc)}
        report.problems.append(f"Elasticsearch is unreachable at {es.hosts}: {_describe(exc)}")
    finally:
        client.close()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 200 else text[:197] + "…"


def collect_status(
    settings: Settings,
    *,
    now: datetime | None = None,
    timeout_s: float = 5.0,
) -> StatusReport:
    report = StatusReport()
    paths = RuntimePaths.from_settings(settings)
    steps: list[Callable[[], None]] = [
        lambda: collect_supervisor(paths, report, now or datetime.now(UTC)),
        lambda: collect_kafka(settings, report, timeout_s),
        lambda: collect_partition_owners(settings, report, timeout_s),
        lambda: collect_feeds(settings, report),
        lambda: collect_elasticsearch(settings, report, timeout_s),
        lambda: collect_commits(settings, report, timeout_s),
    ]
    for step in steps:
        step()
    _redact_report(report)
    return report


def collect_commits(settings: Settings, report: StatusReport, timeout_s: float) -> None:
    from parley.commit_health import collect_commit_health

    report.commits, problems = collect_commit_health(
        settings, report.supervisor, timeout_s=timeout_s
    )
    report.problems.extend(problems)


def _redact_report(report: StatusReport) -> None:
    """Hosts with user info, error texts quoting a URL: nothing in the report shows a secret."""
    for name in ("supervisor", "kafka", "feeds", "elasticsearch", "commits"):
        setattr(report, name, redact_data(getattr(report, name)))
    report.problems = [redact(problem) for problem in report.problems]


# -- rendering -----------------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


_STATE_STYLE = {"running": "green", "backoff": "yellow", "stopping": "yellow"}


def render_status(report: StatusReport) -> Group:
    parts: list[Any] = []
    sup = report.supervisor
    workers = Table("worker", "state", "pid", "uptime", "restarts", "last exit", "log", expand=True)
    for w in sup.get("workers", []):
        state = str(w.get("state"))
        style = "red" if w.get("crash_looping") else _STATE_STYLE.get(state, "red")
        label = "crash loop" if w.get("crash_looping") else state
        workers.add_row(
            escape(str(w.get("name"))),
            f"[{style}]{escape(label)}[/{style}]",
            str(w.get("pid") or "-"),
            _duration(w.get("uptime_seconds")),
            str(w.get("restarts", 0)),
            escape(str(w.get("last_error") or "-")),
            escape(str(w.get("log") or "")),
        )
    title = (
        f"parley up — pid {sup.get('pid')}, since {sup.get('started_at')}"
        if sup.get("running")
        else "parley up — [red]not running[/red]"
    )
    parts.append(Panel(workers if sup.get("workers") else "no workers", title=title))

    kafka = report.kafka
    if kafka.get("reachable"):
        lag = Table("consumer group", "state", "lag", "by topic", expand=True)
        for g in kafka.get("groups", []):
            by_topic = ", ".join(f"{t}: {n}" for t, n in sorted(g["lag_by_topic"].items()))
            lag.add_row(escape(str(g["group"])), str(g.get("state") or ""), str(g["lag"]), by_topic)
        dead = kafka.get("dead_letters", 0)
        dead_line = f"dead letters in {kafka['dead_letter_topic']}: " + (
            f"[yellow]{dead}[/yellow]" if dead else "0"
        )
        body: Any = Group(lag if kafka.get("groups") else "no consumer groups yet", dead_line)
        parts.append(Panel(body, title=f"Kafka {escape(kafka['bootstrap_servers'])}"))
    else:
        parts.append(
            Panel(
                f"[red]unreachable[/red]: {escape(str(kafka.get('error')))}",
                title=f"Kafka {escape(str(kafka.get('bootstrap_servers')))}",
            )
        )

    if report.partitions.get("groups"):
        parts.append(render_partition_owners(report.partitions))

    feeds = report.feeds
    if feeds.get("available"):
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(feeds["by_status"].items()))
        lines = [f"{feeds['feeds']} feeds ({counts}); {feeds['articles_seen']} articles seen"]
        if feeds.get("last_success_at"):
            moment = datetime.fromtimestamp(feeds["last_success_at"], UTC)
            lines.append(f"last successful poll: {moment:%Y-%m-%d %H:%M:%S} UTC")
        for bad in feeds.get("unhealthy", []):
            lines.append(
                f"[yellow]{escape(bad['status'])}[/yellow] {escape(bad['url'])}"
                f" — {escape(str(bad.get('error') or ''))[:100]}"
            )
        lines.append("details: `parley feeds status`")
        parts.append(Panel("\n".join(lines), title="Feeds"))
    else:
        parts.append(
            Panel(
                escape(str(feeds.get("error") or "no poller state yet")),
                title="Feeds",
            )
        )

    es = report.elasticsearch
    if es.get("reachable"):
        docs = Table("index", "documents", expand=True)
        for index, count in es.get("documents", {}).items():
            docs.add_row(escape(index), "[red]missing[/red]" if count is None else str(count))
        alerts = ", ".join(f"{k}: {v}" for k, v in sorted(es.get("alerts_by_status", {}).items()))
        parts.append(
            Panel(
                Group(docs, f"alerts by status: {alerts or 'none yet'}"),
                title=f"Elasticsearch {escape(es['hosts'])} ({es.get('cluster_status')})",
            )
        )
    else:
        parts.append(
            Panel(
                f"[red]unreachable[/red]: {escape(str(es.get('error')))}",
                title=f"Elasticsearch {escape(str(es.get('hosts')))}",
            )
        )
    if report.commits:
        from parley.commit_health import render_commit_health

        parts.append(render_commit_health(report.commits))
    if report.problems:
        parts.append(
            Panel(
                "\n".join(f"[red]•[/red] {escape(p)}" for p in report.problems),
                title="problems",
                border_style="red",
            )
        )
    else:
        parts.append("[green]everything is up[/green]")
    return Group(*parts)


def render_partition_owners(partitions: dict[str, Any]) -> Panel:
    table = Table("consumer group", "member", "host", "partitions", "lag", expand=True)
    for g in partitions["groups"]:
        for i, m in enumerate(g["members"]):
            table.add_row(
                escape(str(g["group"])) if i == 0 else "",
                escape(str(m["member"])) + ("" if m["static"] else " [dim](dynamic)[/dim]"),
                escape(str(m["host"])),
                escape(", ".join(m["partitions"])),
                "-" if m["lag"] is None else str(m["lag"]),
            )
        if g["unowned"]:
            table.add_row("", "[red]nobody[/red]", "", escape(", ".join(g["unowned"])), "")
    return Panel(table, title="Partitions by worker")


# -- command ---------------------------------------------------------------------------------------


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    timeout: Annotated[
        float, typer.Option(min=0.5, help="Seconds to wait for Kafka and Elasticsearch.")
    ] = 5.0,
) -> None:
    """Workers, consumer lag, feed health, indexed documents, dead letters and alerts.
    Exits 1 when a part is down or unhealthy."""
    started = time.monotonic()
    report = collect_status(get_settings(), timeout_s=timeout)
    if as_json:
        typer.echo(json.dumps(report.to_json(), default=str))
    else:
        console = Console()
        console.print(render_status(report))
        console.print(f"[dim]collected in {time.monotonic() - started:.1f}s[/dim]")
    raise typer.Exit(0 if report.healthy else 1)
