"""Bursts: the delivery bounds (per host and in total) and the hook's growing chunks."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from sinks.alerts.channels.base import HostLimiter
from sinks.alerts.config import DispatcherSettings
from sinks.alerts.hook import CHUNK_SIZES, _chunks


def _peak_in_flight(limiter: HostLimiter, urls: list[str]) -> tuple[Counter[str], int, list[str]]:
    """Send one fake request per URL through ``limiter``; the most requests seen in flight
    at once per host and in total, and the order in which they started."""
    in_flight: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    peak_total = 0
    started: list[str] = []

    async def request(url: str) -> None:
        nonlocal peak_total
        host = url.split("/")[2]
        async with limiter.slot(url):
            started.append(url)
            in_flight[host] += 1
            peak[host] = max(peak[host], in_flight[host])
            peak_total = max(peak_total, sum(in_flight.values()))
            await asyncio.sleep(0.001)
            in_flight[host] -= 1

    async def main() -> None:
        await asyncio.gather(*(request(u) for u in urls))

    asyncio.run(main())
    return peak, peak_total, started


def test_requests_are_bounded_per_host_and_in_total() -> None:
    urls = [f"https://host{i % 4}.example/hook/{i}" for i in range(200)]
    peak, peak_total, _ = _peak_in_flight(HostLimiter(per_host=3, total=20), urls)
    assert set(peak.values()) == {3} and peak_total == 12  # the hosts' bounds bind
    peak, peak_total, _ = _peak_in_flight(HostLimiter(per_host=8, total=20), urls)
    assert max(peak.values()) <= 8 and peak_total == 20  # the total binds


def test_one_busy_host_does_not_hold_the_shared_slots() -> None:
    # 100 requests for one host queue behind its 2 slots; the other host's requests take
    # shared slots meanwhile instead of waiting behind them.
    urls = [f"https://busy.example/{i}" for i in range(100)] + ["https://quiet.example/1"]
    peak, peak_total, started = _peak_in_flight(HostLimiter(per_host=2, total=3), urls)
    assert peak["busy.example"] == 2 and peak_total == 3
    assert started.index("https://quiet.example/1") < 10


def test_without_a_total_bound_only_hosts_are_bounded() -> None:
    urls = [f"http://127.0.0.{i % 3 + 1}:8080/{i}" for i in range(60)]
    peak, peak_total, _ = _peak_in_flight(HostLimiter(per_host=5), urls)
    assert set(peak.values()) == {5} and peak_total == 15


def test_hosts_are_forgotten_when_idle() -> None:
    # A dispatcher runs for months and sees an open-ended set of receivers: a host's
    # semaphore lives only while requests for it are in flight or waiting, errors included.
    limiter = HostLimiter(per_host=2, total=4)
    urls = [f"https://receiver{i}.example/hook" for i in range(500)] * 3
    _peak_in_flight(limiter, urls)
    assert limiter.hosts == 0

    async def failing() -> None:
        async with limiter.slot("https://broken.example/hook"):
            assert limiter.hosts == 1
            raise RuntimeError("receiver blew up")

    with pytest.raises(RuntimeError):
        asyncio.run(failing())
    assert limiter.hosts == 0


def test_host_is_scheme_host_and_port() -> None:
    urls = [f"http://127.0.0.1:{8000 + i % 2}/{i}" for i in range(20)]
    peak, _, _ = _peak_in_flight(HostLimiter(per_host=1), urls)
    assert peak == Counter({"127.0.0.1:8000": 1, "127.0.0.1:8001": 1})


@pytest.mark.parametrize(
    ("count", "sizes"),
    [
        (0, []),
        (30, [30]),
        (50, [50]),
        (300, [50, 100, 150]),
        (1000, [50, 100, 200, 400, 250]),
        (1500, [50, 100, 200, 400, 400, 350]),
    ],
)
def test_alerts_are_stored_and_produced_in_growing_chunks(count: int, sizes: list[int]) -> None:
    items = list(range(count))
    chunks = list(_chunks(items, CHUNK_SIZES))
    assert [len(c) for c in chunks] == sizes
    assert [x for c in chunks for x in c] == items  # all of them, once, in order


def test_dispatcher_bounds_are_configurable() -> None:
    cfg = DispatcherSettings.model_validate(
        {"per_host_concurrency": 2, "total_concurrency": 5, "max_in_flight": 50}
    )
    assert (cfg.per_host_concurrency, cfg.total_concurrency, cfg.max_in_flight) == (2, 5, 50)
    with pytest.raises(ValueError):
        DispatcherSettings.model_validate({"total_concurrency": 0})


def test_a_cache_for_lookups_by_id_compiles_no_queries() -> None:
    from sinks.alerts.models import Subscription
    from sinks.alerts.store import SubscriptionCache

    subs = [
        Subscription.model_validate(
            {
                "name": f"s{i}",
                "query": f"quote.text:talks{i}",
                "channels": [{"type": "webhook", "url": "https://hooks.example.org/x"}],
            }
        )
        for i in range(3)
    ]
    by_id = SubscriptionCache(lambda: subs, ttl=60, compile_queries=False).get()
    assert set(by_id.by_id) == {s.subscription_id for s in subs} and by_id.compiled == ()
    matcher = SubscriptionCache(lambda: subs, ttl=60).get()
    assert [c.subscription for c in matcher.compiled] == subs
