"""Helpers for the alerting tests and benchmark: a recording webhook receiver (a real HTTP server
on 127.0.0.1), statement documents built from the seed article's gold annotation the way the
pipeline builds them, and per-test settings (own index prefix and topics)."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from benchmarks.harness.ports import free_port as free_port  # re-exported for the tests
from ingest.ids import article_id
from ingest.records import ArticleRecord
from parley.config import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SIGNING_SECRET = "test-signing-key-0123456789"
# Filters that match the seed article's statements by Peskov about talks: 2 statements.
PESKOV_TALKS = {"speakers": ["Peskov"], "categories": ["negotiations"]}


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class InFlight:
    """Requests being answered at once, and the most seen (shareable between receivers)."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self._lock:
            self.now -= 1


class WebhookReceiver:
    """Records every POST; ``status_for(n)`` decides the status of the n-th request (1-based).
    Each request takes ``delay`` seconds; ``in_flight`` (and ``shared``, when given) count the
    requests answered at once, ``connections`` the TCP connections accepted."""

    def __init__(
        self,
        port: int = 0,
        status_for: Callable[[int], int] = lambda n: 204,
        *,
        host: str = "127.0.0.1",
        delay: float = 0.0,
        shared: InFlight | None = None,
    ) -> None:
        self.received: list[Received] = []
        self.status_for = status_for
        self.host = host
        self.in_flight = InFlight()
        self.connections = 0
        self._cond = threading.Condition()
        receiver = self
        gauges = [self.in_flight] + ([shared] if shared is not None else [])

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with receiver._cond:
                    receiver.connections += 1

            def do_POST(self) -> None:
                for gauge in gauges:
                    gauge.enter()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                item = Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                )
                time.sleep(delay)
                with receiver._cond:
                    receiver.received.append(item)
                    n = len(receiver.received)
                    receiver._cond.notify_all()
                status = receiver.status_for(n)
                for gauge in gauges:  # before the answer: the client may send the next one
                    gauge.leave()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        # socketserver's default listen backlog of 5 would refuse a burst of connections.
        ThreadingHTTPServer.request_queue_size = 1024
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self.received)


class Mailbox:
    """An aiosmtpd handler that records every message it accepts (and the logins, when the
    server authenticates)."""

    def __init__(self) -> None:
        self.messages: list[Any] = []  # aiosmtpd Envelopes
        self.logins: list[tuple[bytes, bool]] = []
        self.cond = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.cond:
            self.messages.append(envelope)
            self.cond.notify_all()
        return "250 OK"


# -- statement documents -------------------------------------------------------------------------


def seed_text() -> str:
    return (FIXTURES / "seed-article.txt").read_text(encoding="utf-8")


def seed_gold() -> dict[str, Any]:
    return json.loads((FIXTURES / "seed-article.gold.json").read_text(encoding="utf-8"))


def _span(text: str, needle: str, start: int = 0) -> dict[str, Any]:
    at = text.find(needle, start)
    if at < 0:
        at = text.find(needle)
    if at < 0:
        raise ValueError(f"{needle!r} is not in the text")
    return {"text": needle, "start": at, "end": at + len(needle)}


def gold_extraction(text: str, gold: Mapping[str, Any]) -> dict[str, Any]:
    """The gold annotation in the extraction contract's shape (DESIGN.md): spans located in the
    text, each trigger attached to the statement whose quote contains it."""
    triggers = []
    for t in gold["triggers"]:
        span = _span(text, t["phrase"])
        triggers.append(
            {
                "category": t["category"],
                "stance": t["stance"],
                "text": span["text"],
                "start": span["start"],
                "end": span["end"],
                "codes": [],
            }
        )
    statements = []
    cursor = 0
    for st in gold["statements"]:
        quote = _span(text, st["quote"], cursor)
        cursor = quote["start"]
        inside = [t for t in triggers if quote["start"] <= t["start"] and t["end"] <= quote["end"]]
        statements.append(
            {
                "kind": st["kind"],
                "quote": quote,
                "cue": _span(text, st["cue"]),
                "speaker": {
                    "mention": _span(text, st["speaker_mention"]),
                    "name": st["speaker_name"],
                    "role": st["role"],
                    "organization": st["organization"],
                    "country": st["country"],
                    "official": st["official"],
                },
                "triggers": inside,
            }
        )
    return {"statements": statements, "triggers": triggers, "language": "en"}


def article(
    text: str,
    *,
    url: str,
    outlet: str,
    published_at: datetime,
    title: str = "Kremlin: no prerequisites for ending the conflict",
) -> ArticleRecord:
    return ArticleRecord(
        id=article_id(url),
        url=url,
        title=title,
        text=text,
        language="en",
        published_at=published_at,
        outlet=outlet,
        country="RU",
        seen_at=published_at,
    )


