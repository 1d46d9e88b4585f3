"""Helpers for the pipeline's integration tests: one test's topics, indices and consumer group on
the real Kafka and Elasticsearch, producing articles, running the pipeline, reading results."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import UnknownTopicOrPartitionError

from benchmarks.harness.ports import free_port as free_port  # re-exported for the tests
from ingest.ids import article_id
from ingest.records import ArticleRecord
from parley.config import Settings, load_settings
from pipeline import lifecycle
from pipeline.beam.app import run
from pipeline.beam.transforms import HookFactory
from pipeline.documents import build_documents
from pipeline.processing import statement_extractor
from sinks.elasticsearch.setup import install_templates
from sinks.elasticsearch.templates import INDICES

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # indexed_at does not enter any id
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED_TEXT = (FIXTURES / "seed-article.txt").read_text("utf-8")
# Room for the 20 MB poison record on the test topic (the broker default is 1 MB).
TOPIC_MAX_MESSAGE_BYTES = 25 * 1024 * 1024


def pipeline_settings(base: Settings, name: str, **pipeline: Any) -> Settings:
    return load_settings(
        kafka={
            "bootstrap_servers": base.kafka.bootstrap_servers,
            "topics": {"articles": f"{name}.articles", "deadletter": f"{name}.deadletter"},
        },
        elasticsearch={"hosts": base.elasticsearch.hosts, "index_prefix": name},
        metrics={"enabled": False},
        alerts={"enabled": False},
        pipeline={"group_id": f"{name}-pipeline", "poll_timeout_ms": 50, **pipeline},
    )


def seed_article(i: int, *, text: str = SEED_TEXT, **extra: Any) -> ArticleRecord:
    """The seed article as outlet ``i`` published it: another URL, and a dateline in front so
    that quote spans (and so statement ids) differ while cluster ids stay the same."""
    url = f"https://outlet-{i}.example/world/peskov-no-prerequisites"
    return ArticleRecord(
        id=article_id(url),
        url=url,
        title=f"Kremlin: no prerequisites for ending the conflict ({i})",
        text=f"MOSCOW, dispatch {i}.\n{text}",
        outlet=f"outlet-{i}",
        **extra,
    )


@dataclass
class Produced:
    record: ArticleRecord | None
    partition: int
    offset: int


@dataclass
class PipelineEnv:
    settings: Settings
    es: Elasticsearch
    partitions: int = 3
    produced: list[Produced] = field(default_factory=list)

    @property
    def topic(self) -> str:
        return self.settings.kafka.topics.articles

    @property
    def deadletter_topic(self) -> str:
        return self.settings.kafka.topics.deadletter

    def index(self, name: str) -> str:
        return self.settings.elasticsearch.index(name)

    # -- setup / teardown -------------------------------------------------------------------

    def create(self) -> None:
        admin = KafkaAdminClient(**self.settings.kafka.client_kwargs())
        try:
            admin.create_topics(
                [
                    NewTopic(
                        self.topic,
                        self.partitions,
                        1,
                        topic_configs={"max.message.bytes": str(TOPIC_MAX_MESSAGE_BYTES)},
                    ),
                    NewTopic(self.deadletter_topic, 1, 1),
                ]
            )
        finally:
            admin.close()
        install_templates(self.es, self.settings.elasticsearch)

    def destroy(self) -> None:
        for name in INDICES:
            index = self.index(name)
            self.es.options(ignore_status=404).indices.delete(index=index)
            self.es.options(ignore_status=404).indices.delete_index_template(name=index)
        admin = KafkaAdminClient(**self.settings.kafka.client_kwargs())
        try:
            admin.delete_topics([self.topic, self.deadletter_topic])
        except UnknownTopicOrPartitionError:
            pass
        finally:
            admin.close()

    # -- Kafka --------------------------------------------------------------------------------

    def produce(
        self, values: Sequence[ArticleRecord | bytes], *, partition: int | None = None
    ) -> list[Produced]:
        producer = KafkaProducer(
            **self.settings.kafka.client_kwargs(),
            acks="all",
            max_request_size=TOPIC_MAX_MESSAGE_BYTES,
        )
        try:
            futures = []
            for value in values:
                record = value if isinstance(value, ArticleRecord) else None
                payload = value.to_bytes() if isinstance(value, ArticleRecord) else value
                key = record.id.encode() if record else None
                futures.append(
                    (record, producer.send(self.topic, key=key, value=payload, partition=partition))
                )
            producer.flush()
            out = [Produced(r, f.get(30).partition, f.get(30).offset) for r, f in futures]
        finally:
            producer.close()
        self.produced.extend(out)
        return out

    def end_offsets(self) -> dict[int, int]:
        consumer = KafkaConsumer(**self.settings.kafka.client_kwargs())
        try:
            tps = [TopicPartition(self.topic, p) for p in range(self.partitions)]
            return {tp.partition: int(o) for tp, o in consumer.end_offsets(tps).items()}
        finally:
            consumer.close()

    def committed(self, group_id: str | None = None) -> dict[int, int | None]:
        group = group_id or self.settings.pipeline["group_id"]
        consumer = KafkaConsumer(
            **self.settings.kafka.client_kwargs(), group_id=group, enable_auto_commit=False
        )
        try:
            return {
                p: consumer.committed(TopicPartition(self.topic, p)) for p in range(self.partitions)
            }
        finally:
            consumer.close()

    def dead_letters(self, expected: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        consumer = KafkaConsumer(
            self.deadletter_topic,
            **self.settings.kafka.client_kwargs(),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=1000,
        )
        letters: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        try:
            while len(letters) < expected and time.monotonic() < deadline:
                letters.extend(json.loads(m.value) for m in consumer)
        finally:
            consumer.close()
        return letters

    # -- Elasticsearch ------------------------------------------------------------------------

    def count(self, name: str, query: Mapping[str, Any] | None = None) -> int:
        self.es.indices.refresh(index=self.index(name))
        body = {"query": query} if query else {}
        return int(self.es.count(index=self.index(name), **body)["count"])

    def documents(self, name: str) -> dict[str, dict[str, Any]]:
        self.es.indices.refresh(index=self.index(name))
        hits = self.es.search(
            index=self.index(name), size=10_000, query={"match_all": {}}, version=True
        )["hits"]["hits"]
        return {h["_id"]: {**h["_source"], "_version": h["_version"]} for h in hits}

    def wait_for_count(self, name: str, expected: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        count = -1
        while time.monotonic() < deadline:
            count = self.count(name)
            if count >= expected:
                return count
            time.sleep(0.25)
        return count

    # -- the pipeline -------------------------------------------------------------------------

    def run_bounded(
        self, *argv: str, hook_factories: Sequence[HookFactory] = (), **pipeline: Any
    ) -> str:
        settings = self.with_pipeline(**pipeline)
        lifecycle.reset()
        result = run(
            ["--bounded", "--no-metrics", *argv],
            settings=settings,
            hook_factories=hook_factories,
            install_signals=False,
        )
        return str(result.wait_until_finish())

    def with_pipeline(self, **pipeline: Any) -> Settings:
        return self.settings.model_copy(update={"pipeline": {**self.settings.pipeline, **pipeline}})

    def expected_documents(self) -> tuple[set[str], set[str]]:
        """Article and statement ids the pure core makes from what this test produced."""
        extract = statement_extractor()
        articles: set[str] = set()
        statements: set[str] = set()
        for p in self.produced:
            if p.record is None:
                continue
            docs = build_documents(p.record, extract(p.record), indexed_at=_EPOCH)
            articles.add(docs.article.id)
            statements.update(d.id for d in docs.statements)
        return articles, statements


class StreamingPipeline:
    """``run()`` of the unbounded pipeline on the embedded runner, in a thread of this process;
    ``stop()`` is what SIGTERM does (``lifecycle.request_stop``)."""

    def __init__(
        self, settings: Settings, *argv: str, hook_factories: Sequence[HookFactory] = ()
    ) -> None:
        self.state: str | None = None
        self.error: BaseException | None = None
        lifecycle.reset()

        def target() -> None:
            try:
                result = run(
                    ["--no-metrics", *argv],
                    settings=settings,
                    hook_factories=hook_factories,
                    install_signals=False,
                )
                self.state = str(result.wait_until_finish())
            except BaseException as exc:
                self.error = exc

        self.thread = threading.Thread(target=target, name="pipeline", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 60.0) -> str | None:
        lifecycle.request_stop()
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError(f"the pipeline did not stop within {timeout}s")
        if self.error is not None:
            raise self.error
        lifecycle.reset()
        return self.state


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def environment(settings: Settings) -> dict[str, str]:
    """PARLEY_* variables that make a `parley pipeline` subprocess use ``settings``."""
    env = dict(os.environ)
    env.update(
        {
            "PARLEY_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
            "PARLEY_KAFKA__TOPICS__ARTICLES": settings.kafka.topics.articles,
            "PARLEY_KAFKA__TOPICS__DEADLETTER": settings.kafka.topics.deadletter,
            "PARLEY_ELASTICSEARCH__HOSTS": settings.elasticsearch.hosts,
            "PARLEY_ELASTICSEARCH__INDEX_PREFIX": settings.elasticsearch.index_prefix,
            "PARLEY_ALERTS__ENABLED": "false",
        }
    )
    for key, value in settings.pipeline.items():
        env[f"PARLEY_PIPELINE__{key.upper()}"] = str(value)
    return env


# -- a recording post-index hook (module level: pickled by reference into the workers) -------

HOOK_CALLS: list[dict[str, Any]] = []


def recording_hook(settings: Settings) -> Callable[[Sequence[Mapping[str, Any]]], None]:
    """Records each call's statement ids with the group's committed offsets at that moment,
    so a test can check that hooks run before the offsets move."""
    topic = settings.kafka.topics.articles
    group = settings.pipeline["group_id"]
    consumer = KafkaConsumer(
        **settings.kafka.client_kwargs(), group_id=group, enable_auto_commit=False
    )

    def hook(docs: Sequence[Mapping[str, Any]]) -> None:
        committed = {
            p: consumer.committed(TopicPartition(topic, p))
            for p in sorted(consumer.partitions_for_topic(topic) or [])
        }
        HOOK_CALLS.append(
            {"ids": [d["statement_id"] for d in docs], "committed": committed, "t": time.time()}
        )

    return hook


def marker_hook(settings: Settings) -> Callable[[Sequence[Mapping[str, Any]]], None]:
    """For a `parley pipeline` subprocess (``--hook support.pipeline_env:marker_hook``): touches
    ``$PARLEY_TEST_HOOK_MARKER`` when called, then lingers, so a test can kill the process at a
    known point: documents stored, offsets not yet committed."""
    marker = Path(os.environ["PARLEY_TEST_HOOK_MARKER"])
    linger = float(os.environ.get("PARLEY_TEST_HOOK_LINGER", "1.0"))

    def hook(docs: Sequence[Mapping[str, Any]]) -> None:
        marker.write_text(",".join(str(d["statement_id"]) for d in docs))
        time.sleep(linger)

    return hook


def iter_hook_ids() -> Iterator[str]:
    for call in HOOK_CALLS:
        yield from call["ids"]
