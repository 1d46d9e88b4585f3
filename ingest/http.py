"""Bounded, polite HTTP fetching (httpx, async) for feeds, article pages and robots.txt.

Every request goes through the SSRF guard's transport (each redirect hop included), through the
per-host gate (``per_host_concurrency`` requests at a time, ``per_host_min_delay`` seconds apart),
and reads the body as raw bytes that are decompressed here with a hard output budget: httpx's own
decoders inflate a whole network chunk at once, which lets a gzip bomb allocate ~1000x the chunk.

Failures are ``FetchError`` with a short ``kind`` that becomes the metric label and the status
shown by ``parley feeds status``.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from parley.http_pools import PerHostTransport
from parley.netguard import BlockedAddressError, NetGuard, NetGuardError, UnsupportedUrlError

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_CODES = frozenset({301, 308})
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, application/feed+json;q=0.8, */*;q=0.5"
)
HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
DRAIN_LIMIT = 64 * 1024  # beyond this, an unwanted body costs more than a new connection


_SECRET_PARAMS = re.compile(
    r"(?i)^(?:.*token|.*key|.*secret|password|passwd|pwd|auth|sig|signature|session.*)$"
)


def safe_url(url: str | None) -> str:
    """The URL for logs and errors: no user:password, and secret-looking query values masked
    (private feeds often carry an access token in the query)."""
    if url is None:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<malformed url>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = "&".join(
        f"{name}=***"
        if _SECRET_PARAMS.match(name) and value
        else f"{name}={value}"
        if sep
        else name
        for name, sep, value in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class FetchError(Exception):
    """A request that produced no usable response; ``kind`` is a short machine-readable label:
    timeout, connect, blocked, unresolvable, invalid_url, too_large, decompression_bomb,
    bad_encoding, redirect_loop, too_many_redirects, protocol."""

    def __init__(self, kind: str, message: str, url: str) -> None:
        super().__init__(f"{kind}: {message} ({safe_url(url)})")
        self.kind = kind
        self.url = url


@dataclass
class FetchResult:
    url: str  # final URL, after redirects
    status: int
    headers: httpx.Headers
    body: bytes
    # Set when every hop was a permanent redirect: the address to remember instead.
    permanent_url: str | None = None
    redirects: list[tuple[int, str]] = field(default_factory=list)


class BoundedDecoder:
    """Decodes a Content-Encoding chain incrementally, never producing more than ``limit``
    bytes nor more than ``max_ratio`` times the compressed size (beyond a 1 MB floor)."""

    def __init__(self, encoding: str | None, limit: int, max_ratio: float, url: str) -> None:
        self._url = url
        self._limit = limit
        self._max_ratio = max_ratio
        self._raw = 0
        self._out = 0
        codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        for coding in codings:
            if coding not in ("gzip", "x-gzip", "deflate"):
                raise FetchError("bad_encoding", f"unsupported Content-Encoding {coding!r}", url)
        # Several codings are applied in order, so they are undone in reverse.
        self._stages: list[zlib._Decompress] = [
            zlib.decompressobj(zlib.MAX_WBITS | 16 if c != "deflate" else zlib.MAX_WBITS)
            for c in reversed(codings)
        ]
        self._deflate_probe = [c == "deflate" for c in reversed(codings)]
        self.compressed = bool(codings)
        # Some servers label an uncompressed body gzip/deflate; a first chunk that is plainly
        # markup is then passed through rather than refused (browsers and feedparser do too).
        self._passthrough = False

    def _budget(self) -> int:
        return self._limit - self._out

    def _inflate(self, stage: int, data: bytes) -> bytes:
        budget = self._budget() + 1
        obj = self._stages[stage]
        try:
            out = obj.decompress(data, budget)
        except zlib.error as exc:
            if self._deflate_probe[stage] and self._raw <= len(data):
                # "deflate" is sent both zlib-wrapped (correct) and raw (common): retry raw.
                self._stages[stage] = obj = zlib.decompressobj(-zlib.MAX_WBITS)
                self._deflate_probe[stage] = False
                try:
                    out = obj.decompress(data, budget)
                except zlib.error as exc2:
                    raise FetchError("bad_encoding", str(exc2), self._url) from exc2
            else:
                raise FetchError("bad_encoding", str(exc), self._url) from exc
        self._deflate_probe[stage] = False
        if obj.unconsumed_tail or len(out) >= budget:
            raise self._too_large()
        return out

    def _too_large(self) -> FetchError:
        if self.compressed and self._raw and self._limit > self._raw * self._max_ratio:
            return FetchError(
                "decompression_bomb", f"body inflates beyond {self._limit} bytes", self._url
            )
        return FetchError("too_large", f"body exceeds {self._limit} bytes", self._url)

    def feed(self, data: bytes) -> bytes:
        first = self._raw == 0
        self._raw += len(data)
        if first and self._stages and data.lstrip()[:1] == b"<":
            self._passthrough = True
        if not self._passthrough:
            for stage in range(len(self._stages)):
                data = self._inflate(stage, data)
        self._out += len(data)
        if self._out > self._limit:
            raise self._too_large()
        if (
            self.compressed
            and not self._passthrough
            and self._out > max(1 << 20, self._raw * self._max_ratio)
        ):
            raise FetchError(
                "decompression_bomb",
                f"{self._raw} compressed bytes inflate to more than {self._out}",
                self._url,
            )
        return data

    def flush(self) -> bytes:
        out = b""
        if self._passthrough:
            return out
        for stage, obj in enumerate(self._stages):
            if out:
                out = self._inflate(stage, out)
            out += obj.flush()
        self._out += len(out)
        if self._out > self._limit:
            raise self._too_large()
        return out


class HostGate:
    """Per-host politeness: at most ``concurrency`` requests in flight and ``min_delay`` seconds
    between the end of one request and the start of the next."""

    def __init__(self, concurrency: int = 1, min_delay: float = 1.0) -> None:
        self.concurrency = concurrency
        self.min_delay = min_delay
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self._active: dict[str, int] = {}
        self.max_active_seen: dict[str, int] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        sem = self._slots.get(host)
        if sem is None:
            sem = self._slots[host] = asyncio.Semaphore(self.concurrency)
        async with sem:
            wait = self._next_start.get(host, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._active[host] = active = self._active.get(host, 0) + 1
            if active > self.max_active_seen.get(host, 0):
                self.max_active_seen[host] = active
            try:
                yield
            finally:
                self._active[host] -= 1
                self._next_start[host] = time.monotonic() + self.min_delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class Fetcher:
    """One shared httpx client; ``fetch`` never raises anything but ``FetchError``."""

    def __init__(
        self,
        guard: NetGuard,
        *,
        user_agent: str,
        gate: HostGate,
        connect_timeout: float = 10.0,
        read_timeout: float = 20.0,
        total_timeout: float = 60.0,
        max_redirects: int = 5,
        max_compression_ratio: float = 200.0,
        max_connections: int = 200,
        keepalive_expiry: float = 60.0,
    ) -> None:
        self.gate = gate
        self.total_timeout = total_timeout
        self.max_redirects = max_redirects
        self.max_compression_ratio = max_compression_ratio
        per_origin = httpx.Limits(
            max_connections=max(2, gate.concurrency + 1),
            max_keepalive_connections=max(2, gate.concurrency + 1),
            keepalive_expiry=keepalive_expiry,
        )
        tls = httpx.create_ssl_context(trust_env=False)  # one CA bundle for every origin's pool
        self._client = httpx.AsyncClient(
            transport=PerHostTransport(
                lambda: guard.async_transport(limits=per_origin, verify=tls),
                max_origins=max_connections,
            ),
            timeout=httpx.Timeout(
                connect=connect_timeout, read=read_timeout, write=read_timeout, pool=None
            ),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str = "*/*",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResult:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + self.total_timeout
        redirects: list[tuple[int, str]] = []
        visited = {url}
        current = url
        all_permanent = True
        while True:
            status, response_headers, body = await self._one(current, headers, max_bytes, deadline)
            location = response_headers.get("location")
            if status in REDIRECT_CODES and location:
                if len(redirects) >= self.max_redirects:
                    raise FetchError(
                        "too_many_redirects", f"more than {self.max_redirects} redirects", url
                    )
                target = urljoin(current, location.strip())
                if target in visited:
                    raise FetchError("redirect_loop", f"{current} redirects back to {target}", url)
                visited.add(target)
                redirects.append((status, target))
                all_permanent = all_permanent and status in PERMANENT_REDIRECT_CODES
                current = target
                continue
            return FetchResult(
                url=current,
                status=status,
                headers=response_headers,
                body=body,
                permanent_url=current if redirects and all_permanent else None,
                redirects=redirects,
            )

    async def _one(
        self, url: str, headers: dict[str, str], max_bytes: int, deadline: float
    ) -> tuple[int, httpx.Headers, bytes]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("timeout", f"total timeout {self.total_timeout}s", url)
        try:
            request = self._client.build_request("GET", url, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            raise FetchError("invalid_url", str(exc), url) from exc
        try:
            async with self.gate.slot(host_of(url)), asyncio.timeout(remaining):
                response = await self._client.send(request, stream=True)
                try:
                    if response.status_code >= 300:
                        # Redirect, 304 and error bodies are not needed, but reading a short
                        # one to its end lets the connection be kept alive for the next poll.
                        drained = 0
                        async for raw in response.aiter_raw():
                            drained += len(raw)
                            if drained > DRAIN_LIMIT:
                                break
                        return response.status_code, response.headers, b""
                    decoder = BoundedDecoder(
                        response.headers.get("content-encoding"),
                        max_bytes,
                        self.max_compression_ratio,
                        url,
                    )
                    declared = response.headers.get("content-length", "")
                    if not decoder.compressed and declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(
                            "too_large", f"Content-Length {declared} > {max_bytes}", url
                        )
                    chunks = []
                    async for raw in response.aiter_raw():
                        chunks.append(decoder.feed(raw))
                    chunks.append(decoder.flush())
                    return response.status_code, response.headers, b"".join(chunks)
                finally:
                    await response.aclose()
        except FetchError:
            raise
        except TimeoutError as exc:
            raise FetchError("timeout", f"total timeout {self.total_timeout}s", url) from exc
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", type(exc).__name__, url) from exc
        except BlockedAddressError as exc:
            raise FetchError("blocked", str(exc), url) from exc
        except UnsupportedUrlError as exc:
            raise FetchError("invalid_url", str(exc), url) from exc
        except NetGuardError as exc:
            raise FetchError("unresolvable", str(exc), url) from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise FetchError("invalid_url", str(exc), url) from exc
        except httpx.ConnectError as exc:
            raise FetchError("connect", str(exc) or type(exc).__name__, url) from exc
        except httpx.HTTPError as exc:
            raise FetchError("protocol", str(exc) or type(exc).__name__, url) from exc
        except OSError as exc:
            raise FetchError("connect", str(exc), url) from exc
