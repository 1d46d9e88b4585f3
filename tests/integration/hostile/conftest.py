"""Fixtures of the hostile-input suite: one test's topics and indices on the real Kafka and
Elasticsearch, a recording SMTP server (aiosmtpd) and webhook receiver on 127.0.0.1, the
subscriptions API served by uvicorn, and the pipeline and dispatcher running in this process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from support.alerting import SIGNING_SECRET, Mailbox, WebhookReceiver, free_port, wait_until
from support.hostile import ADMIN_TOKEN, DESK_TOKEN, RunningApi

from parley.config import Settings, load_settings
from sinks.alerts.api import run_api
from sinks.elasticsearch.setup import install_templates
from sinks.elasticsearch.templates import INDICES


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def hostile_settings(
    settings: Settings,
    es_client: Elasticsearch,
    kafka_bootstrap: str,
    unique_name: str,
    mailbox: tuple[Mailbox, int],
) -> Iterator[Settings]:
    """Settings of one run: own topics (one partition for the articles, so that "the record
    right after the poison" is well defined), indices, consumer groups and receivers."""
    name = unique_name
    _, smtp_port = mailbox
    hostile = load_settings(
        kafka={
            "bootstrap_servers": settings.kafka.bootstrap_servers,
            "topics": {
                "articles": f"{name}.articles",
                "alerts": f"{name}.alerts",
                "deadletter": f"{name}.deadletter",
            },
        },
        elasticsearch={"hosts": settings.elasticsearch.hosts, "index_prefix": f"t-{name}"},
        http={"allow_private_networks": ["127.0.0.1/32"]},
        metrics={"enabled": False},
        pipeline={"group_id": f"{name}-pipeline", "poll_timeout_ms": 50},
        alerts={
            "signing_secret": {"value": SIGNING_SECRET},
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "sender": "parley <a@example.org>"},
            # Generous: a receiver slowed down by a loaded machine is not what this run tests.
            "retry": {"max_attempts": 8, "backoff_base": 0.1, "backoff_max": 2, "timeout": 10},
            "matching": {"cache_ttl": 0.5},
            "dispatcher": {"group_id": f"{name}-dispatcher", "digest_check_interval": 3600},
            "api": {
                "host": "127.0.0.1",
                "port": free_port(),
                "token": {"value": ADMIN_TOKEN},
                "tokens": [{"owner": "desk", "token": {"value": DESK_TOKEN}}],
            },
        },
    )
    topics = hostile.kafka.topics
    admin = KafkaAdminClient(**hostile.kafka.client_kwargs())
    try:
        admin.create_topics(
            [
                NewTopic(topics.articles, 1, 1, topic_configs={"max.message.bytes": "26214400"}),
                NewTopic(topics.alerts, 2, 1),
                NewTopic(topics.deadletter, 1, 1),
            ],
            timeout_ms=30_000,
        )
    finally:
        admin.close()
    install_templates(es_client, hostile.elasticsearch)
    yield hostile
    es_client.indices.delete(index=hostile.elasticsearch.index("matching"), ignore_unavailable=True)
    for index in INDICES:
        full = hostile.elasticsearch.index(index)
        es_client.indices.delete(index=full, ignore_unavailable=True)
        es_client.options(ignore_status=404).indices.delete_index_template(name=full)
    admin = KafkaAdminClient(**hostile.kafka.client_kwargs())
    try:
        admin.delete_topics([topics.articles, topics.alerts, topics.deadletter])
    finally:
        admin.close()


@pytest.fixture
def api(hostile_settings: Settings) -> Iterator[RunningApi]:
    """The API under uvicorn on 127.0.0.1, as ``parley alerts api`` serves it."""
    stop = threading.Event()
    thread = threading.Thread(target=run_api, args=(hostile_settings, stop), daemon=True)
    thread.start()
    port = hostile_settings.alerts["api"]["port"]
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    running = RunningApi(client, hostile_settings, thread)
    assert wait_until(running.alive, timeout=30), "the API did not start"
    yield running
    client.close()
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


@pytest.fixture
def spec_for() -> Callable[..., dict[str, Any]]:
    def make(**kw: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "name": "talks",
            "query": "triggers.category:negotiations",
            "channels": [{"type": "email", "to": ["desk@example.org"]}],
        }
        return {**base, **kw}

    return make
