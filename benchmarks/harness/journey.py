"""Follow every story from the newsroom to the subscriber and turn timestamps into figures.

Timestamps of one story's journey (all from the same machine clock):

- ``published``  the newsroom appended it to its feed;
- ``listed``     the first feed response that contained it (the poll that discovered it);
- ``fetched``    the first GET of its page;
- ``kafka``      the article record's timestamp in Kafka (set by the poller's producer);
- ``searchable`` the first search that found the article in Elasticsearch (``SearchWatcher``
                 polls every ``interval`` seconds, which bounds the resolution of this hop);
- ``alert``      the signed webhook carrying the story's statement arrived at the receiver.

``published → listed`` is the wait for the next poll: it depends on the poll interval, not on
parley's processing, and is reported apart.  ``listed → alert`` is what parley adds.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from benchmarks.harness.newsroom import STATEMENT_MARKER, Newsroom, Story
from benchmarks.harness.receiver import Arrival, WebhookReceiver


class KafkaWatcher:
    """Reads the articles topic from the start: first record timestamp and copies per key."""

    def __init__(self, client_kwargs: dict[str, Any], topic: str) -> None:
        self.client_kwargs = client_kwargs
        self.topic = topic
        self.first_at: dict[str, float] = {}
        self.copies: Counter[str] = Counter()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="kafka-watcher", daemon=True)

    def start(self) -> KafkaWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        from kafka import KafkaConsumer, TopicPartition

        try:
            consumer = KafkaConsumer(
                **self.client_kwargs,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                # Only the key and timestamp matter; keep fetches small so the watcher costs
                # little CPU next to the workers it measures.
                max_partition_fetch_bytes=4 * 1024 * 1024,
            )
        except Exception as exc:
            self.error = exc
            return
        try:
            partitions: set[int] | None = None
            while not self._stop.is_set() and not partitions:
                partitions = consumer.partitions_for_topic(self.topic)
                if not partitions:
                    self._stop.wait(0.5)
            if not partitions:
                return
            consumer.assign([TopicPartition(self.topic, p) for p in sorted(partitions)])
            while not self._stop.is_set():
                batches = consumer.poll(timeout_ms=200, max_records=2000)
                with self._lock:
                    for records in batches.values():
                        for record in records:
                            key = record.key.decode() if record.key else ""
                            self.copies[key] += 1
                            self.first_at.setdefault(key, record.timestamp / 1000.0)
        except Exception as exc:
            self.error = exc
        finally:
            consumer.close()

    def snapshot(self) -> tuple[dict[str, float], Counter[str]]:
        with self._lock:
            return dict(self.first_at), Counter(self.copies)


class SearchWatcher:
    """Polls Elasticsearch for the stories not yet searchable (by article id)."""

    def __init__(
        self,
        es_kwargs: dict[str, Any],
        index: str,
        newsroom: Newsroom,
        *,
        interval: float = 0.2,
    ) -> None:
        self.es_kwargs = es_kwargs
        self.index = index
        self.newsroom = newsroom
        self.interval = interval
        self.found_at: dict[str, float] = {}
        self.indexed_at: dict[str, float] = {}
        self.errors = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="search-watcher", daemon=True)

    def start(self) -> SearchWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        from elasticsearch import Elasticsearch

        client = Elasticsearch(**{**self.es_kwargs, "request_timeout": 5, "max_retries": 0})
        try:
            while not self._stop.wait(self.interval):
                with self._lock:
                    pending = [
                        s.article_id
                        for s in self.newsroom.snapshot()
                        if s.article_id not in self.found_at
                    ]
                for start in range(0, len(pending), 2000):
                    chunk = pending[start : start + 2000]
                    try:
                        response = client.search(
                            index=self.index,
                            query={"ids": {"values": chunk}},
                            size=len(chunk),
                            source=False,
                            fields=[{"field": "indexed_at"}],
                        )
                    except Exception:
                        self.errors += 1
                        break  # Elasticsearch down or the index not there yet: next round
                    now = time.time()
                    with self._lock:
                        for hit in response["hits"]["hits"]:
                            self.found_at.setdefault(hit["_id"], now)
                            values = (hit.get("fields") or {}).get("indexed_at") or []
                            if values:
                                self.indexed_at[hit["_id"]] = _epoch(values[0])
        finally:
            client.close()

    def snapshot(self) -> tuple[dict[str, float], dict[str, float]]:
        with self._lock:
            return dict(self.found_at), dict(self.indexed_at)


def _epoch(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value) / 1000.0
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


# -- one story's timeline and the whole run's figures ------------------------------------------


@dataclass
class Timeline:
    story: Story
    kafka: float | None = None
    kafka_copies: int = 0
    searchable: float | None = None
    indexed: float | None = None  # the pipeline's indexed_at field
    alert: float | None = None  # first arrival of the story's alert
    alert_ids: set[str] = field(default_factory=set)
    statement_indexed: float | None = None
    alert_created: float | None = None


def timelines(
    stories: Sequence[Story],
    kafka: KafkaWatcher,
    search: SearchWatcher,
    arrivals: Sequence[Arrival],
    alert_docs: dict[str, dict[str, Any]] | None = None,
) -> list[Timeline]:
    """``alert_docs``: alert id → stored alert (``statement_indexed_at``, ``created_at``), for
    the hops inside parley; without them only the outer hops are known."""
    alert_docs = alert_docs or {}
    first_at, copies = kafka.snapshot()
    found_at, indexed_at = search.snapshot()
    by_article: dict[str, list[Arrival]] = {}
    for arrival in arrivals:
        if arrival.article_id:
            by_article.setdefault(arrival.article_id, []).append(arrival)
    out = []
    for story in stories:
        t = Timeline(
            story,
            kafka=first_at.get(story.article_id),
            kafka_copies=copies.get(story.article_id, 0),
            searchable=found_at.get(story.article_id),
            indexed=indexed_at.get(story.article_id),
        )
        for arrival in by_article.get(story.article_id, []):
            if story.marker not in arrival.quote:
                continue  # another statement of the same page (a corpus page's own quotes)
            t.alert_ids.add(arrival.alert_id)
            if t.alert is None or arrival.at < t.alert:
                t.alert = arrival.at
                stored = alert_docs.get(arrival.alert_id, {})
                t.statement_indexed = _iso_epoch(stored.get("statement_indexed_at"))
                t.alert_created = _iso_epoch(stored.get("created_at") or arrival.created_at)
        out.append(t)
    return out


def _iso_epoch(value: str | None) -> float | None:
    return _epoch(value) if value else None


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Iterable[float | None]) -> dict[str, float | int | None]:
    data = [v for v in values if v is not None]
    if not data:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    return {
        "n": len(data),
        "p50": round(percentile(data, 50), 3),
        "p95": round(percentile(data, 95), 3),
        "p99": round(percentile(data, 99), 3),
        "max": round(max(data), 3),
        "mean": round(sum(data) / len(data), 3),
    }


def _delta(end: float | None, start: float | None) -> float | None:
    return end - start if end is not None and start is not None else None


HOPS: tuple[tuple[str, str, str], ...] = (
    # name, from, to
    ("poll_wait", "published", "listed"),
    ("listed_to_kafka", "listed", "kafka"),
    ("kafka_to_statement_indexed", "kafka", "statement_indexed"),
    ("statement_indexed_to_alert_created", "statement_indexed", "alert_created"),
    ("alert_created_to_received", "alert_created", "alert"),
    ("kafka_to_searchable", "kafka", "searchable"),
    ("listed_to_alert", "listed", "alert"),
    ("published_to_searchable", "published", "searchable"),
    ("published_to_alert", "published", "alert"),
)


def _point(t: Timeline, name: str) -> float | None:
    if name == "published":
        return t.story.published_at
    if name == "listed":
        return t.story.listed_at
    if name == "fetched":
        return t.story.fetched_at
    value: float | None = getattr(t, name)
    return value


def hop_figures(lines: Sequence[Timeline]) -> dict[str, dict[str, float | int | None]]:
    return {
        name: summary(_delta(_point(t, end), _point(t, start)) for t in lines)
        for name, start, end in HOPS
    }


@dataclass
class Accounting:
    """What came out at each end: the "nothing lost, nothing twice" table.

    A story's alert is delivered with ``X-Parley-Delivery`` = its alert id, stable across
    retries and dispatcher restarts, so a receiver that drops a delivery id it has already
    seen (as parley's webhook documentation asks) shows each alert once.  ``redeliveries``
    counts what such a receiver drops; ``duplicate_alerts`` counts stories that reached the
    subscriber as two different alerts, which no receiver can tell apart.
    """

    published: int
    in_kafka: int
    kafka_extra_copies: int  # records beyond the first per article (absorbed by the ids)
    indexed: int
    alerted: int
    lost: int
    duplicate_alerts: int
    redeliveries: int
    other_alerts: int  # alerts for statements of the page itself, not the inserted one
    bad_signatures: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def account(lines: Sequence[Timeline], receiver: WebhookReceiver) -> Accounting:
    arrivals = receiver.snapshot()
    counts = Counter(a.alert_id for a in arrivals)
    # Alerts of inserted statements, measured or not (warm-up articles): the rest are alerts
    # for statements the page itself contains.
    inserted = {a.alert_id for a in arrivals if STATEMENT_MARKER.search(a.quote)}
    return Accounting(
        published=len(lines),
        in_kafka=sum(1 for t in lines if t.kafka is not None),
        kafka_extra_copies=sum(max(0, t.kafka_copies - 1) for t in lines),
        indexed=sum(1 for t in lines if t.searchable is not None),
        alerted=sum(1 for t in lines if t.alert is not None),
        lost=sum(1 for t in lines if t.alert is None),
        duplicate_alerts=sum(1 for t in lines if len(t.alert_ids) > 1),
        redeliveries=sum(n - 1 for n in counts.values() if n > 1),
        other_alerts=len(set(counts) - inserted),
        bad_signatures=receiver.rejected,
    )


class Journeys:
    """The watchers of one run, started together."""

    def __init__(
        self,
        newsroom: Newsroom,
        receiver: WebhookReceiver,
        kafka_kwargs: dict[str, Any],
        articles_topic: str,
        es_kwargs: dict[str, Any],
        articles_index: str,
        alerts_index: str,
        *,
        search_interval: float = 0.2,
    ) -> None:
        self.es_kwargs = es_kwargs
        self.alerts_index = alerts_index
        self.newsroom = newsroom
        self.receiver = receiver
        self.kafka = KafkaWatcher(kafka_kwargs, articles_topic)
        self.search = SearchWatcher(es_kwargs, articles_index, newsroom, interval=search_interval)

    def start(self) -> Journeys:
        self.kafka.start()
        self.search.start()
        return self

    def stop(self) -> None:
        self.kafka.stop()
        self.search.stop()

    def lines(
        self, stories: Sequence[Story] | None = None, *, with_alert_docs: bool = False
    ) -> list[Timeline]:
        chosen = self.newsroom.snapshot() if stories is None else stories
        docs = self.alert_docs() if with_alert_docs else None
        return timelines(chosen, self.kafka, self.search, self.receiver.snapshot(), docs)

    def alert_docs(self) -> dict[str, dict[str, Any]]:
        """The stored alerts (``parley-alerts``) with the times parley recorded for them."""
        from elasticsearch import Elasticsearch

        client = Elasticsearch(**self.es_kwargs)
        out: dict[str, dict[str, Any]] = {}
        try:
            client.indices.refresh(index=self.alerts_index)
            after: list[Any] | None = None
            while True:
                response = client.search(
                    index=self.alerts_index,
                    size=5000,
                    sort=[{"_doc": "asc"}],
                    source_includes=["created_at", "statement_indexed_at", "delivered_at"],
                    search_after=after,
                )
                hits = response["hits"]["hits"]
                if not hits:
                    break
                for hit in hits:
                    out[hit["_id"]] = hit["_source"]
                after = hits[-1]["sort"]
        finally:
            client.close()
        return out

    def complete(self, stories: Sequence[Story]) -> bool:
        """Every story alerted and searchable."""
        lines = self.lines(stories)
        return all(t.alert is not None and t.searchable is not None for t in lines)

    def wait_complete(self, stories: Sequence[Story], timeout: float, poll: float = 0.5) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.complete(stories):
                return True
            time.sleep(poll)
        return self.complete(stories)
