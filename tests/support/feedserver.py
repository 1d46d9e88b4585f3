"""A real HTTP/1.1 server on 127.0.0.1 whose answers are scripted per path.

Each path gets a list of ``Reply``s served in order (the last one repeats) or a function of the
request.  Every request is recorded (path, headers, time) so tests can check what the poller
sent (conditional headers, User-Agent) and when (Retry-After, politeness).
"""

from __future__ import annotations

import functools
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: bytes | Callable[[], Iterable[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # accept the request, never answer


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float
    thread: str
    client_port: int
    done_at: float | None = None  # when the answer was complete (None: still answering)


Route = list[Reply] | Callable[[Seen], Reply]


class ScriptedServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self._served: dict[str, int] = {}
        self.requests: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self.httpd.daemon_threads = True
        # Clients hanging up mid-body is what several tests provoke: not worth a traceback.
        self.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.port = self.httpd.server_address[1]
        self.host = host
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def route_fn(self, path: str, fn: Callable[[Seen], Reply]) -> None:
        self.routes[path] = fn

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _next_reply(self, seen: Seen) -> Reply:
        route = self.routes.get(seen.path.split("?", 1)[0]) or self.routes.get(seen.path)
        if route is None:
            return Reply(404, b"not found")
        if callable(route):
            return route(seen)
        with self._lock:
            index = self._served.get(seen.path, 0)
            self._served[seen.path] = index + 1
        return route[min(index, len(route) - 1)]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                seen = Seen(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    at=time.monotonic(),
                    thread=threading.current_thread().name,
                    client_port=self.client_address[1],
                )
                with server._lock:
                    server.requests.append(seen)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer(server._next_reply(seen))
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                finally:
                    seen.done_at = time.monotonic()
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, reply: Reply) -> None:
                if reply.hang:
                    server._closing.wait(120)
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if isinstance(reply.body, bytes):
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in reply.body():
                    if not chunk:
                        continue
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")

        return Handler


def rss(items: Iterable[tuple[str, str]], *, title: str = "Test feed", extra: str = "") -> bytes:
    """An RSS 2.0 document with (link, title) items."""
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>Summary of {t}.</description>"
        f"<pubDate>Mon, 0{1 + i % 9} Jan 2024 10:00:00 GMT</pubDate></item>"
        for i, (link, t) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.invalid/</link>{extra}{body}"
        "</channel></rss>"
    ).encode()


def article_html(title: str, paragraphs: int = 6) -> bytes:
    text = "".join(
        f"<p>Paragraph {i} of {title}: the spokesman said the government remains open to "
        f"talks and described the ceasefire proposal in considerable detail for readers.</p>"
        for i in range(paragraphs)
    )
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title>'
        f'<meta name="author" content="Jane Reporter">'
        f'<meta property="article:published_time" content="2024-03-05T08:00:00Z"></head>'
        f"<body><nav>Home | World</nav><article><h1>{title}</h1>{text}</article>"
        f"<footer>Copyright</footer></body></html>"
    ).encode()


def repeat_bytes(total: int, chunk: bytes) -> Callable[[], Iterator[bytes]]:
    def gen() -> Iterator[bytes]:
        sent = 0
        while sent < total:
            piece = chunk[: total - sent]
            sent += len(piece)
            yield piece

    return gen


@functools.lru_cache(maxsize=2)
def gzip_bomb(decompressed_mb: int) -> bytes:
    """A gzip body of ``decompressed_mb`` MB of zeros (about 1 kB on the wire per MB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = b"\0" * (1024 * 1024)
    return b"".join(compressor.compress(zeros) for _ in range(decompressed_mb)) + (
        compressor.flush()
    )
