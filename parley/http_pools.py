"""Connection pools per origin for httpx clients that talk to many hosts (feed polling, alert
delivery), and a network backend whose streams remember their socket."""

from __future__ import annotations

import select
import socket
import ssl
import typing
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

import httpcore
import httpx


class _CountedStream(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed (the connection is free again)."""

    def __init__(self, inner: httpx.AsyncByteStream, on_close: Callable[[], None]) -> None:
        self._inner = inner
        self._on_close = on_close
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            if not self._closed:
                self._closed = True
                self._on_close()


class PerHostTransport(httpx.AsyncBaseTransport):
    """One small connection pool per origin, the least recently used idle ones closed beyond
    ``max_origins``.  httpcore scans every connection of a pool on each request, so a single
    pool shared by thousands of sites costs O(connections) per request; per-origin pools keep
    that scan to the few connections of one site."""

    def __init__(
        self, factory: Callable[[], httpx.AsyncBaseTransport], max_origins: int = 1024
    ) -> None:
        self._factory = factory
        self._max_origins = max_origins
        self._pools: OrderedDict[tuple[bytes, bytes, int | None], httpx.AsyncBaseTransport] = (
            OrderedDict()
        )
        self._busy: dict[tuple[bytes, bytes, int | None], int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = self._factory()
            await self._evict()
        else:
            self._pools.move_to_end(key)
        self._busy[key] = self._busy.get(key, 0) + 1

        def release() -> None:
            self._busy[key] -= 1

        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_CountedStream(response.stream, release),
            extensions=response.extensions,
        )

    async def _evict(self) -> None:
        excess = len(self._pools) - self._max_origins
        for key in list(self._pools):
            if excess <= 0:
                break
            if self._busy.get(key, 0) == 0:
                pool = self._pools.pop(key)
                self._busy.pop(key, None)
                await pool.aclose()
                excess -= 1

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()


class SocketCachingBackend(httpcore.AsyncNetworkBackend):
    """Wraps a network backend so that its streams look their socket up once.

    httpcore asks each idle connection of a pool whether its socket became readable (the
    server closed it) before every request; through anyio each of those questions builds the
    stream's whole attribute table, with a ``getpeername`` system call.  With the socket kept,
    the question is one ``poll``."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        return _SocketCachingStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(
            path, timeout=timeout, socket_options=socket_options
        )
        return _SocketCachingStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _SocketCachingStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _SocketCachingStream(
            await self._inner.start_tls(ssl_context, server_hostname, timeout)
        )

    def get_extra_info(self, info: str) -> typing.Any:
        if self._socket is None:
            return self._inner.get_extra_info(info)
        if info == "socket":
            return self._socket
        if info == "is_readable":
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


def _readable(sock: socket.socket) -> bool:
    """A read would return at once: data, or the end of a connection the peer closed."""
    if sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
