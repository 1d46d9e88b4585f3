"""Alert matching speed and end-to-end alert latency, on the real Kafka and Elasticsearch.

    python benchmarks/bench_alerts.py [--subscriptions 10000] [--batch 100] [--rounds 10]
                                      [--json results.json]

1. **Matching**: ``--subscriptions`` subscriptions (a seeded mix of structured filters, Lucene
   queries and both) and batches of ``--batch`` new statements (one article about talks among
   unrelated statements); the time of one match (staging + one msearch + alert building).
   Profiles: "typical" (most subscribers follow specific people and phrases), "broad" (many follow
   whole topics, so an article about talks alerts far more of them) and "lucene-only" (every
   subscription is a query string: the structured prefilter can skip none).
2. **Latency**: the same kind of subscriptions, each with a signed webhook to a receiver on
   127.0.0.1; the pipeline side (index + hook) in this process, the dispatcher and the receiver in
   their own; from "the bulk write of the statements returned" to "the webhook request arrived",
   for every alert of every round: median, p95, max.  It grows with the alerts per batch, so it is
   measured for "selective" (a few alerts per batch), "typical" and "broad" subscriptions.

Uses its own index prefix and topics and removes them afterwards.  Needs the services running
(``parley services up``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import queue
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from elasticsearch import Elasticsearch
from support.alerting import (
    alert_settings,
    create_topics,
    delete_topics,
    index_statements,
    seed_text,
    statement_docs,
)

from parley.config import Settings, load_settings
from parley.netguard import NetGuard
from sinks.alerts.config import alerts_settings
from sinks.alerts.hook import AlertHook
from sinks.alerts.matching import build_alerts
from sinks.alerts.models import Subscription
from sinks.alerts.store import SubscriptionStore
from sinks.elasticsearch.setup import install_templates
from sinks.elasticsearch.templates import INDICES

COUNTRIES = ["RU", "UA", "US", "FR", "DE", "GB", "CN", "TR", "PL", "IL", "IR", "BY", "KZ", "IN"]
CATEGORIES = [
    "negotiations",
    "ceasefire",
    "peace_plan",
    "agreement",
    "prisoner_exchange",
    "security_guarantees",
    "conflict_end",
]
STANCES = ["positive", "negative", "neutral"]
OUTLETS = [f"outlet{i}.example" for i in range(200)]
SPEAKERS = ["Putin", "Peskov", "Zelenskyy", "Lavrov", "Sybiha", "Zakharova", "Erdogan"] + [
    f"Person{i}" for i in range(400)
]
PHRASES = [
    "open to talks",
    "open to negotiations",
    "no progress",
    "just peace",
    "security guarantees",
    "realities on the ground",
    "prisoner swap",
    "humanitarian corridor",
    "energy truce",
    "grain deal",
] + [f"phrase number {i}" for i in range(200)]
WORDS = ["talk", "negotiat", "ceasefir", "peace", "truce", "summit", "treaty", "swap"] + [
    f"zz{i}" for i in range(300)
]


def lucene(rng: random.Random, profile: str) -> str:
    # "typical": most subscribers follow specific people and phrases; "broad": many follow
    # whole topics ("talk*", "negotiat*"), so one statement about talks matches far more of them;
    # "selective": every subscription is narrow (a few alerts per batch).
    broad = profile == "broad"
    if profile == "selective" and rng.random() < 0.5:
        return f'speaker.name:"{rng.choice(SPEAKERS)}" AND quote.text:"{rng.choice(PHRASES)}"'
    speakers = SPEAKERS if broad else SPEAKERS + [f"Person{i}" for i in range(400, 2000)]
    phrases = PHRASES if broad else PHRASES + [f"phrase number {i}" for i in range(200, 2000)]
    words = WORDS if broad else WORDS + [f"zz{i}" for i in range(300, 3000)]
    pick = rng.random()
    if pick < 0.3:
        return f'speaker.name:"{rng.choice(speakers)}"'
    if pick < 0.55:
        return f'quote.text:"{rng.choice(phrases)}"'
    if pick < 0.7:
        return f"{rng.choice(words)}*"
    if pick < 0.85:
        category, country = rng.choice(CATEGORIES), rng.choice(COUNTRIES)
        extra = "" if broad else f' AND speaker.name:"{rng.choice(speakers)}"'
        return f"triggers.category:{category} AND speaker.country:{country}{extra}"
    return f'title:{rng.choice(words)}* OR quote.text:"{rng.choice(phrases)}"'


def structured(rng: random.Random, profile: str) -> dict[str, Any]:
    broad = profile == "broad"
    filters: dict[str, Any] = {"countries": rng.sample(COUNTRIES, rng.randint(1, 2))}
    if rng.random() < 0.5:
        filters["officials_only"] = True
    # parley alerts on talks and ceasefires: a structured subscription names its categories.
    filters["categories"] = rng.sample(CATEGORIES, rng.randint(1, 2))
    if rng.random() < (0.3 if broad else 0.5):
        filters["stances"] = [rng.choice(STANCES)]
    if rng.random() < 0.3:
        filters["outlets"] = rng.sample(OUTLETS, rng.randint(1, 3))
    if rng.random() < 0.2:
        filters["languages"] = [rng.choice(["en", "ru", "uk", "de"])]
    if not broad and rng.random() < 0.4:
        filters["speakers"] = [rng.choice(SPEAKERS)]
    if profile == "selective":
        filters["outlets"] = rng.sample(OUTLETS, rng.randint(1, 5))
    return filters


def subscriptions(
    n: int, webhook: str, seed: int, *, profile: str = "typical", lucene_only: bool = False
) -> list[Subscription]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = 1.0 if lucene_only else rng.random()
        spec: dict[str, Any] = {"name": f"bench {i}"}
        if kind < 0.4:
            spec["filters"] = structured(rng, profile)
        elif kind < 0.8 or lucene_only:
            spec["query"] = lucene(rng, profile)
        else:
            spec["query"] = lucene(rng, profile)
            spec["filters"] = structured(rng, profile)
        spec["channels"] = [{"type": "webhook", "url": webhook}]
        spec["owner"] = f"owner{i % 50}"
        out.append(Subscription.model_validate(spec))
    return out


FILLER = [
    "the budget will be presented to parliament next week",
    "inflation slowed for the third month in a row",
    "the new bridge will open to traffic in the spring",
    "we expect the harvest to be better than last year",
    "the election commission has registered all candidates",
    "the ministry is reviewing the tender documents",
    "exports of machinery grew by eight percent",
    "the reform of the pension system will continue",
]


def unrelated(rng: random.Random, n: int, tag: str) -> list[dict[str, Any]]:
    """Statements without any trigger, by assorted speakers: most of a news stream."""
    docs = []
    for i in range(n):
        outlet = rng.choice(OUTLETS)
        speaker = rng.choice(SPEAKERS[7:])
        quote = f"{rng.choice(FILLER)} ({tag}-{i})"
        docs.append(
            {
                "statement_id": f"{tag}-u{i}",
                "cluster_id": f"{tag}-c{i}",
                "article_id": f"{tag}-a{i}",
                "kind": "direct",
                "quote": {"text": quote, "start": 0, "end": len(quote)},
                "speaker": {
                    "name": speaker,
                    "role": "minister",
                    "organization": "Government",
                    "country": rng.choice(COUNTRIES),
                    "official": rng.random() < 0.6,
                },
                "triggers": [],
                "trigger_categories": [],
                "stances": [],
                "has_trigger": False,
                "url": f"https://{outlet}/news/{tag}-{i}",
                "title": "Economy news",
                "outlet": outlet,
                "language": rng.choice(["en", "en", "ru", "uk"]),
                "published_at": "2026-11-02T10:00:00+00:00",
                "indexed_at": "2026-11-02T10:00:01+00:00",
                "@timestamp": "2026-11-02T10:00:00+00:00",
            }
        )
    return docs


def batches(size: int, seed: int) -> Iterator[list[dict[str, Any]]]:
    """Endless batches of new statements: one copy of the seed article (its 11 statements about
    talks, by a random outlet; quotes made unique per round so that each round brings new
    clusters) among unrelated statements without triggers, like a real news stream."""
    rng = random.Random(seed)
    text = seed_text()
    round_no = 0
    while True:
        round_no += 1
        outlet = rng.choice(OUTLETS)
        url = f"https://{outlet}/news/{uuid.uuid4().hex}"
        talks = statement_docs(text, url=url, outlet=outlet)
        for i, doc in enumerate(talks):
            doc["quote"] = {**doc["quote"], "text": f"{doc['quote']['text']} [{round_no}]"}
            doc["cluster_id"] = f"{doc['cluster_id'][:20]}r{round_no}x{i}"
        tag = f"r{round_no}{uuid.uuid4().hex[:6]}"
        yield (talks + unrelated(rng, max(0, size - len(talks)), tag))[:size]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def setup(base: Settings, es: Elasticsearch, tag: str) -> Settings:
    settings = alert_settings(
        base,
        tag,
        matching={"cache_ttl": 3600, "chunk_size": 100},
        dispatcher={"max_in_flight": 256},
    )
    install_templates(es, settings.elasticsearch)
    create_topics(settings, partitions=3)
    return settings


def teardown(settings: Settings, es: Elasticsearch) -> None:
    es.indices.delete(index=settings.elasticsearch.index("matching"), ignore_unavailable=True)
    for name in INDICES:
        es.indices.delete(index=settings.elasticsearch.index(name), ignore_unavailable=True)
        es.options(ignore_status=404).indices.delete_index_template(
            name=settings.elasticsearch.index(name)
        )
    delete_topics(settings)


def store_subs(settings: Settings, es: Elasticsearch, subs: list[Subscription]) -> None:
    store = SubscriptionStore(
        es, settings.elasticsearch, alerts_settings(settings), NetGuard.from_settings(settings.http)
    )
    # The generator only produces valid queries; validate a sample through the real check.
    for sub in subs[:: max(1, len(subs) // 50)]:
        store.validate(sub)
    store.bulk_put(subs, validate=False)


def bench_matching(
    base: Settings,
    es: Elasticsearch,
    args: argparse.Namespace,
    *,
    profile: str,
    lucene_only: bool = False,
) -> dict[str, Any]:
    settings = setup(base, es, "bench" + uuid.uuid4().hex[:8])
    try:
        subs = subscriptions(
            args.subscriptions,
            "http://127.0.0.1:9/hook",
            args.seed,
            lucene_only=lucene_only,
            profile=profile,
        )
        store_subs(settings, es, subs)
        hook = AlertHook(settings)
        snapshot = hook.cache.refresh()
        assert len(snapshot.compiled) == args.subscriptions
        statements = settings.elasticsearch.index("statements")
        times, searched, queries, matched = [], [], [], []
        gen = batches(args.batch, args.seed)
        for _ in range(args.rounds + 1):  # the first round warms caches, not counted
            docs = next(gen)
            index_statements(es, statements, docs)
            started = time.perf_counter()
            batch, clusters, staged = hook.matcher.match(snapshot.compiled, docs)
            alerts = build_alerts(batch, snapshot.by_id, docs, clusters)
            times.append(time.perf_counter() - started)
            hook.matcher.unstage(staged)
            searched.append(batch.searched)
            queries.append(batch.queries)
            matched.append(len(alerts))
        hook.close()
        return {
            "subscriptions": args.subscriptions,
            "profile": "lucene-only" if lucene_only else profile,
            "batch": args.batch,
            "rounds": args.rounds,
            "sent_to_es_median": statistics.median(searched[1:]),
            "distinct_queries_median": statistics.median(queries[1:]),
            "alerts_per_batch_median": statistics.median(matched[1:]),
            "match_seconds_median": round(statistics.median(times[1:]), 3),
            "match_seconds_p95": round(percentile(times[1:], 0.95), 3),
            "match_seconds_max": round(max(times[1:]), 3),
        }
    finally:
        teardown(settings, es)


def receive(port_out: Any, arrivals: Any, stop: Any) -> None:
    """Receiver process: a minimal asyncio HTTP/1.1 server (keep-alive) that answers 204 and
    reports (alert id, arrival time) for each webhook.  Python's threaded ``http.server`` would
    be the bottleneck of the measurement; real receivers are not that slow."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                at = time.time()
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                payload = json.loads(body)
                alerts = [payload["alert"]] if payload["type"] == "alert" else payload["alerts"]
                for alert in alerts:
                    arrivals.put((alert["alert_id"], at))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port_out.put(server.sockets[0].getsockname()[1])
        while not stop.is_set():
            await asyncio.sleep(0.2)
        server.close()

    asyncio.run(main())


