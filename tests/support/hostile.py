"""Helpers of the hostile-input suite (``tests/integration/hostile``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import httpx
from aiosmtpd.smtp import Envelope, Session

from parley.config import Settings

ADMIN_TOKEN = "hostile-admin-token-0123456789"
DESK_TOKEN = "hostile-desk-token-0123456789"


class Mailbox:
    """Every message the SMTP server accepted, as received (bytes)."""

    def __init__(self) -> None:
        self.messages: list[Envelope] = []
        self.cond = threading.Condition()

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        with self.cond:
            self.messages.append(envelope)
            self.cond.notify_all()
        return "250 OK"


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