def _cluster_id(speaker: Mapping[str, Any], quote: str) -> str:
    # Same speaker, same words (case, quote marks and punctuation aside) = one cluster.
    who = (speaker.get("name") or speaker.get("organization") or "").casefold()
    words = re.sub(r"[\W_]+", " ", quote.casefold()).strip()
    return hashlib.sha256(f"{who}\x1f{words}".encode()).hexdigest()[:32]


def statement_docs(
    text: str,
    *,
    url: str = "https://www.rt.com/russia/kremlin-peskov-ukraine/",
    outlet: str = "rt.com",
    published_at: datetime | None = None,
    indexed_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """The ``parley-statements`` documents the pipeline builds for the seed article (fields and
    ids as in DESIGN.md: statement id = article id + quote span, cluster id = speaker + quote)."""
    published = published_at or datetime(2026, 11, 2, tzinfo=UTC)
    record = article(text, url=url, outlet=outlet, published_at=published)
    indexed = (indexed_at or datetime.now(UTC)).isoformat()
    context = {
        "article_id": record.id,
        "url": record.url,
        "title": record.title,
        "outlet": record.outlet,
        "country": record.country,
        "language": record.language,
        "published_at": published.isoformat(),
        "seen_at": published.isoformat(),
        "indexed_at": indexed,
        "@timestamp": published.isoformat(),
    }
    docs = []
    for st in gold_extraction(text, seed_gold())["statements"]:
        quote = st["quote"]
        triggers = st["triggers"]
        docs.append(
            {
                **context,
                "statement_id": f"{record.id}-{quote['start']}-{quote['end']}",
                "cluster_id": _cluster_id(st["speaker"], quote["text"]),
                "kind": st["kind"],
                "quote": quote,
                "cue": st["cue"],
                "speaker": st["speaker"],
                "triggers": triggers,
                "trigger_categories": sorted({t["category"] for t in triggers}),
                "stances": sorted({t["stance"] for t in triggers}),
                "has_trigger": bool(triggers),
            }
        )
    return docs


def index_statements(client: Elasticsearch, index: str, docs: Sequence[Mapping[str, Any]]) -> None:
    """A bulk write like the pipeline's: by statement id, no refresh (the hook refreshes)."""
    operations: list[Mapping[str, Any]] = []
    for doc in docs:
        operations.append({"index": {"_index": index, "_id": doc["statement_id"]}})
        operations.append(doc)
    response = client.bulk(operations=operations)
    assert not response["errors"], response


# -- settings and topics -------------------------------------------------------------------------


def alert_settings(base: Settings, unique: str, **alerts: Any) -> Settings:
    """Settings of one test: its own index prefix, topics and consumer group; 127.0.0.1 allowed
    (the receivers run there); fast retries."""
    section: dict[str, Any] = {
        "signing_secret": {"value": SIGNING_SECRET},
        "retry": {"max_attempts": 4, "backoff_base": 0.05, "backoff_max": 0.5, "timeout": 5.0},
        "matching": {"cache_ttl": 0.5},
        "dispatcher": {"group_id": f"{unique}-dispatcher", "digest_check_interval": 3600},
    }
    for key, value in alerts.items():
        if isinstance(value, dict) and isinstance(section.get(key), dict):
            section[key] = {**section[key], **value}
        else:
            section[key] = value
    data = base.model_dump()
    data["elasticsearch"]["index_prefix"] = f"t-{unique}"
    data["kafka"]["topics"].update(
        alerts=f"{unique}.alerts.v1", deadletter=f"{unique}.deadletter.v1"
    )
    data["http"]["allow_private_networks"] = ["127.0.0.1/32"]
    data["metrics"]["enabled"] = False
    data["alerts"] = section
    return Settings.model_validate(data)


def create_topics(settings: Settings, partitions: int = 2) -> None:
    admin = KafkaAdminClient(**settings.kafka.client_kwargs())
    try:
        topics = settings.kafka.topics
        admin.create_topics(
            [NewTopic(t, partitions, 1) for t in (topics.alerts, topics.deadletter)],
            timeout_ms=30_000,
        )
    finally:
        admin.close()


def delete_topics(settings: Settings) -> None:
    admin = KafkaAdminClient(**settings.kafka.client_kwargs())
    try:
        topics = settings.kafka.topics
        admin.delete_topics([topics.alerts, topics.deadletter], timeout_ms=30_000)
    finally:
        admin.close()


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, step: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def iter_records(settings: Settings, topic: str, timeout: float = 10.0) -> Iterator[Any]:
    """Every record of ``topic`` from the beginning, until ``timeout`` passes without one."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        **settings.kafka.client_kwargs(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=int(timeout * 1000),
    )
    try:
        yield from consumer
    finally:
        consumer.close()
