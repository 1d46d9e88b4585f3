"""Pipeline benchmark: Kafka -> extraction -> Elasticsearch, on the real services.

Three measurements over the same generated articles (paragraphs of the seed article, shuffled
per article, so every article has the seed's density of statements and triggers):

1. baseline, in this process: decode + extract + build documents for every record, then bulk
   index them with ``BulkIndexer`` alone (no Kafka, no Beam): what the pipeline cannot beat;
2. throughput: the records are produced to Kafka first, then ``parley pipeline --bounded`` runs
   as its own process; sustained articles/s is read from the Elasticsearch count between 10 %
   and 90 % of the articles (start-up excluded), plus the whole wall time;
3. latency: ``parley pipeline`` (streaming) runs as its own process while articles are produced
   at ``--rate`` per second; each article's produce acknowledgement -> first search hit
   (searchable, i.e. refreshed) gives p50/p95/max.

    .venv/bin/python -m benchmarks.bench_pipeline --articles 2000 --rate 50 --seconds 60

Results: printed, and one JSON line appended to ``benchmarks/results/pipeline.jsonl``.
Extra arguments after ``--`` go to ``parley pipeline`` (e.g. ``-- --runner=PrismRunner ...``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from benchmarks.harness.ports import free_port
from ingest.ids import article_id
from ingest.records import ArticleRecord
from parley.config import REPO_ROOT, Settings, load_settings
from pipeline.processing import KafkaMessage, process_message, statement_extractor
from sinks.elasticsearch.bulk import BulkAction, BulkIndexer
from sinks.elasticsearch.client import make_client
from sinks.elasticsearch.setup import install_templates
from sinks.elasticsearch.templates import INDICES

SEED = REPO_ROOT / "tests" / "fixtures" / "seed-article.txt"
RESULTS = REPO_ROOT / "benchmarks" / "results" / "pipeline.jsonl"
PARTITIONS = 3


def articles(n: int, tag: str, seed: int = 7) -> list[ArticleRecord]:
    paragraphs = [p for p in SEED.read_text("utf-8").split("\n") if p.strip()]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        paras = paragraphs[:]
        rng.shuffle(paras)
        url = f"https://bench-{tag}.example/{i}"
        out.append(
            ArticleRecord(
                id=article_id(url),
                url=url,
                title=f"Bench article {i}",
                text=f"KYIV, {i}.\n" + "\n".join(paras[: rng.randint(6, len(paras))]),
                outlet=f"outlet-{i % 17}",
            )
        )
    return out


def bench_settings(base: Settings, name: str) -> Settings:
    return load_settings(
        kafka={
            "bootstrap_servers": base.kafka.bootstrap_servers,
            "topics": {"articles": f"{name}.articles", "deadletter": f"{name}.deadletter"},
        },
        elasticsearch={"hosts": base.elasticsearch.hosts, "index_prefix": name},
        alerts={"enabled": False},
        pipeline={"group_id": f"{name}-pipeline"},
    )


def setup(settings: Settings, es: Elasticsearch) -> None:
    admin = KafkaAdminClient(**settings.kafka.client_kwargs())
    try:
        admin.create_topics(
            [
                NewTopic(settings.kafka.topics.articles, PARTITIONS, 1),
                NewTopic(settings.kafka.topics.deadletter, 1, 1),
            ]
        )
    finally:
        admin.close()
    install_templates(es, settings.elasticsearch)


def teardown(settings: Settings, es: Elasticsearch) -> None:
    for name in INDICES:
        index = settings.elasticsearch.index(name)
        es.options(ignore_status=404).indices.delete(index=index)
        es.options(ignore_status=404).indices.delete_index_template(name=index)
    admin = KafkaAdminClient(**settings.kafka.client_kwargs())
    try:
        admin.delete_topics([settings.kafka.topics.articles, settings.kafka.topics.deadletter])
    except Exception as exc:  # cleanup must not hide the figures
        print(f"topic cleanup failed: {exc}", file=sys.stderr)
    finally:
        admin.close()


def baseline(settings: Settings, es: Elasticsearch, records: list[ArticleRecord]) -> dict[str, Any]:
    """Pure extractor + document builders, then BulkIndexer alone, on the same records."""
    extract = statement_extractor()
    payloads = [r.to_bytes() for r in records]
    started = time.perf_counter()
    processed = [
        process_message(
            KafkaMessage("bench", 0, i, None, p, 0), extract=extract, max_record_bytes=8 << 20
        )
        for i, p in enumerate(payloads)
    ]
    extracted = time.perf_counter()
    indexer = BulkIndexer(es, max_actions=1000)
    actions = [
        BulkAction(settings.elasticsearch.index(d.index), d.id, d.source)
        for r in processed
        for d in r.documents
    ]
    for i in range(0, len(actions), 1000):
        indexer.write(actions[i : i + 1000])
    done = time.perf_counter()
    return {
        "articles": len(records),
        "documents": len(actions),
        "extract_articles_per_s": round(len(records) / (extracted - started), 1),
        "extract_and_index_articles_per_s": round(len(records) / (done - started), 1),
    }


def produce(settings: Settings, records: list[ArticleRecord]) -> None:
    producer = KafkaProducer(**settings.kafka.client_kwargs(), acks="all", linger_ms=5)
    for r in records:
        producer.send(settings.kafka.topics.articles, key=r.id.encode(), value=r.to_bytes())
    producer.flush()
    producer.close()


def pipeline_process(
    settings: Settings, extra: list[str], *, bounded: bool, log: Path, metrics_port: int = 0
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "PARLEY_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
            "PARLEY_KAFKA__TOPICS__ARTICLES": settings.kafka.topics.articles,
            "PARLEY_KAFKA__TOPICS__DEADLETTER": settings.kafka.topics.deadletter,
            "PARLEY_ELASTICSEARCH__HOSTS": settings.elasticsearch.hosts,
            "PARLEY_ELASTICSEARCH__INDEX_PREFIX": settings.elasticsearch.index_prefix,
            "PARLEY_PIPELINE__GROUP_ID": settings.pipeline["group_id"],
            "PARLEY_ALERTS__ENABLED": "false",
            "PARLEY_METRICS__ENABLED": "true" if metrics_port else "false",
            "PARLEY_METRICS__PORT": str(metrics_port),
        }
    )
    parley = Path(sys.executable).parent / "parley"
    args = [str(parley), "--log-format", "json", "pipeline", *(["--bounded"] if bounded else [])]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*args, *extra], env=env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT
        )


def count(es: Elasticsearch, index: str) -> int:
    return int(es.count(index=index)["count"])


def throughput(
    settings: Settings, es: Elasticsearch, records: list[ArticleRecord], extra: list[str], log: Path
) -> dict[str, Any]:
    produce(settings, records)
    index = settings.elasticsearch.index("articles")
    samples: list[tuple[float, int]] = []
    started = time.monotonic()
    proc = pipeline_process(settings, extra, bounded=True, log=log)
    while proc.poll() is None:
        samples.append((time.monotonic() - started, count(es, index)))
        time.sleep(0.25)
    wall = time.monotonic() - started
    es.indices.refresh(index=index)
    total = count(es, index)
    if proc.returncode != 0 or total != len(records):
        raise SystemExit(
            f"pipeline exit {proc.returncode}, {total}/{len(records)} indexed; see {log}"
        )
    n = len(records)

    def first_at(k: int) -> float:
        return next(t for t, c in [*samples, (wall, total)] if c >= k)

    lo, hi = int(0.1 * n), int(0.9 * n)
    sustained = (hi - lo) / max(1e-9, first_at(hi) - first_at(lo))
    return {
        "articles": n,
        "wall_s": round(wall, 2),
        "articles_per_s_wall": round(n / wall, 1),
        "articles_per_s_sustained": round(sustained, 1),
    }


def latency(
    settings: Settings,
    es: Elasticsearch,
    records: list[ArticleRecord],
    rate: float,
    extra: list[str],
    log: Path,
) -> dict[str, Any]:
    index = settings.elasticsearch.index("articles")
    port = free_port()
    proc = pipeline_process(settings, extra, bounded=False, log=log, metrics_port=port)
    try:
        # Warm-up: the first article makes sure the job is reading before the clock starts.
        warm, measured = records[0], records[1:]
        produce(settings, [warm])
        deadline = time.monotonic() + 120
        while count(es, index) < 1:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"pipeline did not start; see {log}")
            time.sleep(0.2)

        produced_at: dict[str, float] = {}
        seen_at: dict[str, float] = {}
        lock = threading.Lock()
        finished = threading.Event()

        def searcher() -> None:
            while not finished.is_set() or len(seen_at) < len(produced_at):
                with lock:
                    pending = [i for i in produced_at if i not in seen_at]
                if pending:
                    hits = es.search(
                        index=index,
                        query={"ids": {"values": pending}},
                        size=len(pending),
                        source=False,
                    )["hits"]["hits"]
                    now = time.monotonic()
                    for h in hits:
                        seen_at.setdefault(h["_id"], now)
                time.sleep(0.05)
                if finished.is_set() and time.monotonic() > give_up:
                    return

        give_up = float("inf")
        search_thread = threading.Thread(target=searcher, daemon=True)
        search_thread.start()
        producer = KafkaProducer(**settings.kafka.client_kwargs(), acks="all", linger_ms=0)
        interval = 1.0 / rate
        start = time.monotonic()
        for i, r in enumerate(measured):
            target = start + i * interval
            time.sleep(max(0.0, target - time.monotonic()))
            producer.send(settings.kafka.topics.articles, key=r.id.encode(), value=r.to_bytes())
            producer.flush()  # acknowledged: the clock starts when Kafka has it
            with lock:
                produced_at[r.id] = time.monotonic()
        producer.close()
        give_up = time.monotonic() + 60
        finished.set()
        search_thread.join()
        stored = stored_quantiles(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    latencies = sorted(seen_at[i] - produced_at[i] for i in produced_at if i in seen_at)
    missing = len(produced_at) - len(latencies)
    q = statistics.quantiles(latencies, n=100)
    return {
        "rate_per_s": rate,
        "articles": len(produced_at),
        "not_seen": missing,
        "p50_s": round(q[49], 3),
        "p95_s": round(q[94], 3),
        "max_s": round(latencies[-1], 3),
        "clean_exit": proc.returncode == 0,
        # The pipeline's own share (Kafka record timestamp -> bulk acknowledged), from its
        # histogram; the rest of the latency is Elasticsearch's refresh interval.
        "stored_p50_le_s": stored[0],
        "stored_p95_le_s": stored[1],
    }


def stored_quantiles(port: int) -> tuple[float, float]:
    """Upper bucket bounds holding the 50th and 95th percentile of produce -> stored."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    buckets: list[tuple[float, float]] = []
    for line in body.splitlines():
        if line.startswith("parley_pipeline_produce_to_stored_seconds_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float(le), float(line.rsplit(" ", 1)[1])))
    total = buckets[-1][1]
    p50 = next(le for le, c in buckets if c >= 0.5 * total)
    p95 = next(le for le, c in buckets if c >= 0.95 * total)
    return p50, p95


def main(argv: list[str] | None = None) -> None:
    args_in = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in args_in:
        cut = args_in.index("--")
        args_in, extra = args_in[:cut], args_in[cut + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--skip", choices=("baseline", "throughput", "latency"), action="append")
    args = parser.parse_args(args_in)
    skip = set(args.skip or [])

    base = load_settings()
    es = make_client(base.elasticsearch)
    run_id = "bench" + uuid.uuid4().hex[:8]
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"{run_id}-pipeline.log"
    records = articles(args.articles, run_id)
    result: dict[str, Any] = {
        "benchmark": "pipeline",
        "at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "pipeline_args": extra,
    }
    phases = [
        ("baseline", lambda s: baseline(s, es, records)),
        ("throughput", lambda s: throughput(s, es, records, extra, log)),
        (
            "latency",
            lambda s: latency(
                s,
                es,
                articles(int(args.rate * args.seconds) + 1, run_id + "l"),
                args.rate,
                extra,
                log,
            ),
        ),
    ]
    for name, phase in phases:
        if name in skip:
            continue
        settings = bench_settings(base, f"{run_id}-{name}")
        setup(settings, es)
        try:
            result[name] = phase(settings)
            print(name, json.dumps(result[name]), flush=True)
        finally:
            teardown(settings, es)
    if "baseline" in result and "throughput" in result:
        result["throughput_vs_baseline"] = round(
            result["throughput"]["articles_per_s_sustained"]
            / result["baseline"]["extract_and_index_articles_per_s"],
            2,
        )
        print("throughput_vs_baseline", result["throughput_vs_baseline"])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
