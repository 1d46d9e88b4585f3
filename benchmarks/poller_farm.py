"""Feed-poller throughput: one worker process against a local farm of mostly-unchanged feeds.

    python benchmarks/poller_farm.py [--feeds 10000] [--hosts 200] [--rounds 3]
                                     [--changing 0.01] [--bootstrap 127.0.0.1:9092]

The farm runs in its own process on loopback addresses 127.0.1.x (one site per address, so the
per-host politeness gate applies as it would on the internet).  Each feed answers 304 to a
matching If-None-Match; a ``--changing`` fraction gets a new item at every request (200, parse,
one record to Kafka).  One untimed round fills the state (every feed 200 once), then ``--rounds``
timed rounds poll every feed once each.  Reported: polls per second and resident memory of the
worker process (this one).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from ingest.config import IngestSettings
from ingest.feeds import Feed
from ingest.poller import FeedPoller
from ingest.producer import ArticleProducer
from ingest.runner import build_fetcher
from ingest.store import IngestStore
from parley.config import Settings

PORT = 18080
CPU_SECONDS: list[float] = []  # worker CPU time of the timed rounds (all threads)


def host_address(index: int) -> str:
    return f"127.0.1.{index + 1}"


def feed_xml(n: int, version: int) -> bytes:
    items = "".join(
        f"<item><title>Item {v} of feed {n}</title>"
        f"<link>http://news{n}.example/story/{v}</link><description>Update {v}</description>"
        "</item>"
        for v in range(max(0, version - 2), version + 1)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>http://news{n}.example/</link>{items}</channel></rss>"
    ).encode()


class FarmProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server: fast enough not to be what is measured."""

    def __init__(self, versions: dict[int, int], changing_every: int) -> None:
        self.versions = versions
        self.changing_every = changing_every
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            lines = head.split(b"\r\n")
            path = lines[0].split(b" ")[1]
            if_none_match = None
            for line in lines[1:]:
                if line[:14].lower() == b"if-none-match:":
                    if_none_match = line[14:].strip()
            n = int(path.rsplit(b"/", 1)[1].split(b".")[0])
            version = self.versions.get(n, 0)
            if self.changing_every and n % self.changing_every == 0:
                version += 1
                self.versions[n] = version
            etag = b'"%d-%d"' % (n, version)
            assert self.transport is not None
            if if_none_match == etag:
                self.transport.write(b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\n\r\n")
                continue
            body = feed_xml(n, version)
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: "
                + etag
                + b"\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )


def serve_farm(hosts: int, changing_every: int, ready: Any) -> None:
    async def main() -> None:
        versions: dict[int, int] = {}
        loop = asyncio.get_running_loop()
        await loop.create_server(
            lambda: FarmProtocol(versions, changing_every),
            host=[host_address(h) for h in range(hosts)],
            port=PORT,
            backlog=1024,
        )
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_rounds(poller: FeedPoller, rounds: int) -> tuple[float, Counter[str], int]:
    await poller.poll_all_once()  # untimed: every feed 200 once, validators stored
    outcomes: Counter[str] = Counter()
    produced = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        reports = await poller.poll_all_once()
        outcomes.update(r.outcome for r in reports)
        produced += sum(r.produced for r in reports)
    CPU_SECONDS.append(time.process_time() - cpu_started)
    return time.perf_counter() - started, outcomes, produced


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--changing", type=float, default=0.01)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    args = parser.parse_args()

    changing_every = round(1 / args.changing) if args.changing > 0 else 0
    ready = multiprocessing.Event()
    farm = multiprocessing.Process(
        target=serve_farm, args=(args.hosts, changing_every, ready), daemon=True
    )
    farm.start()
    ready.wait(30)
    topic = f"parley.bench.articles.{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=[args.bootstrap])
    admin.create_topics([NewTopic(topic, 1, 1)])
    try:
        with tempfile.TemporaryDirectory() as state_dir:
            settings = Settings.model_validate(
                {
                    "kafka": {"bootstrap_servers": args.bootstrap},
                    "http": {"allow_private_networks": ["127.0.0.0/8"]},
                    "ingest": {
                        "state_dir": state_dir,
                        "fetch_articles": False,
                        "max_concurrent_polls": args.concurrency,
                        "politeness": {"per_host_concurrency": 1, "per_host_min_delay": 0.0},
                    },
                }
            )
            config = IngestSettings.model_validate(settings.ingest)

            async def run() -> tuple[float, Counter[str], int]:
                store = IngestStore(config.state_db)
                producer = ArticleProducer(settings.kafka.client_kwargs(), topic)
                fetcher = build_fetcher(settings, config)
                poller = FeedPoller(
                    config, store=store, producer=producer, fetcher=fetcher, robots=None
                )
                for n in range(args.feeds):
                    host = host_address(n % args.hosts)
                    poller.upsert(Feed(url=f"http://{host}:{PORT}/feed/{n}.xml"))
                try:
                    return await run_rounds(poller, args.rounds)
                finally:
                    await fetcher.aclose()
                    producer.close(10)
                    store.close()

            elapsed, outcomes, produced = asyncio.run(run())
    finally:
        admin.delete_topics([topic])
        admin.close()
        farm.terminate()
    polls = sum(outcomes.values())
    print(
        f"feeds: {args.feeds} on {args.hosts} hosts, timed rounds: {args.rounds}, "
        f"changing: {args.changing:.0%}"
    )
    print(f"outcomes: {dict(outcomes)}  records produced: {produced}")
    print(
        f"polls/s (one worker process): {polls / elapsed:,.0f}  ({polls} polls in {elapsed:.1f} s)"
    )
    print(
        f"worker CPU: {CPU_SECONDS[0]:.1f} s, {polls / CPU_SECONDS[0]:,.0f} polls per CPU-second "
        "(independent of other load on the machine)"
    )
    print(
        f"resident memory: {rss_mb():.0f} MB now, "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB peak"
    )


if __name__ == "__main__":
    main()
