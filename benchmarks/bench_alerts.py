"""Alert matching speed and end-to-end alert latency, on the real Kafka and Elasticsearch.

    python benchmarks/bench_alerts.py [--subscriptions 10000] [--batch 100] [--rounds 10]
                                      [--only matching|latency|burst] [--json results.json]
    python benchmarks/bench_alerts.py --burst 30 300 1000 [--burst-rounds 3] [--receiver-hosts 4]

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
   measured for "selective" (a few alerts per batch), "typical" and "broad" subscriptions
   (``--profiles`` picks some).
3. **Bursts** (``--burst N …``, alone unless ``--only`` says otherwise): one batch whose matches
   give exactly N alerts against ``--subscriptions`` subscriptions — a breaking statement that
   N subscriptions follow, among unrelated statements that match none — with the same three
   processes.  The webhooks go to ``--receiver-hosts`` receiver hosts (loopback addresses
   127.0.0.1, 127.0.0.2, …: distinct hosts for the dispatcher's per-host bound and its
   connection pool, with no name resolution to set up), which verify every signature.  Per
   burst size: statement indexed → webhook received p50/p95/max over every alert of
   ``--burst-rounds`` bursts, and the receiver's count of distinct (subscription, cluster),
   duplicates and bad signatures; a table with the machine line is printed.

Uses its own index prefix and topics and removes them afterwards.  Needs the services running
(``parley services up``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from elasticsearch import Elasticsearch
from support.alerting import (
    alert_settings,
    create_topics,
    delete_topics,
    index_statements,
    seed_text,
    statement_docs,
)

from benchmarks.harness.machine import commit, load_average, machine
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
    n: int,
    webhook: str | list[str],
    seed: int,
    *,
    profile: str = "typical",
    lucene_only: bool = False,
) -> list[Subscription]:
    """``n`` subscriptions of ``profile``; with several webhooks, subscription i sends to the
    (i mod count)-th."""
    webhooks = [webhook] if isinstance(webhook, str) else webhook
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
        spec["channels"] = [{"type": "webhook", "url": webhooks[i % len(webhooks)]}]
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


def unrelated(
    rng: random.Random, n: int, tag: str, speakers: list[str] = SPEAKERS[7:]
) -> list[dict[str, Any]]:
    """Statements without any trigger, by assorted speakers: most of a news stream."""
    docs = []
    for i in range(n):
        outlet = rng.choice(OUTLETS)
        speaker = rng.choice(speakers)
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
    # The dispatcher runs with its defaults (the results record the bounds it used).
    settings = alert_settings(base, tag, matching={"cache_ttl": 3600, "chunk_size": 100})
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


def receive(port_out: Any, arrivals: Any, stop: Any, hosts: list[str], secret: str) -> None:
    """Receiver process: a minimal asyncio HTTP/1.1 server (keep-alive) on ``hosts``, all on one
    port, that verifies each webhook's signature (401 when it is bad, reported as ``None``)
    and reports (alert id, subscription id, cluster id, arrival time) for each one it accepts.
    Python's threaded ``http.server`` would be the bottleneck of the measurement; real
    receivers are not that slow."""
    from sinks.alerts.signing import SignatureError, verify

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers: dict[bytes, bytes] = {}
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
                at = time.time()
                try:
                    verify(
                        secret,
                        body,
                        headers.get(b"x-parley-timestamp", b"").decode(),
                        headers.get(b"x-parley-signature", b"").decode(),
                    )
                except SignatureError:
                    writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
                    arrivals.put(None)
                    continue
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                payload = orjson.loads(body)
                alerts = [payload["alert"]] if payload["type"] == "alert" else payload["alerts"]
                for alert in alerts:
                    sub = alert["why"]["subscription"]["id"]
                    arrivals.put((alert["alert_id"], sub, alert["cluster_id"], at))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:  # a kept-alive connection when the receiver stops
            pass
        finally:
            writer.close()

    async def main() -> None:
        for _ in range(20):  # a port free on the first host may be taken on another
            servers = [await asyncio.start_server(handle, hosts[0], 0, backlog=1024)]
            port = servers[0].sockets[0].getsockname()[1]
            try:
                for host in hosts[1:]:
                    servers.append(await asyncio.start_server(handle, host, port, backlog=1024))
                break
            except OSError:
                for server in servers:
                    server.close()
        port_out.put(port)
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for server in servers:
            server.close()

    asyncio.run(main())


def dispatch(settings: Settings, stop: Any) -> None:
    """Dispatcher process, as ``parley alerts dispatch`` runs it."""
    from sinks.alerts.dispatcher import run_dispatcher

    run_dispatcher(settings, stop)


Arrival = tuple[str, str, str, float]  # alert id, subscription id, cluster id, time


class Arrivals:
    """Everything the receiver reported: every accepted webhook (duplicates included) and the
    number refused for a bad signature."""

    def __init__(self, queue_: Any) -> None:
        self.queue = queue_
        self.first: dict[str, float] = {}  # alert id → first arrival
        self.all: list[Arrival] = []
        self.bad_signatures = 0

    def _take(self, timeout: float) -> None:
        try:
            item = self.queue.get(timeout=timeout)
        except queue.Empty:
            return
        if item is None:
            self.bad_signatures += 1
            return
        self.all.append(item)
        self.first.setdefault(item[0], item[3])

    def collect(self, ids: set[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ids <= self.first.keys() and time.monotonic() < deadline:
            self._take(0.1)
        missing = ids - self.first.keys()
        if missing:
            raise RuntimeError(f"{len(missing)} alerts not delivered within {timeout}s")

    def drain(self, quiet: float) -> None:
        """Take whatever still arrives until ``quiet`` seconds pass without anything."""
        while True:
            before = (len(self.all), self.bad_signatures)
            self._take(quiet)
            if (len(self.all), self.bad_signatures) == before:
                return


class Stack:
    """The pipeline side (index + hook) in this process, the dispatcher and a receiver on
    ``hosts`` in their own processes, on an index prefix and topics of their own."""

    def __init__(self, base: Settings, es: Elasticsearch, hosts: list[str]) -> None:
        self.es = es
        self.hosts = hosts
        self.ctx = multiprocessing.get_context("spawn")
        settings = setup(base, es, "bench" + uuid.uuid4().hex[:8])
        data = settings.model_dump()
        data["http"]["allow_private_networks"] = ["127.0.0.0/8"]  # the receiver hosts
        self.settings = Settings.model_validate(data)
        self.statements = self.settings.elasticsearch.index("statements")
        self.stop = self.ctx.Event()
        self._ports, queue_ = self.ctx.Queue(), self.ctx.Queue()
        self.arrivals = Arrivals(queue_)
        secret = alerts_settings(self.settings).signing_key(None)
        assert secret is not None
        self.receiver = self.ctx.Process(
            target=receive, args=(self._ports, queue_, self.stop, hosts, secret), daemon=True
        )
        self.dispatcher = self.ctx.Process(
            target=dispatch, args=(self.settings, self.stop), daemon=True
        )
        self.hook: AlertHook | None = None

    def start_receiver(self) -> list[str]:
        """Starts the receiver; returns one webhook URL per host."""
        self.receiver.start()
        port = self._ports.get(timeout=30)
        return [f"http://{host}:{port}/hook" for host in self.hosts]

    def start(self, subs: list[Subscription]) -> AlertHook:
        store_subs(self.settings, self.es, subs)
        self.hook = AlertHook(self.settings)
        self.hook.cache.refresh()
        self.dispatcher.start()
        print(f"dispatcher pid {self.dispatcher.pid}", file=sys.stderr)  # for py-spy
        return self.hook

    def publish(self, docs: list[dict[str, Any]]) -> tuple[float, list[str], float]:
        """Index ``docs`` like the pipeline, then run the hook: (indexed at, alert ids, hook
        seconds); "indexed" is when the bulk write returned."""
        assert self.hook is not None
        index_statements(self.es, self.statements, docs)
        indexed = time.time()
        ids = [a.alert_id for a in self.hook.process(docs)]
        return indexed, ids, time.time() - indexed

    def close(self) -> None:
        if self.hook is not None:
            self.hook.close()
        self.stop.set()
        for process in (self.dispatcher, self.receiver):
            if process.pid is not None:
                process.join(30)
        teardown(self.settings, self.es)


def bench_latency(
    base: Settings, es: Elasticsearch, args: argparse.Namespace, *, profile: str
) -> dict[str, Any]:
    stack = Stack(base, es, ["127.0.0.1"])
    try:
        [url] = stack.start_receiver()
        stack.start(subscriptions(args.subscriptions, url, args.seed, profile=profile))
        gen = batches(args.batch, args.seed + 1)
        # Warm-up round: the dispatcher joins its consumer group, connections open.
        stack.arrivals.collect(set(stack.publish(next(gen))[1]), timeout=180)
        latencies: list[float] = []
        hook_seconds: list[float] = []
        per_batch: list[int] = []
        for _ in range(args.rounds):
            time.sleep(args.pause)
            indexed, ids, hook_s = stack.publish(next(gen))
            hook_seconds.append(hook_s)
            per_batch.append(len(ids))
            stack.arrivals.collect(set(ids), timeout=180)
            latencies += [stack.arrivals.first[i] - indexed for i in ids]
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
        stack.close()


# -- bursts --------------------------------------------------------------------------------------

BURST_MARK = "breakingmark"  # a word only burst statements carry
QUIET_SPEAKERS = [f"Clerk {i}" for i in range(50)]  # followed by no subscription


def burst_subscriptions(sizes: list[int], urls: list[str]) -> list[Subscription]:
    """max(sizes) subscriptions in tiers: the k-th smallest size's tier is the subscriptions
    [sizes[k-1], sizes[k]), which follow the word ``<BURST_MARK>k``; a statement carrying the
    words of tiers 0…k matches exactly sizes[k] of them.  Each query is distinct (an ``OR``
    with a speaker nobody is), so none shares a named clause in the msearch; owners and
    receiver hosts alternate."""
    bounds = sorted(set(sizes))
    out = []
    for j in range(bounds[-1]):
        tier = next(k for k, bound in enumerate(bounds) if j < bound)
        spec = {
            "name": f"breaking {j}",
            "query": f'quote.text:{BURST_MARK}{tier} OR speaker.name:"Watcher {j}"',
            "channels": [{"type": "webhook", "url": urls[j % len(urls)]}],
            "owner": f"owner{j % 50}",
        }
        out.append(Subscription.model_validate(spec))
    return out


def burst_batch(
    size: int, sizes: list[int], batch: int, rng: random.Random, tag: str
) -> list[dict[str, Any]]:
    """One breaking statement (a new cluster) that exactly ``size`` subscriptions follow,
    among ``batch - 1`` unrelated statements that no subscription follows."""
    tiers = sorted(set(sizes)).index(size) + 1
    marks = " ".join(f"{BURST_MARK}{k}" for k in range(tiers))
    [breaking] = unrelated(rng, 1, tag, speakers=["Herald Burst"])
    quote = f"we will announce the decision tomorrow ({tag}) {marks}"
    breaking.update(
        statement_id=f"{tag}-breaking",
        cluster_id=f"{tag}-breaking",
        quote={"text": quote, "start": 0, "end": len(quote)},
        title="Breaking",
    )
    return [breaking, *unrelated(rng, batch - 1, tag, speakers=QUIET_SPEAKERS)]


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def bench_burst(base: Settings, es: Elasticsearch, args: argparse.Namespace) -> dict[str, Any]:
    sizes = sorted(set(args.burst))
    if args.subscriptions < sizes[-1]:
        raise SystemExit("--subscriptions must be at least the largest --burst")
    hosts = [f"127.0.0.{i + 1}" for i in range(args.receiver_hosts)]
    stack = Stack(base, es, hosts)
    load_before = load_average()
    try:
        urls = stack.start_receiver()
        # The rest of the subscriptions are "typical" ones, on the same receiver hosts.
        rest = subscriptions(args.subscriptions - sizes[-1], urls, args.seed)
        stack.start(burst_subscriptions(sizes, urls) + rest)
        rng = random.Random(args.seed + 2)
        tags = (f"b{n}{uuid.uuid4().hex[:8]}" for n in range(10**9))
        # Warm-up burst (the smallest): the dispatcher joins its group, connections open.
        warm = burst_batch(sizes[0], sizes, args.batch, rng, next(tags))
        stack.arrivals.collect(set(stack.publish(warm)[1]), timeout=180)
        bursts: dict[int, list[tuple[float, list[str], float]]] = {n: [] for n in sizes}
        # The dispatcher's CPU time per alert does not depend on the other load of the machine.
        cpu_before = cpu_seconds(stack.dispatcher.pid)
        for _ in range(args.burst_rounds):
            for size in sizes:
                time.sleep(args.pause)
                indexed, ids, hook_s = stack.publish(
                    burst_batch(size, sizes, args.batch, rng, next(tags))
                )
                if len(ids) != size:
                    raise RuntimeError(f"a burst of {size} gave {len(ids)} alerts")
                stack.arrivals.collect(set(ids), timeout=300)
                bursts[size].append((indexed, ids, hook_s))
        stack.arrivals.drain(quiet=3.0)  # late duplicates would arrive now
        cpu_after = cpu_seconds(stack.dispatcher.pid)
        alerts = args.burst_rounds * sum(sizes)
        cpu_ms = (
            round(1000 * (cpu_after - cpu_before) / alerts, 3)
            if cpu_before is not None and cpu_after is not None
            else None
        )
        rows = [burst_row(size, bursts[size], stack.arrivals) for size in sizes]
        return {
            "subscriptions": args.subscriptions,
            "batch": args.batch,
            "rounds": args.burst_rounds,
            "receiver_hosts": len(hosts),
            "pause_seconds": args.pause,
            "dispatcher": alerts_settings(stack.settings).dispatcher.model_dump(
                include={
                    "max_in_flight",
                    "per_host_concurrency",
                    "total_concurrency",
                    "keepalive_seconds",
                    "max_poll_records",
                }
            ),
            "bad_signatures": stack.arrivals.bad_signatures,
            "dispatcher_cpu_ms_per_alert": cpu_ms,
            "bursts": rows,
            "machine": machine(),
            **commit(),
            "load_average_before": load_before,
            "load_average_after": load_average(),
        }
    finally:
        stack.close()


def burst_row(
    size: int, rounds: list[tuple[float, list[str], float]], arrivals: Arrivals
) -> dict[str, Any]:
    latencies = [arrivals.first[i] - indexed for indexed, ids, _ in rounds for i in ids]
    firsts = [min(arrivals.first[i] for i in ids) - indexed for indexed, ids, _ in rounds]
    ids = {i for _, round_ids, _ in rounds for i in round_ids}
    received = [a for a in arrivals.all if a[0] in ids]
    distinct = {(sub, cluster) for _, sub, cluster, _ in received}
    return {
        "alerts": size,
        "bursts": len(rounds),
        "hook_seconds_median": round(statistics.median(h for _, _, h in rounds), 3),
        "first_received_seconds_median": round(statistics.median(firsts), 3),
        "latency_seconds_median": round(statistics.median(latencies), 3),
        "latency_seconds_p95": round(percentile(latencies, 0.95), 3),
        "latency_seconds_max": round(max(latencies), 3),
        "received": len(received),
        "distinct_subscription_cluster": len(distinct),
        "duplicates": len(received) - len(distinct),
    }


def burst_table(result: dict[str, Any]) -> str:
    m = result["machine"]
    lines = [
        f"bursts: one batch of {result['batch']} statements against "
        f"{result['subscriptions']:,} subscriptions, {result['rounds']} bursts per size, "
        f"{result['receiver_hosts']} receiver hosts, dispatcher {result['dispatcher']}",
        f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, "
        f"{m['system']}; commit {result['commit']}{' (dirty)' if result['dirty'] else ''}; "
        f"load average {result['load_average_before']} before, "
        f"{result['load_average_after']} after; dispatcher CPU "
        f"{result['dispatcher_cpu_ms_per_alert']} ms per alert",
        "| alerts | hook s (median) | first received | indexed → received p50 | p95 | max "
        "| distinct (subscription, cluster) | duplicates | bad signatures |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["bursts"]:
        lines.append(
            f"| {row['alerts']:,} | {row['hook_seconds_median']:.2f} s "
            f"| {row['first_received_seconds_median']:.2f} s "
            f"| {row['latency_seconds_median']:.2f} s | {row['latency_seconds_p95']:.2f} s "
            f"| {row['latency_seconds_max']:.2f} s "
            f"| {row['distinct_subscription_cluster']:,} of {row['alerts'] * row['bursts']:,} "
            f"| {row['duplicates']} | {result['bad_signatures']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only", choices=["matching", "latency", "burst"], help="run one of the measurements"
    )
    parser.add_argument(
        "--profiles",
        nargs="+",
        choices=["selective", "typical", "broad"],
        default=["selective", "typical", "broad"],
        help="latency profiles to measure",
    )
    parser.add_argument(
        "--burst", type=int, nargs="+", metavar="N", help="burst sizes (alerts from one batch)"
    )
    parser.add_argument("--burst-rounds", type=int, default=3, help="bursts of each size")
    parser.add_argument(
        "--receiver-hosts",
        type=int,
        default=4,
        choices=range(1, 255),
        metavar="1-254",
        help="loopback addresses (127.0.0.N) the webhooks are spread over",
    )
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args(argv)
    only = args.only or ("burst" if args.burst else None)
    args.burst = args.burst or [30, 300, 1000]
    base = load_settings()
    es = Elasticsearch(**base.elasticsearch.client_kwargs())
    results: dict[str, Any] = {}
    if only in (None, "matching"):
        results["matching"] = [
            bench_matching(base, es, args, profile="typical"),
            bench_matching(base, es, args, profile="broad"),
            bench_matching(base, es, args, profile="broad", lucene_only=True),
        ]
    if only in (None, "latency"):
        results["latency"] = [
            bench_latency(base, es, args, profile=profile) for profile in args.profiles
        ]
    if only in (None, "burst"):
        results["burst"] = bench_burst(base, es, args)
    print(json.dumps(results, indent=2))
    if "burst" in results:
        print(burst_table(results["burst"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
