"""Scale-out benchmark: articles/s of one vs two ``parley pipeline`` processes, and CPU per
article, against the same Kafka and Elasticsearch.

Each round starts K pipeline processes (streaming, members of one consumer group) on a fresh
topic of 6 partitions and fresh indices, waits until every process runs over its share of the
partitions, then produces ``--articles`` articles at once (the seed article's paragraphs,
shuffled, as ``bench_pipeline``) and follows how many articles the processes have stored
(their ``parley_pipeline_documents_total`` counters: exact, unlike a search count that moves
with the index refresh).  Measured between 10 % and 90 % of the articles (start-up and the
tail excluded):

- articles/s;
- CPU seconds of each pipeline process, of Elasticsearch and of Kafka (``/proc/<pid>/stat``),
  and of the whole machine (``/proc/stat``), per article;
- how many cores were busy, and how many of them by something else (other work sharing the
  machine): the ceiling that explains the figure.

Rounds alternate (1, 2, 1, 2, …) so that both sides see the same background load; the ratio
of the medians is the result.

    .venv/bin/python -m benchmarks.bench_scale_out --articles 2000 --rounds 3

Results: printed, and one JSON line appended to ``benchmarks/results/scale_out.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from benchmarks.bench_pipeline import articles, bench_settings, free_port, pipeline_process
from benchmarks.harness.machine import commit, load_average, machine
from parley.config import REPO_ROOT, Settings, load_settings
from sinks.elasticsearch.client import make_client
from sinks.elasticsearch.setup import install_templates
from sinks.elasticsearch.templates import INDICES

RESULTS = REPO_ROOT / "benchmarks" / "results" / "scale_out.jsonl"
PARTITIONS = 6
TICKS = os.sysconf("SC_CLK_TCK")


# -- CPU accounting ---------------------------------------------------------------------------


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


def find_service(marker: str) -> int | None:
    """Pid of the local Java service whose command line contains ``marker``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "java" in cmdline and marker in cmdline:
            return int(entry.name)
    return None


@dataclass
class CpuSnapshot:
    at: float
    count: int
    pipelines: list[float]
    elasticsearch: float | None
    kafka: float | None
    own: float
    machine_busy: float


def stored_articles(ports: list[int]) -> int:
    """Articles the pipeline processes have created, from their /metrics."""
    total = 0.0
    wanted = 'parley_pipeline_documents_total{index="articles",outcome="created"}'
    for port in ports:
        url = f"http://127.0.0.1:{port}/metrics"
        body = urllib.request.urlopen(url, timeout=5).read().decode()
        total += sum(
            float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(wanted)
        )
    return int(total)


def snapshot(ports: list[int], pids: list[int], services: dict[str, int | None]) -> CpuSnapshot:
    def cpu(pid: int | None) -> float | None:
        try:
            return process_cpu(pid) if pid else None
        except OSError:
            return None

    return CpuSnapshot(
        at=time.monotonic(),
        count=stored_articles(ports),
        pipelines=[process_cpu(p) for p in pids],
        elasticsearch=cpu(services["elasticsearch"]),
        kafka=cpu(services["kafka"]),
        own=process_cpu(os.getpid()),
        machine_busy=machine_cpu()[0],
    )


# -- one round --------------------------------------------------------------------------------


def start_pipelines(
    settings: Settings, ports: list[int], logs: Path
) -> list[subprocess.Popen[bytes]]:
    return [
        pipeline_process(
            settings,
            ["--instance-id", f"p{n}"],
            bounded=False,
            log=logs / f"{settings.elasticsearch.index_prefix}-pipeline-{n}.log",
            metrics_port=port,
        )
        for n, port in enumerate(ports)
    ]


def wait_until_running(
    settings: Settings, procs: list[subprocess.Popen[bytes]], logs: Path
) -> dict[str, list[int]]:
    """Until the group has one member per process, every partition is held, and each process
    runs over its final share (its last log event is the start of that run)."""
    admin = KafkaAdminClient(**settings.kafka.client_kwargs())
    group_id = settings.pipeline["group_id"]
    topic = settings.kafka.topics.articles
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a pipeline exited; see {logs}")
            group = admin.describe_groups([group_id])[group_id]
            held = {
                m["group_instance_id"]: sorted(
                    p
                    for a in (m.get("member_assignment") or {}).get("assigned_partitions", [])
                    if a["topic"] == topic
                    for p in a["partitions"]
                )
                for m in group["members"]
            }
            every = sorted(p for ps in held.values() for p in ps)
            settled = len(held) == len(procs) and every == list(range(PARTITIONS))
            if settled and all(
                _runs_assignment(settings, logs, n, held[f"p{n}"]) for n in range(len(procs))
            ):
                return held
            time.sleep(0.5)
    finally:
        admin.close()
    raise SystemExit(f"the pipelines did not settle; see {logs}")


def _runs_assignment(settings: Settings, logs: Path, n: int, held: list[int]) -> bool:
    """Whether process ``n``'s Beam run reads ``held`` (from its log events)."""
    log = logs / f"{settings.elasticsearch.index_prefix}-pipeline-{n}.log"
    running: list[int] | None = None
    paused = False  # a rebalance is settling
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        event = record.get("event") if isinstance(record, dict) else None
        if event == "pipeline run starting":
            running, paused = record["partitions"], False
        elif event == "partitions revoked":
            paused = True
        elif event == "partitions assigned":
            paused = False
            if not record.get("run_goes_on"):
                running = None  # a new run is about to start
    return running == held and not paused


