"""SSRF guard: outgoing HTTP goes only to public addresses, unless a network is allow-listed.

A URL taken from a feed, an article link, a redirect or a subscriber's webhook is untrusted: it
may point at ``169.254.169.254`` (cloud metadata), ``10.0.0.1`` (the office network) or
``127.0.0.1`` (the machine itself).  ``NetGuard`` resolves the host once, checks **every**
address it resolves to, and the guarded httpx transports then connect to exactly those checked
addresses, so a DNS answer that changes between the check and the connection (DNS rebinding)
cannot slip through.  Redirects are covered too, because httpx opens each hop through the same
transport.  TLS still verifies the certificate against the host name, not the IP.

Blocked: every address that is not globally routable (loopback, RFC 1918 private, link-local,
shared/CGNAT, unspecified, reserved, documentation ranges) and multicast, including IPv4
addresses mapped into IPv6.  ``settings.http.allow_private_networks`` lists exceptions: CIDRs
(``127.0.0.1/32``), single IPs, or host names (whose addresses are then all allowed).

Exception hierarchy::

    NetGuardError                 base class, never raised itself
    ├── BlockedAddressError       the URL's host is (or resolves to) a refused address
    ├── UnresolvableHostError     the host name does not resolve
    └── UnsupportedUrlError       not an http(s) URL with a host

Usage::

    guard = NetGuard.from_settings(settings.http)
    guard.check_url(url)                      # raises before any connection is attempted
    async with httpx.AsyncClient(transport=guard.async_transport()) as client: ...
    with httpx.Client(transport=guard.sync_transport()) as client: ...
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import typing
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from parley.config import HttpSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

__all__ = [
    "BlockedAddressError",
    "NetGuard",
    "NetGuardError",
    "UnresolvableHostError",
    "UnsupportedUrlError",
]


class NetGuardError(Exception):
    """Base class of the guard's refusals."""


class BlockedAddressError(NetGuardError):
    """The host is, or resolves to, an address the guard refuses."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(f"refused {host!r}: {address} is {reason}")
        self.host = host
        self.address = address
        self.reason = reason


class UnresolvableHostError(NetGuardError):
    """The host name did not resolve to any address."""


class UnsupportedUrlError(NetGuardError):
    """Only http and https URLs with a host are fetched."""


def _classify(ip: IPAddress) -> str | None:
    """Why ``ip`` is refused, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _classify(ip.ipv4_mapped)
    if ip.is_multicast:
        return "multicast"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "not globally routable"
    return None


class NetGuard:
    def __init__(self, allow: Iterable[str] = ()) -> None:
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in allow:
            entry = entry.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        self.allowed_networks: tuple[IPNetwork, ...] = tuple(networks)
        self.allowed_hosts: frozenset[str] = frozenset(hosts)

    @classmethod
    def from_settings(cls, settings: HttpSettings) -> NetGuard:
        return cls(settings.allow_private_networks)

    # -- checks --------------------------------------------------------------------------------

    def check_address(self, host: str, address: str) -> IPAddress:
        """Return the parsed address when it may be contacted for ``host``, else raise."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
        reason = _classify(ip)
        if reason is None:
            return ip
        if host.lower().rstrip(".") in self.allowed_hosts:
            return ip
        plain = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
        if any(plain in net for net in self.allowed_networks if net.version == plain.version):
            return ip
        raise BlockedAddressError(host, str(ip), reason)

    def check_addresses(self, host: str, addresses: Iterable[str]) -> list[str]:
        """All addresses must pass: one private answer among public ones is an attack sign."""
        checked = [str(self.check_address(host, a)) for a in dict.fromkeys(addresses)]
        if not checked:
            raise UnresolvableHostError(f"{host!r} did not resolve to any address")
        return checked

    def resolve(self, host: str, port: int) -> list[str]:
        """Resolve and check ``host`` (blocking DNS); returns the addresses to connect to."""
        literal = _ip_literal(host)
        if literal is not None:
            return self.check_addresses(host, [literal])
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise UnresolvableHostError(f"{host!r} does not resolve: {exc}") from exc
        return self.check_addresses(host, [str(info[4][0]) for info in infos])

    async def resolve_async(self, host: str, port: int) -> list[str]:
        literal = _ip_literal(host)
        if literal is not None:
            return self.check_addresses(host, [literal])
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise UnresolvableHostError(f"{host!r} does not resolve: {exc}") from exc
        return self.check_addresses(host, [str(info[4][0]) for info in infos])

    def check_url(self, url: str) -> None:
        """Raise a ``NetGuardError`` unless ``url`` is http(s) and its host may be contacted."""
        host, port = _host_port(url)
        self.resolve(host, port)

    async def check_url_async(self, url: str) -> None:
        host, port = _host_port(url)
        await self.resolve_async(host, port)

    # -- httpx integration ---------------------------------------------------------------------

    def async_transport(
        self,
        *,
        limits: httpx.Limits | None = None,
        verify: bool | ssl.SSLContext = True,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> httpx.AsyncHTTPTransport:
        """An httpx transport whose every TCP connection goes to an address checked here.

        ``verify`` may be a shared ``ssl.SSLContext``: building one loads the CA bundle (about a
        megabyte), which matters to callers that keep many transports.  ``network_backend`` is
        the backend that really connects (httpcore's default when None)."""
        return _GuardedAsyncTransport(
            _GuardedAsyncBackend(self, network_backend or httpcore.AnyIOBackend()),
            limits=limits or httpx.Limits(),
            verify=verify,
        )

    def sync_transport(
        self,
        *,
        limits: httpx.Limits | None = None,
        verify: bool | ssl.SSLContext = True,
        network_backend: httpcore.NetworkBackend | None = None,
    ) -> httpx.HTTPTransport:
        return _GuardedSyncTransport(
            _GuardedSyncBackend(self, network_backend or httpcore.SyncBackend()),
            limits=limits or httpx.Limits(),
            verify=verify,
        )


def _ip_literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _host_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsupportedUrlError(f"malformed URL {url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise UnsupportedUrlError(f"not an http(s) URL with a host: {url!r}")
    return parts.hostname, port or (443 if scheme == "https" else 80)


class _GuardedAsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, guard: NetGuard, inner: httpcore.AsyncNetworkBackend) -> None:
        self._guard = guard
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.resolve_async(host, port)
        last_error: Exception | None = None
        for address in addresses:  # try each checked address in resolver order
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError(path, path, "a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedSyncBackend(httpcore.NetworkBackend):
    def __init__(self, guard: NetGuard, inner: httpcore.NetworkBackend) -> None:
        self._guard = guard
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._guard.resolve(host, port)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedAddressError(path, path, "a unix socket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _ssl_context(verify: bool | ssl.SSLContext) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    return httpx.create_ssl_context(verify=verify, trust_env=False)


class _GuardedAsyncTransport(httpx.AsyncHTTPTransport):
    # httpx exposes no network_backend parameter, so the pool it builds is replaced by one with
    # the guarded backend.  trust_env=False and no proxy: a proxy would hide the destination.
    def __init__(
        self,
        backend: httpcore.AsyncNetworkBackend,
        *,
        limits: httpx.Limits,
        verify: bool | ssl.SSLContext,
    ) -> None:
        context = _ssl_context(verify)
        super().__init__(verify=context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


class _GuardedSyncTransport(httpx.HTTPTransport):
    def __init__(
        self,
        backend: httpcore.NetworkBackend,
        *,
        limits: httpx.Limits,
        verify: bool | ssl.SSLContext,
    ) -> None:
        context = _ssl_context(verify)
        super().__init__(verify=context, trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
