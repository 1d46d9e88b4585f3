"""Fixtures of the poller integration tests (helpers live in support.ingest_kafka)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.ingest_kafka import PollerHarness, build_poller, create_topic, poller_settings

from ingest.config import IngestSettings
from ingest.producer import ArticleProducer
from ingest.robots import RobotsPolicy
from ingest.runner import build_fetcher
from ingest.store import IngestStore


@pytest.fixture
def articles_topic(kafka_bootstrap: str, unique_name: str) -> str:
    topic = f"parley.articles.{unique_name}"
    create_topic(kafka_bootstrap, topic)
    return topic


@pytest.fixture
def make_poller(kafka_bootstrap: str, articles_topic: str, tmp_path: Path) -> Iterator[Any]:
    harnesses: list[PollerHarness] = []
    producers: list[ArticleProducer] = []

    def make(**ingest: Any) -> PollerHarness:
        settings = poller_settings(kafka_bootstrap, articles_topic, tmp_path, **ingest)
        config = IngestSettings.model_validate(settings.ingest)
        runner = asyncio.Runner()
        store = IngestStore(config.state_db)
        fetcher = build_fetcher(settings, config)
        producer = ArticleProducer(settings.kafka.client_kwargs(), articles_topic)
        producers.append(producer)
        robots = (
            RobotsPolicy(fetcher, agent="parley-test", max_bytes=100_000)
            if config.politeness.respect_robots and config.fetch_articles
            else None
        )
        poller = runner.run(build_poller(config, store, producer, fetcher, robots))
        harness = PollerHarness(poller, store, articles_topic, runner)
        harnesses.append(harness)
        return harness

    yield make
    for harness in harnesses:
        harness.runner.run(harness.poller.fetcher.aclose())
        harness.runner.close()
        harness.store.close()
    for producer in producers:
        producer.close(5)
