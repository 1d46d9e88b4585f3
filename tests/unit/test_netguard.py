"""The SSRF guard: refused addresses are never dialled, redirects included."""

from __future__ import annotations

import asyncio
import sys
import threading

import httpx
import pytest
from support.feedserver import Reply, ScriptedServer

from parley.config import HttpSettings
from parley.netguard import (
    BlockedAddressError,
    NetGuard,
    NetGuardError,
    UnresolvableHostError,
    UnsupportedUrlError,
)

# Every socket connect of this process, seen by the interpreter itself (audit hook), so the
# proof "no connection attempted" does not rely on the guard's own bookkeeping.
_CONNECTS: list[str] = []
_RECORDING = threading.Event()


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _RECORDING.is_set() and event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple):
            _CONNECTS.append(str(address[0]))


sys.addaudithook(_audit)


@pytest.fixture
def connects() -> list[str]:
    _CONNECTS.clear()
    _RECORDING.set()
    yield _CONNECTS
    _RECORDING.clear()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/feed", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://127.0.0.1:8080/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://224.0.0.1/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://100.64.0.1/", "not globally routable"),
        ("https://192.168.1.10/x", "private"),
    ],
)
def test_refuses_non_public_addresses(url: str, reason: str) -> None:
    with pytest.raises(BlockedAddressError) as info:
        NetGuard().check_url(url)
    assert info.value.reason == reason
    assert isinstance(info.value, NetGuardError)


def test_localhost_name_is_resolved_and_refused() -> None:
    with pytest.raises(BlockedAddressError) as info:
        NetGuard().check_url("http://localhost:9/")
    assert info.value.reason == "loopback"


def test_allow_list_by_network_and_by_host() -> None:
    guard = NetGuard.from_settings(HttpSettings(allow_private_networks="127.0.0.1/32"))
    guard.check_url("http://127.0.0.1:8000/feed")
    with pytest.raises(BlockedAddressError):
        guard.check_url("http://127.0.0.2/feed")  # the /32 does not cover the rest of 127/8
    with pytest.raises(BlockedAddressError):
        guard.check_url("http://10.0.0.1/")
    NetGuard(["localhost"]).check_url("http://localhost/")


def test_public_literal_passes_and_bad_urls_are_refused() -> None:
    NetGuard().check_url("https://93.184.216.34/")  # checked only, never contacted
    with pytest.raises(UnsupportedUrlError):
        NetGuard().check_url("file:///etc/passwd")
    with pytest.raises(UnsupportedUrlError):
        NetGuard().check_url("http:///nohost")
    with pytest.raises(UnresolvableHostError):
        NetGuard().check_url("http://name.invalid/")


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/", "http://10.0.0.1/admin"])
def test_redirect_to_private_address_is_refused_before_connecting(
    target: str, connects: list[str]
) -> None:
    guard = NetGuard(["127.0.0.1/32"])
    with ScriptedServer() as server:
        server.route("/feed", Reply(302, headers={"Location": target}))

        async def go() -> None:
            async with httpx.AsyncClient(
                transport=guard.async_transport(), follow_redirects=True
            ) as client:
                await client.get(server.url("/feed"))

        with pytest.raises(BlockedAddressError):
            asyncio.run(go())
        assert len(server.hits("/feed")) == 1
    assert "127.0.0.1" in connects
    assert all(address == "127.0.0.1" for address in connects), connects


def test_sync_transport_guards_too(connects: list[str]) -> None:
    with ScriptedServer() as server:
        server.route("/hook", Reply(307, headers={"Location": "http://10.0.0.1/"}))
        with (
            httpx.Client(
                transport=NetGuard(["127.0.0.1/32"]).sync_transport(), follow_redirects=True
            ) as client,
            pytest.raises(BlockedAddressError),
        ):
            client.get(server.url("/hook"))
        with (
            httpx.Client(transport=NetGuard().sync_transport()) as client,
            pytest.raises(BlockedAddressError),
        ):
            client.get(server.url("/hook"))  # 127.0.0.1 itself is not allow-listed here
    assert connects == ["127.0.0.1"]
