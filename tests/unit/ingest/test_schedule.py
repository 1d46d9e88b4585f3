"""Adaptive polling interval: pure functions."""

from __future__ import annotations

import random

import pytest

from ingest.schedule import (
    Bounds,
    PublisherHints,
    cache_max_age,
    failure_delay,
    gap_from_timestamps,
    jittered,
    next_interval,
    sy_update_period,
    ttl_seconds,
)

BOUNDS = Bounds(60.0, 3600.0)


def test_quiet_feed_slows_down_to_the_upper_bound() -> None:
    interval = 60.0
    history = []
    for _ in range(30):
        interval = next_interval(interval, BOUNDS, new_items=0)
        history.append(interval)
    assert history == sorted(history)
    assert history[-1] == 3600.0


def test_busy_feed_speeds_up_to_the_lower_bound() -> None:
    interval = 3600.0
    for _ in range(30):
        interval = next_interval(interval, BOUNDS, new_items=3)
    assert interval == 60.0


def test_rate_from_publication_times() -> None:
    # An item every 20 minutes: poll about every 10 minutes (twice per item).
    published = [1_700_000_000 + i * 1200 for i in range(10)]
    interval = 1800.0
    for _ in range(20):
        interval = next_interval(interval, BOUNDS, new_items=0, published=published)
    assert interval == pytest.approx(600.0, rel=0.01)
    assert gap_from_timestamps(published) == 1200.0
    assert gap_from_timestamps(published[:2]) is None


def test_publisher_hints_are_a_floor_within_bounds() -> None:
    hints = PublisherHints(ttl=ttl_seconds("30"), update_period=None, max_age=None)
    assert next_interval(60.0, BOUNDS, new_items=5, hints=hints) == 1800.0
    # The user's upper bound wins over a publisher asking for a day.
    daily = PublisherHints(update_period=sy_update_period("daily", "1"))
    assert next_interval(60.0, BOUNDS, new_items=5, hints=daily) == 3600.0
    assert next_interval(60.0, BOUNDS, new_items=5, hints=PublisherHints(max_age=900)) == 900.0


def test_hint_parsers() -> None:
    assert ttl_seconds("15") == 900.0
    assert ttl_seconds("abc") is None
    assert ttl_seconds(None) is None
    assert sy_update_period("hourly", "2") == 1800.0
    assert sy_update_period("weekly", None) == 7 * 86400.0
    assert sy_update_period("fortnightly", "1") is None
    assert cache_max_age("public, max-age=300") == 300.0
    assert cache_max_age("s-maxage=10") is None
    assert cache_max_age("public, s-max-age=120, must-revalidate") == 120.0
    assert cache_max_age("no-store, max-age=300") is None
    assert cache_max_age(None) is None


def test_failure_backoff_is_exponential_and_capped() -> None:
    delays = [failure_delay(n, base=60, cap=3600) for n in range(1, 10)]
    assert delays[:4] == [60, 120, 240, 480]
    assert delays[-1] == 3600


def test_retry_after_is_honoured_even_beyond_bounds_but_capped() -> None:
    assert failure_delay(1, base=60, cap=3600, retry_after=7200) == 7200
    assert failure_delay(1, base=60, cap=3600, retry_after=10**9, max_retry_after=86400) == 86400


def test_jitter_stays_within_fraction() -> None:
    rng = random.Random(7)
    values = [jittered(100.0, 0.1, rng) for _ in range(200)]
    assert min(values) >= 90.0 and max(values) <= 110.0
    assert len(set(values)) > 100
    assert jittered(100.0, 0.0) == 100.0
