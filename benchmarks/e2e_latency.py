"""End-to-end benchmark: publish → Kafka → searchable → alert, under a sustained load.

A local newsroom on 127.0.0.1 publishes ``--rate`` articles per second into ``--feeds`` RSS feeds
for ``--duration`` seconds; the real workers (``parley poll`` × ``--pollers``, ``parley
pipeline``, ``parley alerts dispatch``) run as processes against Kafka and Elasticsearch; a
webhook receiver verifies each alert's signature.  Every article carries one official statement
about talks, so every article must end in exactly one alert.

    .venv/bin/python -m benchmarks.e2e_latency --rate 40 --feeds 8 --duration 120 --pollers 2

Pages come from ``--corpus`` (default ``../shared/corpus/article-pages`` next to the
repository) when it exists, else they are generated.  Results: one JSON line per run appended to
``benchmarks/results/e2e.jsonl`` (machine, commit, parameters, figures); ``--profile`` also
samples every worker with py-spy and writes the top frames per stage to
``benchmarks/results/profiles/``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import profiles
from benchmarks.harness.journey import Journeys, account, hop_figures, summary
from benchmarks.harness.machine import commit, load_average, machine
from benchmarks.harness.newsroom import (
    STATEMENT_TEMPLATES,
    SUBJECTS,
    GeneratedPages,
    Newsroom,
    Phase,
    page_source,
    statement_for,
    statement_survives,
)
from benchmarks.harness.receiver import WebhookReceiver
from benchmarks.harness.stack import Stack, StackOptions
from parley.config import REPO_ROOT, load_settings

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_CORPUS = REPO_ROOT / ".." / "shared" / "corpus" / "article-pages"


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (``/proc/<pid>/stat``), None if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def service_pids(data_dir: Path) -> dict[str, int]:
    pids = {}
    for label, path in (
        ("kafka", data_dir / "kafka" / "kafka.pid"),
        ("elasticsearch", data_dir / "elasticsearch" / "elasticsearch.pid"),
    ):
        try:
            pids[label] = int(path.read_text().strip())
        except (OSError, ValueError):
            continue
    return pids


def cpu_snapshot(stack: Stack, services: dict[str, int]) -> dict[str, float]:
    """CPU seconds per process of the run: workers, the services, this harness."""
    out: dict[str, float] = {}
    for role, workers in stack.workers.items():
        for worker in workers:
            value = cpu_seconds(worker.pid)
            if value is not None:
                out[f"{role}-{worker.index}"] = value
    for label, pid in services.items():
        value = cpu_seconds(pid)
        if value is not None:
            out[label] = value
    own = os.times()
    out["harness (newsroom, receiver, watchers)"] = own.user + own.system
    return out


def cpu_figures(
    before: dict[str, float], after: dict[str, float], seconds: float, articles: int
) -> dict[str, dict[str, float]]:
    """CPU per process over the measured part: cores used on average, ms per article.  A
    worker restarted meanwhile appears under its new index, counted from its start."""
    out = {}
    for label, end in after.items():
        used = end - before.get(label, 0.0)
        out[label] = {
            "cpu_s": round(used, 1),
            "cores": round(used / seconds, 2),
            "ms_per_article": round(1000 * used / max(articles, 1), 1),
        }
    return out


def check_statements() -> None:
    """Every statement variant must come out of the extractor as an official's quote about
    talks; otherwise the run would measure a subscription that never fires."""
    pages = GeneratedPages(count=1)
    failing = [
        statement_for(i)
        for i in range(len(STATEMENT_TEMPLATES) * len(SUBJECTS))
        if not statement_survives(pages.render(0, statement_for(i)), statement_for(i))
    ]
    if failing:
        raise SystemExit(
            "the extractor does not find these statements as officials' quotes about talks:\n"
            + "\n".join(failing)
        )


def start_profilers(
    stack: Stack, seconds: float, rate: int, out: Path
) -> list[tuple[str, Path, subprocess.Popen[bytes]]]:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    started = []
    for role, workers in stack.workers.items():
        for worker in workers:
            if not worker.alive():
                continue
            raw = out / f"{role}-{worker.index}.raw"
            proc = subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(worker.pid),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    str(rate),
                    "--nonblocking",
                    "--format",
                    "raw",
                    "--output",
                    str(raw),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            started.append((f"{role}-{worker.index}", raw, proc))
    return started


def run(args: argparse.Namespace) -> dict[str, Any]:
    base = load_settings(args.config) if args.config else load_settings()
    bootstrap = args.bootstrap or base.kafka.bootstrap_servers
    es_hosts = args.elasticsearch or base.elasticsearch.hosts
    name = "bench" + uuid.uuid4().hex[:8]
    load_before = load_average()

    check_statements()
    corpus = None if args.generated else Path(args.corpus).resolve()
    started = time.monotonic()
    pages = page_source(corpus)
    pages_info: dict[str, Any] = {"source": pages.name, "pages": len(pages)}
    if corpus is not None and pages.name == "corpus":
        pages_info["corpus_pages"] = getattr(pages, "total", None)
        pages_info["prepare_s"] = round(time.monotonic() - started, 1)
    print(f"pages: {pages_info}", file=sys.stderr)

    workdir = Path(tempfile.mkdtemp(prefix=f"parley-{name}-"))
    names = [n.strip() for n in args.hosts.split(",") if n.strip()]
    newsroom = Newsroom(pages, args.feeds, window=args.window, names=names).start()
    receiver = WebhookReceiver(secrets.token_hex(16)).start()
    stack = Stack(
        workdir,
        name,
        bootstrap=bootstrap,
        es_hosts=es_hosts,
        newsroom=newsroom,
        receiver=receiver,
        options=StackOptions(
            pollers=args.pollers,
            poll_interval=args.poll_interval,
            partitions=args.partitions,
            ingest={"extraction_threads": args.extraction_threads},
        ),
    )
    journeys = Journeys(
        newsroom,
        receiver,
        stack.settings.kafka.client_kwargs(),
        stack.settings.kafka.topics.articles,
        stack.settings.elasticsearch.client_kwargs(),
        stack.settings.elasticsearch.index("articles"),
        stack.settings.elasticsearch.index("alerts"),
    )
    result: dict[str, Any] = {}
    try:
        stack.prepare()
        journeys.start()
        stack.start_all()
        # A worker that exits is restarted, as systemd or Kubernetes would; restarts are part
        # of the result.
        stack.supervise()
        # Warm-up: one article per feed must go all the way through before the clock starts
        # (Beam start-up, consumer group joins and first polls are not steady state).
        warm = [newsroom.publish(feed=k) for k in range(args.feeds)]
        if not journeys.wait_complete(warm, timeout=args.warmup_timeout):
            raise SystemExit(
                "warm-up articles did not all arrive:\n"
                + "\n".join(stack.log_tail(r, 15) for r in ("poller", "pipeline", "dispatcher"))
            )
        measured_from = len(newsroom.snapshot())
        load_start = load_average()
        print(f"warm-up done; load average {load_start}; publishing", file=sys.stderr)

        profilers: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
        profile_dir = workdir / "profiles"
        if args.profile:
            profile_dir.mkdir()
            profilers = start_profilers(stack, args.duration, args.profile_rate, profile_dir)

        services = service_pids(base.services.data_dir)
        cpu_before = cpu_snapshot(stack, services)
        t0 = time.time()
        newsroom.run_schedule([Phase(args.rate, args.duration)])
        newsroom.schedule_done(args.duration + 60)
        t_end = time.time()
        measured = newsroom.snapshot()[measured_from:]
        complete = journeys.wait_complete(measured, timeout=args.drain_timeout)
        drained_at = time.time()
        cpu_after = cpu_snapshot(stack, services)
        load_end = load_average()
        for _, _, proc in profilers:
            proc.wait(60)

        lines = journeys.lines(measured, with_alert_docs=True)
        accounting = account(lines, receiver)
        # Sustained throughput: stories whose alert arrived while publishing went on, over the
        # publishing time; a system that keeps up completes as many as were offered.
        alerts_in_window = [t.alert for t in lines if t.alert is not None and t.alert <= t_end]
        last_alert = max((t.alert for t in lines if t.alert is not None), default=None)
        thirds = [lines[i * len(lines) // 3 : (i + 1) * len(lines) // 3] for i in range(3)]
        polls = [log.polls for log in newsroom.feed_logs]
        gaps = [b - a for p in polls for a, b in itertools.pairwise(p) if a >= t0]
        result = {
            "benchmark": "e2e_latency",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            **commit(),
            "load_average": {"before": load_before, "start": load_start, "end": load_end},
            "params": {
                "rate": args.rate,
                "feeds": args.feeds,
                "duration_s": args.duration,
                "poll_interval_s": args.poll_interval,
                "pollers": args.pollers,
                "extraction_threads": args.extraction_threads,
                "partitions": args.partitions,
                "hosts": names,
                "feed_window": args.window,
                "search_poll_s": journeys.search.interval,
                "pages": pages_info,
            },
            "complete": complete,
            "accounting": accounting.as_dict(),
            "throughput": {
                "offered_per_s": round(len(measured) / max(t_end - t0, 1e-9), 2),
                "alerted_while_publishing_per_s": round(
                    len(alerts_in_window) / max(t_end - t0, 1e-9), 2
                ),
                "drain_after_last_publish_s": round(last_alert - t_end, 2) if last_alert else None,
            },
            "poll_interval_observed": summary(gaps),
            "hops_s": hop_figures(lines),
            "listed_to_alert_by_third_s": [
                summary(
                    (t.alert - t.story.listed_at) if t.alert and t.story.listed_at else None
                    for t in part
                )
                for part in thirds
            ],
            "page_fetches": {
                "requests": newsroom.page_requests,
                "stories_fetched_twice": sum(1 for s in measured if s.fetches > 1),
            },
            "worker_restarts": [
                {"role": role, "at_s": round(at - t0, 1), "exit_code": code}
                for role, at, code in stack.restarts
            ],
            "wall_s": round(drained_at - t0, 1),
            "cpu": cpu_figures(cpu_before, cpu_after, drained_at - t0, len(measured)),
        }
        if args.profile:
            profile_out: dict[str, Any] = {}
            for label, raw, _ in profilers:
                if raw.exists():
                    s = profiles.summarise(raw)
                    profile_out[label] = s
            result["profile"] = {"rate_hz": args.profile_rate, "workers": profile_out}
    finally:
        codes = stack.stop_all()
        journeys.stop()
        receiver.stop()
        newsroom.stop()
        if result:
            result["exit_codes"] = codes
        if not args.keep:
            stack.destroy()
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir} and the run's topics/indices ({name})", file=sys.stderr)
    return result


def table(result: dict[str, Any]) -> str:
    hops = result["hops_s"]
    rows = [
        "| hop | p50 s | p95 s | p99 s | max s | n |",
        "|---|---|---|---|---|---|",
    ]
    for name, fig in hops.items():
        rows.append(
            f"| {name} | {fig['p50']} | {fig['p95']} | {fig['p99']} | {fig['max']} | {fig['n']} |"
        )
    return "\n".join(rows)


def profile_text(result: dict[str, Any]) -> str:
    """The committed summary of a profiled run: CPU per process, then each worker's top
    frames."""
    params = result["params"]
    lines = [
        f"# Where the time goes at {params['rate']:g} articles/s ({params['pages']['source']} "
        f"pages, {params['pollers']} pollers), commit {result['commit']}, {result['at']}",
        "",
        f"Load average before/after: {result['load_average']['start']} / "
        f"{result['load_average']['end']}; worker restarts: "
        + (
            ", ".join(
                f"{r['role']} at {r['at_s']} s (exit {r['exit_code']})"
                for r in result["worker_restarts"]
            )
            or "none"
        )
        + " (a restarted worker's replacement is not sampled).",
        "",
        "## CPU per process over the measured part (/proc, user + system)",
        "",
        "| process | CPU s | cores | ms per article |",
        "|---|---|---|---|",
    ]
    for label, fig in result["cpu"].items():
        lines.append(f"| {label} | {fig['cpu_s']} | {fig['cores']} | {fig['ms_per_article']} |")
    lines.append("")
    for label, summary_ in result["profile"]["workers"].items():
        lines.append(
            profiles.render(label, summary_, params["duration_s"], result["profile"]["rate_hz"])
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0, help="articles per second")
    parser.add_argument("--feeds", type=int, default=8)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of publishing")
    parser.add_argument("--poll-interval", type=float, default=1.0, help="seconds, every feed")
    parser.add_argument("--pollers", type=int, default=1, help="parley poll processes")
    parser.add_argument("--extraction-threads", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument(
        "--hosts",
        default="127.0.0.1,localhost",
        help="host names of the newsroom's outlets (each must resolve to 127.0.0.1); parley "
        "assigns feeds to pollers by host, so two names let two pollers share the load",
    )
    parser.add_argument("--window", type=int, default=200, help="items listed per feed")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--generated", action="store_true", help="generated pages only")
    parser.add_argument("--config", help="parley YAML for the Kafka/Elasticsearch connection")
    parser.add_argument("--bootstrap", help="Kafka bootstrap servers (default from settings)")
    parser.add_argument("--elasticsearch", help="Elasticsearch URL (default from settings)")
    parser.add_argument("--warmup-timeout", type=float, default=240.0)
    parser.add_argument("--drain-timeout", type=float, default=180.0)
    parser.add_argument("--profile", action="store_true", help="py-spy every worker")
    parser.add_argument("--profile-rate", type=int, default=50)
    parser.add_argument("--results", default=str(RESULTS_DIR / "e2e.jsonl"))
    parser.add_argument("--no-results", action="store_true", help="print only")
    parser.add_argument("--keep", action="store_true", help="keep topics, indices, logs")
    args = parser.parse_args(argv)

    result = run(args)
    if not result:
        return 1
    line = json.dumps(result, ensure_ascii=False)
    if not args.no_results:
        path = Path(args.results)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        if "profile" in result:
            pdir = path.parent / "profiles"
            pdir.mkdir(exist_ok=True)
            stamp = result["at"].replace(":", "").replace("-", "")[:15]
            (pdir / f"e2e-{stamp}.txt").write_text(profile_text(result), encoding="utf-8")
    printable = {k: v for k, v in result.items() if k not in ("profile", "hops_s")}
    print(json.dumps(printable, indent=1))
    print(table(result))
    acc = result["accounting"]
    return 0 if result["complete"] and acc["lost"] == 0 and acc["duplicate_alerts"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