def one_round(
    base: Settings, es: Elasticsearch, workers: int, n_articles: int, logs: Path
) -> dict[str, Any]:
    name = "scale" + uuid.uuid4().hex[:8]
    settings = bench_settings(base, name)
    admin = KafkaAdminClient(**settings.kafka.client_kwargs())
    admin.create_topics(
        [
            NewTopic(settings.kafka.topics.articles, PARTITIONS, 1),
            NewTopic(settings.kafka.topics.deadletter, 1, 1),
        ]
    )
    install_templates(es, settings.elasticsearch)
    services = {
        "elasticsearch": find_service("org.elasticsearch"),
        "kafka": find_service("kafka.Kafka"),
    }
    records = articles(n_articles, name)
    ports = [free_port() for _ in range(workers)]
    procs = start_pipelines(settings, ports, logs)
    try:
        held = wait_until_running(settings, procs, logs)
        pids = [p.pid for p in procs]
        producer = KafkaProducer(**settings.kafka.client_kwargs(), acks="all", linger_ms=5)
        for r in records:
            producer.send(settings.kafka.topics.articles, key=r.id.encode(), value=r.to_bytes())
        producer.flush()
        producer.close()
        lo, hi = int(0.1 * n_articles), int(0.9 * n_articles)
        first = last = None
        deadline = time.monotonic() + 300
        while last is None and time.monotonic() < deadline:
            snap = snapshot(ports, pids, services)
            if first is None and snap.count >= lo:
                first = snap
            elif first is not None and snap.count >= hi:
                last = snap
            time.sleep(0.2)
        if first is None or last is None:
            raise SystemExit(f"not indexed in time; see {logs}")
        while stored_articles(ports) < n_articles and time.monotonic() < deadline:
            time.sleep(0.5)
        stored = stored_articles(ports)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(90)
        for index_name in INDICES:
            es.options(ignore_status=404).indices.delete(
                index=settings.elasticsearch.index(index_name)
            )
            es.options(ignore_status=404).indices.delete_index_template(
                name=settings.elasticsearch.index(index_name)
            )
        admin.delete_topics([settings.kafka.topics.articles, settings.kafka.topics.deadletter])
        admin.close()
    return {**figures(workers, held, first, last), "stored": stored, "produced": n_articles}


def figures(
    workers: int, held: dict[str, list[int]], first: CpuSnapshot, last: CpuSnapshot
) -> dict[str, Any]:
    seconds = last.at - first.at
    done = last.count - first.count

    def ms(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(1000 * (b - a) / done, 2)

    per_process = [ms(a, b) for a, b in zip(first.pipelines, last.pipelines, strict=True)]
    pipelines = round(sum(p for p in per_process if p is not None), 2)
    es_ms = ms(first.elasticsearch, last.elasticsearch)
    kafka_ms = ms(first.kafka, last.kafka)
    own_ms = ms(first.own, last.own)
    machine_ms = ms(first.machine_busy, last.machine_busy)
    assert machine_ms is not None
    known = pipelines + (es_ms or 0) + (kafka_ms or 0) + (own_ms or 0)
    return {
        "workers": workers,
        "partitions": held,
        "articles_measured": done,
        "seconds": round(seconds, 2),
        "articles_per_s": round(done / seconds, 1),
        "cpu_ms_per_article": {
            "pipelines": pipelines,
            "per_pipeline": per_process,
            "elasticsearch": es_ms,
            "kafka": kafka_ms,
            "benchmark": own_ms,
            "other_work_on_the_machine": round(machine_ms - known, 2),
            "machine": machine_ms,
        },
        "busy_cores": round((last.machine_busy - first.machine_busy) / seconds, 2),
        "busy_cores_pipelines": round(pipelines * done / 1000 / seconds, 2),
        "load_average": load_average(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per worker count")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)

    base = load_settings()
    es = make_client(base.elasticsearch)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"scale-out-{uuid.uuid4().hex[:8]}"
    logs.mkdir(parents=True)
    result: dict[str, Any] = {
        "benchmark": "scale_out",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **commit(),
        "machine": machine(),
        "articles": args.articles,
        "partitions": PARTITIONS,
        "load_average_start": load_average(),
        "rounds": [],
    }
    for _ in range(args.rounds):
        for workers in args.workers:
            r = one_round(base, es, workers, args.articles, logs)
            result["rounds"].append(r)
            print(json.dumps(r), flush=True)
    summary: dict[str, Any] = {}
    for workers in args.workers:
        mine = [r for r in result["rounds"] if r["workers"] == workers]
        summary[str(workers)] = {
            "articles_per_s": statistics.median(r["articles_per_s"] for r in mine),
            "pipeline_cpu_ms_per_article": statistics.median(
                r["cpu_ms_per_article"]["pipelines"] for r in mine
            ),
            "machine_cpu_ms_per_article": statistics.median(
                r["cpu_ms_per_article"]["machine"] for r in mine
            ),
            "busy_cores": statistics.median(r["busy_cores"] for r in mine),
        }
    if len(args.workers) == 2:
        one, two = (summary[str(w)] for w in args.workers)
        summary["ratio"] = {
            "articles_per_s": round(two["articles_per_s"] / one["articles_per_s"], 2),
            "pipeline_cpu_per_article": round(
                two["pipeline_cpu_ms_per_article"] / one["pipeline_cpu_ms_per_article"], 2
            ),
        }
    result["summary"] = summary
    result["load_average_end"] = load_average()
    print(json.dumps(summary, indent=1))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
