"""Helpers for the poller integration tests: per-test topics, a poller bound to the real Kafka,
and a reader of what reached a topic."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic

from ingest.config import IngestSettings
from ingest.feeds import Feed
from ingest.poller import FeedPoller, PollReport
from ingest.producer import ArticleProducer
from ingest.robots import RobotsPolicy
from ingest.store import FeedState, IngestStore
from parley.config import Settings


def create_topic(bootstrap: str, name: str, partitions: int = 1, compact: bool = False) -> None:
    admin = KafkaAdminClient(bootstrap_servers=[bootstrap])
    try:
        configs = {"cleanup.policy": "compact"} if compact else {}
        admin.create_topics(
            [NewTopic(name, partitions, 1, topic_configs=configs)], timeout_ms=30_000
        )
    finally:
        admin.close()


def read_topic(
    bootstrap: str, topic: str, *, expect: int | None = None, idle_ms: int = 3000
) -> list[tuple[str, dict[str, Any]]]:
    """All (key, record) pairs of ``topic``; stops after ``idle_ms`` without new records (and,
    when ``expect`` is given, as soon as that many arrived, plus a short check for more)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=[bootstrap],
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=idle_ms,
    )
    out: list[tuple[str, dict[str, Any]]] = []
    try:
        for message in consumer:
            out.append((message.key.decode(), json.loads(message.value)))
            if expect is not None and len(out) >= expect:
                # Anything beyond the expectation (a duplicate) would show up within a second.
                extra = consumer.poll(timeout_ms=1000)
                for batch in extra.values():
                    out.extend((m.key.decode(), json.loads(m.value)) for m in batch)
                break
    finally:
        consumer.close()
    return out


@dataclass
class PollerHarness:
    poller: FeedPoller
    store: IngestStore
    topic: str
    runner: asyncio.Runner

    def poll(self, feed: Feed) -> PollReport:
        if feed.id not in self.poller.feeds:
            self.poller.upsert(feed)
        return self.runner.run(self.poller.poll_feed(feed))

    def state(self, feed: Feed) -> FeedState:
        state = self.store.get_state(feed.id)
        assert state is not None
        return state


def ingest_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "state_dir": str(tmp_path / "state"),
        "assignment": "file",
        "politeness": {"per_host_concurrency": 4, "per_host_min_delay": 0.0},
        "limits": {"connect_timeout": 2, "read_timeout": 2, "total_timeout": 4},
        "schedule": {
            "min_interval": 1,
            "max_interval": 60,
            "jitter": 0.0,
            "failure_backoff_base": 1,
        },
        "shutdown_grace": 5,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def poller_settings(bootstrap: str, topic: str, tmp_path: Path, **ingest: Any) -> Settings:
    return Settings.model_validate(
        {
            "kafka": {"bootstrap_servers": bootstrap, "topics": {"articles": topic}},
            "http": {"allow_private_networks": ["127.0.0.1/32"]},
            "metrics": {"enabled": False},
            "ingest": ingest_config(tmp_path, **ingest),
        }
    )


async def build_poller(
    config: IngestSettings,
    store: IngestStore,
    producer: ArticleProducer,
    fetcher: Any,
    robots: RobotsPolicy | None,
) -> FeedPoller:
    return FeedPoller(config, store=store, producer=producer, fetcher=fetcher, robots=robots)


def write_config(path: Path, settings: dict[str, Any]) -> Path:
    path.write_text(json.dumps(settings))  # JSON is YAML
    return path


def parley_command(*args: str) -> list[str]:
    """The installed ``parley`` console script of this interpreter's environment."""
    import sys

    return [str(Path(sys.executable).parent / "parley"), *args]
