"""An ASGI middleware that refuses request bodies over a limit before they are read.

FastAPI reads a request's body before it resolves the dependencies that authenticate it, so
without a limit anybody could make the API read 100 MB before it answers 401.  This
middleware sits in front of the application:

- a ``Content-Length`` over the limit is answered ``413`` at once: the body is never read (and
  a client waiting for ``100 Continue`` never sends it);
- a body without a length (chunked, streamed) is counted as it arrives, and refused with
  ``413`` as soon as it passes the limit, so at most ``max_bytes`` are ever read;
- a ``Content-Length`` that is not a number is ``400``.

Errors have the API's shape: ``{"detail": {"code": "body_too_large", "message": …}}``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def too_large_message(max_bytes: int) -> str:
    return f"the request body is larger than the limit of {max_bytes} bytes"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length == -1:
            await _respond(send, 400, "bad_request", "Content-Length is not a number")
            return
        if length is not None and length > self.max_bytes:
            await _respond(send, 413, "body_too_large", too_large_message(self.max_bytes))
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises an HTTPException from reading the body as a response.
                    raise HTTPException(
                        413,
                        detail={
                            "code": "body_too_large",
                            "message": too_large_message(self.max_bytes),
                        },
                    )
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when absent, -1 when not a number."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
            return length if length >= 0 else -1
    return None


async def _respond(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"detail": {"code": code, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
