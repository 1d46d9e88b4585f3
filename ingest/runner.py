"""``run_poller(settings, once=False)``: the programmatic entry of the poller worker.

Used by ``parley poll`` and by a supervisor.  It wires the store, fetcher, producer and the feed
source (Kafka consumer group, or the feed file for a single worker), serves /metrics, and stops
cleanly on SIGTERM/SIGINT: polls in flight finish (``shutdown_grace``), the producer flushes, the
group is left so the other workers take the feeds over at once.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kafka import KafkaProducer

from ingest.articles import load_language_model
from ingest.assignment import FeedAssignment, FeedPublisher
from ingest.config import IngestSettings, ingest_settings
from ingest.feeds import Feed, load_feeds
from ingest.http import Fetcher, HostGate
from ingest.poller import FeedPoller
from ingest.producer import ArticleProducer
from ingest.robots import RobotsPolicy
from ingest.store import IngestStore
from parley.config import Settings
from parley.deadletter import DeadLetter
from parley.logs import get_logger
from parley.metrics import serve_metrics
from parley.netguard import NetGuard

log = get_logger(__name__)


def build_fetcher(settings: Settings, config: IngestSettings) -> Fetcher:
    limits = config.limits
    return Fetcher(
        NetGuard.from_settings(settings.http),
        user_agent=config.effective_user_agent(settings),
        gate=HostGate(config.politeness.per_host_concurrency, config.politeness.per_host_min_delay),
        connect_timeout=limits.connect_timeout,
        read_timeout=limits.read_timeout,
        total_timeout=limits.total_timeout,
        max_redirects=limits.max_redirects,
        max_compression_ratio=limits.max_compression_ratio,
        max_connections=max(config.max_concurrent_polls + config.max_concurrent_articles, 10),
    )


def run_poller(
    settings: Settings,
    once: bool = False,
    *,
    stop: threading.Event | None = None,
    install_signal_handlers: bool = True,
    serve_metrics_endpoint: bool = True,
) -> int:
    """Run until stopped (or one pass with ``once``); returns a process exit code."""
    config = ingest_settings(settings)
    if serve_metrics_endpoint:
        port = serve_metrics(settings.metrics, "poller")
        if port:
            log.info("metrics_serving", port=port)
    return asyncio.run(_main(settings, config, once, stop, install_signal_handlers))


async def _main(
    settings: Settings,
    config: IngestSettings,
    once: bool,
    external_stop: threading.Event | None,
    install_signal_handlers: bool,
) -> int:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(
        ThreadPoolExecutor(config.extraction_threads + 2, thread_name_prefix="ingest")
    )
    stop = asyncio.Event()
    if install_signal_handlers:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    if external_stop is not None:
        threading.Thread(
            target=lambda: (external_stop.wait(), loop.call_soon_threadsafe(stop.set)),
            daemon=True,
        ).start()

    store = IngestStore(config.state_db)
    fetcher = build_fetcher(settings, config)
    robots = (
        RobotsPolicy(
            fetcher,
            agent=config.effective_user_agent(settings),
            max_bytes=config.limits.max_robots_bytes,
            ttl=config.politeness.robots_cache_ttl,
        )
        if config.politeness.respect_robots and config.fetch_articles
        else None
    )
    producer = ArticleProducer(
        settings.kafka.client_kwargs(),
        settings.kafka.topics.articles,
        retry_max=config.produce_retry_max,
    )
    dead_letters = DeadLetterSender(
        settings.kafka.client_kwargs(), settings.kafka.topics.deadletter
    )
    publisher: FeedPublisher | None = None
    assignment: FeedAssignment | None = None
    exit_code = 0
    if config.fetch_articles:
        await asyncio.to_thread(load_language_model)
    try:
        if config.assignment == "kafka":
            publisher = FeedPublisher(settings.kafka.client_kwargs(), settings.kafka.topics.feeds)
        poller = FeedPoller(
            config,
            store=store,
            producer=producer,
            fetcher=fetcher,
            robots=robots,
            on_moved=(
                (lambda feed, partition: _republish(publisher, feed, partition))
                if publisher is not None
                else None
            ),
            dead_letter=dead_letters.send,
        )
        if config.assignment == "file":
            if config.feeds_file is None:
                raise SystemExit("ingest.assignment is 'file' but ingest.feeds_file is not set")
            for feed in load_feeds(config.feeds_file):
                if feed.enabled:
                    poller.upsert(feed)
            log.info("poller_started", feeds=len(poller.feeds), source=str(config.feeds_file))
        else:
            assert publisher is not None
            if config.feeds_file is not None:
                count = await asyncio.to_thread(publisher.publish, load_feeds(config.feeds_file))
                log.info("feeds_published", count=count, topic=settings.kafka.topics.feeds)
            assignment = FeedAssignment(
                settings.kafka.client_kwargs(),
                settings.kafka.topics.feeds,
                config.group_id,
                poller,
                loop,
                session_timeout_ms=config.session_timeout_ms,
                heartbeat_interval_ms=config.heartbeat_interval_ms,
                dead_letter=dead_letters.send,
            )
            assignment.start()
            log.info("poller_started", group=config.group_id, topic=settings.kafka.topics.feeds)
        if once:
            if assignment is not None:
                while not assignment.caught_up.is_set() and not stop.is_set():
                    if assignment.error is not None:
                        raise RuntimeError("feed assignment failed") from assignment.error
                    await asyncio.sleep(0.2)
                await asyncio.sleep(0)  # let the queued upserts run
            pass_task = asyncio.create_task(poller.poll_all_once())
            stop_task = asyncio.create_task(stop.wait())
            await asyncio.wait([pass_task, stop_task], return_when=asyncio.FIRST_COMPLETED)
            stop_task.cancel()
            if not pass_task.done():  # SIGTERM during the pass: stop as a long run would
                _done, pending = await asyncio.wait([pass_task], timeout=config.shutdown_grace)
                if pending:
                    producer.stop_retrying()
                    pass_task.cancel()
                    await asyncio.wait([pass_task])
                log.info("poll_pass_interrupted")
                return 0
            reports = pass_task.result()
            log.info(
                "poll_pass_done", feeds=len(reports), produced=sum(r.produced for r in reports)
            )
        else:
            watchdog = asyncio.create_task(_watch_assignment(assignment, stop))
            await poller.run(stop)
            watchdog.cancel()
            if assignment is not None and assignment.error is not None:
                exit_code = 1
    finally:
        if assignment is not None:
            await asyncio.to_thread(assignment.stop)
        await asyncio.to_thread(producer.flush, 30)
        await asyncio.to_thread(producer.close, 30)
        await asyncio.to_thread(dead_letters.close)
        if publisher is not None:
            publisher.close()
        await fetcher.aclose()
        store.close()
        log.info("poller_stopped")
    return exit_code


async def _watch_assignment(assignment: FeedAssignment | None, stop: asyncio.Event) -> None:
    while assignment is not None and not stop.is_set():
        if assignment.error is not None:
            stop.set()
        await asyncio.sleep(1.0)


class DeadLetterSender:
    """The poller's dead letters, each acknowledged by Kafka before ``send`` returns.  The
    producer is made on first use: most pollers never send one."""

    def __init__(self, client_kwargs: dict[str, Any], topic: str) -> None:
        self._client_kwargs = client_kwargs
        self._topic = topic
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    def send(self, letter: DeadLetter) -> None:
        with self._lock:
            if self._producer is None:
                self._producer = KafkaProducer(**self._client_kwargs, acks="all")
            producer = self._producer
        key = (letter.source_key or "").encode() or None
        producer.send(self._topic, key=key, value=letter.to_bytes()).get(timeout=30)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=10)


def _republish(publisher: FeedPublisher | None, feed: Feed, partition: int | None) -> None:
    """A permanent redirect: the feed record in the topic follows, on the same partition."""
    if publisher is None:
        return
    try:
        publisher.publish([feed], partition=partition)
    except Exception as exc:  # noqa: BLE001 - the state file has the new URL anyway
        log.warning("feed_republish_failed", feed_id=feed.id, error=str(exc))
