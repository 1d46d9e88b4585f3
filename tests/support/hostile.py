"""Helpers of the hostile-input suite (``tests/integration/hostile``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import httpx

from parley.config import Settings

ADMIN_TOKEN = "hostile-admin-token-0123456789"
DESK_TOKEN = "hostile-desk-token-0123456789"


@dataclass
class RunningApi:
    client: httpx.Client
    settings: Settings
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        return str(self.client.base_url)

    def alive(self) -> bool:
        try:
            return self.thread.is_alive() and self.client.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class DispatcherThread:
    """A dispatcher in its own thread and event loop, as ``run_dispatcher`` runs it."""

    def __init__(self, settings: Settings) -> None:
        import asyncio

        from sinks.alerts.dispatcher import Dispatcher

        self.stop_event = threading.Event()
        self.dispatcher = Dispatcher(settings, self.stop_event)
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(asyncio,), name="dispatcher", daemon=True
        )

    def _run(self, asyncio: Any) -> None:
        try:
            asyncio.run(self.dispatcher.run())
        except BaseException as exc:
            self.error = exc

    def start(self) -> DispatcherThread:
        self._thread.start()
        return self

    def alive(self) -> bool:
        return self._thread.is_alive() and self.error is None

    def close(self) -> None:
        self.stop_event.set()
        self._thread.join(30)
        assert not self._thread.is_alive(), "the dispatcher did not stop"
