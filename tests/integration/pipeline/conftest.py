"""Fixtures of the pipeline integration tests: this test's topics, indices and consumer group on
the real Kafka and Elasticsearch, removed afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch
from support import pipeline_env
from support.pipeline_env import PipelineEnv, pipeline_settings

from parley.config import Settings
from pipeline import lifecycle


@pytest.fixture
def env(
    settings: Settings, kafka_bootstrap: str, es_client: Elasticsearch, unique_name: str
) -> Iterator[PipelineEnv]:
    e = PipelineEnv(pipeline_settings(settings, unique_name), es_client)
    e.create()
    pipeline_env.HOOK_CALLS.clear()
    lifecycle.reset()
    try:
        yield e
    finally:
        lifecycle.reset()
        e.destroy()
