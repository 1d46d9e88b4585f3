"""SocketCachingBackend: streams that look their socket up once and answer httpcore's
"is the idle connection readable" from it (a real socket pair, no network)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import typing

import httpcore

from parley.http_pools import SocketCachingBackend


class _PairStream(httpcore.AsyncNetworkStream):
    """One end of a socket pair; counts how often its extra info is asked for."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.asked: list[str] = []

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.sock.recv(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.sock.sendall(buffer)

    async def aclose(self) -> None:
        self.sock.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _PairStream(self.sock)  # the same socket under TLS, as with anyio

    def get_extra_info(self, info: str) -> typing.Any:
        self.asked.append(info)
        return {"socket": self.sock, "server_addr": ("192.0.2.1", 443)}.get(info)


class _PairBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, stream: _PairStream) -> None:
        self.stream = stream

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return self.stream


def test_readability_comes_from_the_socket_looked_up_once() -> None:
    ours, peer = socket.socketpair()
    inner = _PairStream(ours)

    async def main() -> list[bool]:
        stream = await SocketCachingBackend(_PairBackend(inner)).connect_tcp("example.org", 443)
        seen = [stream.get_extra_info("is_readable") for _ in range(3)]
        peer.sendall(b"x")  # data waiting: readable
        await asyncio.sleep(0)
        seen.append(stream.get_extra_info("is_readable"))
        assert await stream.read(1) == b"x"
        seen.append(stream.get_extra_info("is_readable"))
        peer.close()  # the server closed the idle connection: readable (b"" next)
        seen.append(stream.get_extra_info("is_readable"))
        tls = await stream.start_tls(ssl.create_default_context())
        seen.append(tls.get_extra_info("is_readable"))
        assert stream.get_extra_info("server_addr") == ("192.0.2.1", 443)  # passed through
        await stream.aclose()
        return seen

    try:
        assert asyncio.run(main()) == [False, False, False, True, False, True, True]
    finally:
        peer.close()
        ours.close()
    assert inner.asked == ["socket", "server_addr"]  # never asked "is_readable" itself