def dispatch(settings: Settings, stop: Any) -> None:
    """Dispatcher process, as ``parley alerts dispatch`` runs it."""
    from sinks.alerts.dispatcher import run_dispatcher

    run_dispatcher(settings, stop)


def collect(arrivals: Any, ids: set[str], into: dict[str, float], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ids <= set(into) and time.monotonic() < deadline:
        try:
            alert_id, at = arrivals.get(timeout=0.1)
        except queue.Empty:
            continue
        into.setdefault(alert_id, at)
    missing = ids - set(into)
    if missing:
        raise RuntimeError(f"{len(missing)} alerts not delivered within {timeout}s")


def bench_latency(
    base: Settings, es: Elasticsearch, args: argparse.Namespace, *, profile: str
) -> dict[str, Any]:
    """Pipeline (this process: index + hook), dispatcher and receiver in three processes."""
    ctx = multiprocessing.get_context("spawn")
    settings = setup(base, es, "bench" + uuid.uuid4().hex[:8])
    stop = ctx.Event()
    ports, arrivals = ctx.Queue(), ctx.Queue()
    receiver = ctx.Process(target=receive, args=(ports, arrivals, stop), daemon=True)
    dispatcher = ctx.Process(target=dispatch, args=(settings, stop), daemon=True)
    try:
        receiver.start()
        url = f"http://127.0.0.1:{ports.get(timeout=30)}/hook"
        subs = subscriptions(args.subscriptions, url, args.seed, profile=profile)
        store_subs(settings, es, subs)
        hook = AlertHook(settings)
        hook.cache.refresh()
        dispatcher.start()
        statements = settings.elasticsearch.index("statements")
        gen = batches(args.batch, args.seed + 1)
        arrived: dict[str, float] = {}
        # Warm-up round: the dispatcher joins its consumer group, connections open.
        warm = next(gen)
        index_statements(es, statements, warm)
        collect(arrivals, {a.alert_id for a in hook.process(warm)}, arrived, timeout=180)
        latencies: list[float] = []
        hook_seconds: list[float] = []
        per_batch: list[int] = []
        for _ in range(args.rounds):
            time.sleep(args.pause)
            docs = next(gen)
            index_statements(es, statements, docs)
            indexed = time.time()  # the bulk write returned: "statement indexed"
            ids = {a.alert_id for a in hook.process(docs)}
            hook_seconds.append(time.time() - indexed)
            per_batch.append(len(ids))
            collect(arrivals, ids, arrived, timeout=180)
            latencies += [arrived[i] - indexed for i in ids]
        hook.close()
        return {
            "subscriptions": args.subscriptions,
            "profile": profile,
            "batch": args.batch,
            "rounds": args.rounds,
            "alerts_per_batch_median": statistics.median(per_batch),
            "hook_seconds_median": round(statistics.median(hook_seconds), 3),
            "latency_seconds_median": round(statistics.median(latencies), 3),
            "latency_seconds_p95": round(percentile(latencies, 0.95), 3),
            "latency_seconds_max": round(max(latencies), 3),
        }
    finally:
        stop.set()
        for process in (dispatcher, receiver):
            if process.pid is not None:
                process.join(30)
        teardown(settings, es)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only", choices=["matching", "latency"], help="run one of the two measurements"
    )
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    base = load_settings()
    es = Elasticsearch(**base.elasticsearch.client_kwargs())
    results: dict[str, Any] = {}
    if args.only in (None, "matching"):
        results["matching"] = [
            bench_matching(base, es, args, profile="typical"),
            bench_matching(base, es, args, profile="broad"),
            bench_matching(base, es, args, profile="broad", lucene_only=True),
        ]
    if args.only in (None, "latency"):
        results["latency"] = [
            bench_latency(base, es, args, profile="selective"),
            bench_latency(base, es, args, profile="typical"),
            bench_latency(base, es, args, profile="broad"),
        ]
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
