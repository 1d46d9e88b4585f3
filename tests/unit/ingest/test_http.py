"""The bounded fetcher against real local servers: limits, bombs, redirects, timeouts."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import resource
import time
import zlib
from collections.abc import Iterator

import pytest
from support.feedserver import Reply, ScriptedServer, gzip_bomb, repeat_bytes

from ingest.http import (
    BoundedDecoder,
    Fetcher,
    FetchError,
    FetchResult,
    HostGate,
    parse_retry_after,
)
from parley.netguard import NetGuard

MB = 1024 * 1024


def fetcher(**kwargs: float) -> Fetcher:
    return Fetcher(
        NetGuard(["127.0.0.1/32"]),
        user_agent="parley-test/1 (+https://example.invalid/contact)",
        gate=HostGate(1, 0.0),
        connect_timeout=kwargs.get("connect_timeout", 2.0),
        read_timeout=kwargs.get("read_timeout", 2.0),
        total_timeout=kwargs.get("total_timeout", 5.0),
    )


def fetch(url: str, *, max_bytes: int = 5 * MB, **kwargs: object) -> FetchResult:
    async def go() -> FetchResult:
        f = fetcher()
        try:
            return await f.fetch(url, max_bytes=max_bytes, **kwargs)  # type: ignore[arg-type]
        finally:
            await f.aclose()

    return asyncio.run(go())


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def test_conditional_headers_and_user_agent(server: ScriptedServer) -> None:
    server.route("/f", Reply(304))
    result = fetch(server.url("/f"), etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    assert result.status == 304
    (hit,) = server.hits("/f")
    assert hit.headers["if-none-match"] == '"v1"'
    assert hit.headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert "https://example.invalid/contact" in hit.headers["user-agent"]
    assert "gzip" in hit.headers["accept-encoding"]


def test_gzip_and_raw_deflate_bodies(server: ScriptedServer) -> None:
    text = b"<rss>" + b"x" * 10000 + b"</rss>"
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    server.route("/gz", Reply(200, gzip.compress(text), {"Content-Encoding": "gzip"}))
    server.route(
        "/df", Reply(200, raw.compress(text) + raw.flush(), {"Content-Encoding": "deflate"})
    )
    server.route("/zl", Reply(200, zlib.compress(text), {"Content-Encoding": "deflate"}))
    for path in ("/gz", "/df", "/zl"):
        assert fetch(server.url(path)).body == text


def test_gzip_bomb_is_aborted_without_inflating_it(server: ScriptedServer) -> None:
    bomb = gzip_bomb(256)  # 256 MB of zeros, about 256 kB on the wire
    assert len(bomb) < MB
    server.route("/bomb", Reply(200, bomb, {"Content-Encoding": "gzip"}))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(FetchError) as info:
        fetch(server.url("/bomb"))
    assert info.value.kind in ("decompression_bomb", "too_large")
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 64 * 1024, f"resident memory grew by {grown_kb} kB"


def test_100_mb_body_is_aborted_at_the_limit(server: ScriptedServer) -> None:
    sent: list[int] = []

    def body() -> Iterator[bytes]:
        for piece in repeat_bytes(100 * MB, b"a" * 65536)():
            sent.append(len(piece))
            yield piece

    server.route("/huge", Reply(200, body, {"Content-Type": "application/rss+xml"}))
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(server.url("/huge"), max_bytes=5 * MB)
    assert info.value.kind == "too_large"
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    assert sum(sent) < 50 * MB  # the client hung up long before the end


def test_declared_length_over_limit_is_refused_early(server: ScriptedServer) -> None:
    server.route("/big", Reply(200, b"x" * (2 * MB)))
    with pytest.raises(FetchError, match="Content-Length"):
        fetch(server.url("/big"), max_bytes=MB)


def test_redirect_loop_and_too_many_redirects(server: ScriptedServer) -> None:
    server.route("/a", Reply(302, headers={"Location": "/b"}))
    server.route("/b", Reply(302, headers={"Location": "/a"}))
    with pytest.raises(FetchError) as info:
        fetch(server.url("/a"))
    assert info.value.kind == "redirect_loop"
    for i in range(10):
        server.route(f"/r{i}", Reply(301, headers={"Location": f"/r{i + 1}"}))
    with pytest.raises(FetchError) as info:
        fetch(server.url("/r0"))
    assert info.value.kind == "too_many_redirects"


def test_permanent_redirect_reports_new_url_temporary_does_not(server: ScriptedServer) -> None:
    server.route("/old", Reply(301, headers={"Location": "/new"}))
    server.route("/tmp", Reply(302, headers={"Location": "/new"}))
    server.route("/new", Reply(200, b"<rss/>"))
    moved = fetch(server.url("/old"))
    assert moved.permanent_url == server.url("/new") and moved.body == b"<rss/>"
    assert fetch(server.url("/tmp")).permanent_url is None


@pytest.mark.parametrize("target", ["http://169.254.169.254/x", "http://10.0.0.1/x"])
def test_redirect_to_private_network_is_blocked(server: ScriptedServer, target: str) -> None:
    server.route("/go", Reply(301, headers={"Location": target}))
    with pytest.raises(FetchError) as info:
        fetch(server.url("/go"))
    assert info.value.kind == "blocked"


def test_server_that_never_answers_times_out(server: ScriptedServer) -> None:
    server.route("/hang", Reply(hang=True))
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(server.url("/hang"))
    assert info.value.kind == "timeout"
    assert time.monotonic() - started < 4


def test_trickling_server_hits_the_total_timeout(server: ScriptedServer) -> None:
    def trickle() -> Iterator[bytes]:
        for _ in range(100):
            time.sleep(0.5)
            yield b"<"

    server.route("/slow", Reply(200, trickle))

    async def go() -> None:
        f = fetcher(read_timeout=2.0, total_timeout=1.5)
        try:
            await f.fetch(server.url("/slow"), max_bytes=MB)
        finally:
            await f.aclose()

    with pytest.raises(FetchError) as info:
        asyncio.run(go())
    assert info.value.kind == "timeout"


def test_unknown_content_encoding_is_an_error(server: ScriptedServer) -> None:
    server.route("/br", Reply(200, b"xx", {"Content-Encoding": "br"}))
    with pytest.raises(FetchError) as info:
        fetch(server.url("/br"))
    assert info.value.kind == "bad_encoding"


def test_host_gate_serialises_requests_per_host(server: ScriptedServer) -> None:
    def slow() -> Iterator[bytes]:
        time.sleep(0.2)
        yield b"ok"

    for i in range(4):
        server.route(f"/p{i}", Reply(200, slow))

    async def go() -> None:
        f = Fetcher(NetGuard(["127.0.0.1/32"]), user_agent="t", gate=HostGate(1, 0.1))
        try:
            await asyncio.gather(*(f.fetch(server.url(f"/p{i}"), max_bytes=100) for i in range(4)))
        finally:
            await f.aclose()

    asyncio.run(go())
    assert server.max_in_flight == 1
    starts = sorted(r.at for r in server.requests)
    assert all(b - a >= 0.28 for a, b in itertools.pairwise(starts))


def test_bounded_decoder_rejects_corrupt_gzip() -> None:
    decoder = BoundedDecoder("gzip", MB, 100, "u")
    with pytest.raises(FetchError) as info:
        decoder.feed(b"\x1f\x8bnot really gzip")
    assert info.value.kind == "bad_encoding"


def test_retry_after_parsing() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert (parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT") or 0) > 50
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_body_mislabelled_as_compressed_is_passed_through() -> None:
    decoder = BoundedDecoder("gzip", MB, 100, "u")
    assert decoder.feed(b"  <rss version='2.0'>") + decoder.flush() == b"  <rss version='2.0'>"
    limited = BoundedDecoder("deflate", 10, 100, "u")
    with pytest.raises(FetchError) as info:
        limited.feed(b"<" + b"x" * 20)
    assert info.value.kind == "too_large"


def test_safe_url_hides_credentials_and_tokens() -> None:
    from ingest.http import safe_url

    url = "https://alice:s3cret@feeds.example/rss?token=abc&page=2&api_key=k&flag"
    assert safe_url(url) == "https://feeds.example/rss?token=***&page=2&api_key=***&flag"
    assert "s3cret" not in str(FetchError("timeout", "slow", url))
    assert safe_url(None) == ""
