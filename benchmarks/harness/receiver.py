"""A webhook receiver on 127.0.0.1 that verifies every signature and records every arrival.

Each POST is checked with parley's published verification (``sinks.alerts.signing.verify``);
a bad or missing signature is answered 401 and counted, never recorded as an alert.  Arrivals
are kept in order with their time, alert id, article id and quote, so the harness can count
alerts per story and deliveries per alert (a second delivery of one alert is a duplicate).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sinks.alerts.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify


@dataclass(frozen=True)
class Arrival:
    at: float
    alert_id: str
    article_id: str | None
    quote: str
    delivery_id: str | None
    created_at: str | None  # when the matcher created the alert


class WebhookReceiver:
    def __init__(self, secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.secret = secret
        self.arrivals: list[Arrival] = []
        self.rejected = 0
        self.malformed = 0
        self._cond = threading.Condition()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.host = host
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="receiver", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/alerts"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        """``headers`` with lower-case names; returns the HTTP status to answer."""
        now = time.time()
        try:
            verify(
                self.secret,
                body,
                headers.get(TIMESTAMP_HEADER.lower()),
                headers.get(SIGNATURE_HEADER.lower()),
            )
        except SignatureError:
            with self._cond:
                self.rejected += 1
            return 401
        try:
            payload: Any = json.loads(body)
        except ValueError:
            with self._cond:
                self.malformed += 1
            return 400
        alerts = [payload["alert"]] if isinstance(payload.get("alert"), dict) else []
        alerts += [a for a in payload.get("alerts") or [] if isinstance(a, dict)]
        with self._cond:
            for alert in alerts:
                quote = alert.get("quote") or {}
                self.arrivals.append(
                    Arrival(
                        at=now,
                        alert_id=str(alert.get("alert_id")),
                        article_id=_article_of(alert),
                        quote=str(quote.get("text") if isinstance(quote, dict) else quote),
                        delivery_id=headers.get("x-parley-delivery"),
                        created_at=alert.get("created_at"),
                    )
                )
            self._cond.notify_all()
        return 204

    def snapshot(self) -> list[Arrival]:
        with self._cond:
            return list(self.arrivals)

    def wait_until(self, predicate: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.arrivals):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 1.0))
            return True


def _article_of(alert: dict[str, Any]) -> str | None:
    """The article id: explicit, or the prefix of the statement id (``<article>-<start>-<end>``)."""
    if alert.get("article_id"):
        return str(alert["article_id"])
    statement = alert.get("statement_id")
    return str(statement).split("-", 1)[0] if statement else None


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = receiver.handle(body, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
