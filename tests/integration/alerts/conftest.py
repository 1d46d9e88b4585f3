"""Fixtures of the alerting integration tests: real Kafka, Elasticsearch and receivers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from elasticsearch import Elasticsearch
from support.alerting import (
    WebhookReceiver,
    alert_settings,
    create_topics,
    delete_topics,
)

from parley.config import Settings
from parley.netguard import NetGuard
from sinks.alerts.config import alerts_settings
from sinks.alerts.dispatcher import Dispatcher
from sinks.alerts.hook import AlertHook
from sinks.alerts.store import SubscriptionStore
from sinks.elasticsearch.setup import install_templates
from sinks.elasticsearch.templates import INDICES

T = TypeVar("T")


@pytest.fixture
def make_settings(
    settings: Settings, es_client: Elasticsearch, kafka_bootstrap: str, unique_name: str
) -> Iterator[Callable[..., Settings]]:
    """Settings with this test's index prefix and topics; indices and topics are created on
    first use and removed afterwards.  Keyword arguments override the ``alerts`` section."""
    created: list[Settings] = []

    def make(**alerts: Any) -> Settings:
        s = alert_settings(settings, unique_name, **alerts)
        if not created:
            install_templates(es_client, s.elasticsearch)
            create_topics(s)
        created.append(s)
        return s

    yield make
    if created:
        s = created[0]
        es_client.indices.delete(index=s.elasticsearch.index("matching"), ignore_unavailable=True)
        for name in INDICES:
            es_client.indices.delete(index=s.elasticsearch.index(name), ignore_unavailable=True)
            es_client.options(ignore_status=404).indices.delete_index_template(
                name=s.elasticsearch.index(name)
            )
        delete_topics(s)


@pytest.fixture
def store_for(es_client: Elasticsearch) -> Callable[[Settings], SubscriptionStore]:
    def make(s: Settings) -> SubscriptionStore:
        return SubscriptionStore(
            es_client, s.elasticsearch, alerts_settings(s), NetGuard.from_settings(s.http)
        )

    return make


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def hook_for() -> Iterator[Callable[[Settings], AlertHook]]:
    hooks: list[AlertHook] = []

    def make(s: Settings) -> AlertHook:
        hook = AlertHook(s)
        hooks.append(hook)
        return hook

    yield make
    for hook in hooks:
        hook.close()


class DispatcherThread:
    """A dispatcher running in its own thread and event loop, as ``run_dispatcher`` runs it."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        self.stop_event = threading.Event()
        self.dispatcher = Dispatcher(settings, self.stop_event, **kwargs)
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._ready.set()
            await self.dispatcher.run()

        try:
            asyncio.run(main())
        except BaseException as exc:
            self.error = exc
        finally:
            self._ready.set()

    def start(self) -> DispatcherThread:
        self._thread.start()
        self._ready.wait(10)
        return self

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run ``coro`` on the dispatcher's loop (e.g. ``flush_digests``) and wait for it."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def close(self) -> None:
        self.stop_event.set()
        self._thread.join(30)
        assert not self._thread.is_alive(), "the dispatcher did not stop"


@pytest.fixture
def start_dispatcher() -> Iterator[Callable[..., DispatcherThread]]:
    running: list[DispatcherThread] = []

    def start(s: Settings, **kwargs: Any) -> DispatcherThread:
        thread = DispatcherThread(s, **kwargs).start()
        running.append(thread)
        return thread

    yield start
    for thread in running:
        thread.close()
    for thread in running:
        assert thread.error is None, f"dispatcher failed: {thread.error!r}"
