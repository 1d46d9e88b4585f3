"""Elasticsearch stopped for 60 s mid-stream, then started again: nothing lost, nothing
duplicated, and no offset committed while it was down.

This test stops Elasticsearch, so it runs its own node (deploy/local scripts, other ports and
data dir) instead of the shared one, and removes it afterwards.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from elasticsearch import Elasticsearch
from support.pipeline_env import (
    PipelineEnv,
    StreamingPipeline,
    free_port,
    pipeline_settings,
    seed_article,
    wait_until,
)

from parley.config import REPO_ROOT, Settings
from pipeline import lifecycle, metrics

SERVICES = REPO_ROOT / "deploy" / "local" / "services.sh"
OUTAGE_SECONDS = 60


@dataclass
class PrivateElasticsearch:
    url: str
    env: dict[str, str]

    def _services(self, action: str) -> None:
        result = subprocess.run(
            ["bash", str(SERVICES), action, "elasticsearch"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=400,
            check=False,
        )
        assert result.returncode == 0, f"services.sh {action}: {result.stdout}{result.stderr}"

    def up(self) -> None:
        self._services("up")

    def down(self) -> None:
        self._services("down")


@pytest.fixture
def private_es(settings: Settings) -> Iterator[PrivateElasticsearch]:
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "PARLEY_SERVICES__ELASTICSEARCH_PORT": str(port),
            "PARLEY_SERVICES__ELASTICSEARCH_TRANSPORT_PORT": str(free_port()),
            # A fixed directory of its own: reused by the next run, never the shared node's.
            "PARLEY_SERVICES__DATA_DIR": str(settings.services.data_dir / "pipeline-outage-test"),
            "PARLEY_SERVICES__CACHE_DIR": str(settings.services.cache_dir),
        }
    )
    node = PrivateElasticsearch(f"http://127.0.0.1:{port}", env)
    node.up()
    try:
        yield node
    finally:
        node.down()


def bulk_retries() -> float:
    return sum(
        s.value
        for m in metrics.BULK_RETRIES.collect()
        for s in m.samples
        if s.name.endswith("_total")
    )


@pytest.mark.timeout(900)
def test_elasticsearch_outage_loses_and_duplicates_nothing(
    settings: Settings, kafka_bootstrap: str, private_es: PrivateElasticsearch, unique_name: str
) -> None:
    base = settings.model_copy(
        update={
            "elasticsearch": settings.elasticsearch.model_copy(update={"hosts": private_es.url})
        }
    )
    client = Elasticsearch(private_es.url, request_timeout=30)
    env = PipelineEnv(pipeline_settings(base, unique_name, bulk_max_backoff=2.0), client)
    env.create()
    lifecycle.reset()
    job = StreamingPipeline(env.settings)
    try:
        before = env.produce([seed_article(i) for i in range(6)])
        assert wait_until(
            lambda: all((env.committed()[p.partition] or 0) > p.offset for p in before), timeout=60
        )
        assert env.count("articles") == 6

        private_es.down()
        committed_at_stop = env.committed()
        retries_at_stop = bulk_retries()
        during = env.produce([seed_article(i) for i in range(6, 14)])
        stopped_at = time.monotonic()
        while time.monotonic() - stopped_at < OUTAGE_SECONDS:
            assert env.committed() == committed_at_stop, (
                "offsets moved while Elasticsearch was down"
            )
            assert job.thread.is_alive() and job.error is None
            time.sleep(2)
        assert bulk_retries() > retries_at_stop, "the sink did not retry during the outage"

        private_es.up()
        end = env.end_offsets()
        assert wait_until(lambda: env.committed() == end, timeout=120)
    finally:
        job.stop()
    try:
        articles, statements = env.expected_documents()
        assert len(articles) == len(before) + len(during) == 14
        assert set(env.documents("articles")) == articles
        docs = env.documents("statements")
        assert set(docs) == statements
        assert {d["_version"] for d in docs.values()} == {1}
        assert env.dead_letters(expected=0, timeout=2) == []
    finally:
        env.destroy()
        client.close()
