"""When to poll a feed next: pure functions, no clock and no I/O (the caller passes both in).

The interval adapts to the observed rate of new items, stays between the feed's bounds, and
honours what the publisher asks for (RSS ``ttl``, ``sy:updatePeriod``/``sy:updateFrequency``,
``Cache-Control: max-age``) as a floor: polling more often than the publisher says it updates
only costs them.  ``Retry-After`` on 429/503 is honoured even beyond the upper bound, because it
is an explicit request to back off; failures back off exponentially.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

SY_PERIODS = {
    "hourly": 3600.0,
    "daily": 86400.0,
    "weekly": 7 * 86400.0,
    "monthly": 30 * 86400.0,
    "yearly": 365 * 86400.0,
}

# How many polls per expected new item: 2 halves the average delay to discovery.
POLLS_PER_ITEM = 2.0
SLOWDOWN = 1.5  # factor applied when a poll found nothing and no better estimate exists
SPEEDUP = 0.5


@dataclass(frozen=True)
class Bounds:
    min_interval: float
    max_interval: float

    def clamp(self, value: float) -> float:
        return min(self.max_interval, max(self.min_interval, value))


@dataclass(frozen=True)
class PublisherHints:
    """What the feed and its HTTP response say about how often to come back (seconds)."""

    ttl: float | None = None
    update_period: float | None = None
    max_age: float | None = None

    def floor(self) -> float:
        return max((v for v in (self.ttl, self.update_period, self.max_age) if v), default=0.0)


def sy_update_period(period: str | None, frequency: str | int | None) -> float | None:
    """Seconds between updates announced by the syndication module (default: daily, once)."""
    if not period and frequency is None:
        return None
    seconds = SY_PERIODS.get((period or "daily").strip().lower())
    if seconds is None:
        return None
    try:
        freq = int(str(frequency).strip()) if frequency is not None else 1
    except ValueError:
        freq = 1
    return seconds / max(1, freq)


def ttl_seconds(ttl: str | int | None) -> float | None:
    """RSS ``<ttl>`` is in minutes."""
    try:
        minutes = int(str(ttl).strip()) if ttl is not None else 0
    except ValueError:
        return None
    return minutes * 60.0 if minutes > 0 else None


_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def cache_max_age(cache_control: str | None) -> float | None:
    if not cache_control or "no-store" in cache_control.lower():
        return None
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


def gap_from_timestamps(timestamps: Iterable[float], window: int = 10) -> float | None:
    """Mean seconds between the newest ``window`` distinct publication times, if >= 3 exist."""
    times = sorted(set(timestamps))[-window:]
    if len(times) < 3:
        return None
    span = times[-1] - times[0]
    return span / (len(times) - 1) if span > 0 else None


def next_interval(
    current: float,
    bounds: Bounds,
    *,
    new_items: int,
    published: Iterable[float] = (),
    hints: PublisherHints = PublisherHints(),
) -> float:
    """The interval after a successful poll (200, 304 or unchanged)."""
    gap = gap_from_timestamps(published)
    if gap is not None:
        target = gap / POLLS_PER_ITEM
    elif new_items > 0:
        target = current * SPEEDUP
    else:
        target = current * SLOWDOWN
    if new_items > 0 and gap is not None:
        target = min(target, current)  # a burst of news never slows polling down
    # Geometric mean with the current interval: moves fast but damps oscillation.
    smoothed = math.sqrt(max(current, 1e-3) * max(target, 1e-3))
    return bounds.clamp(max(smoothed, hints.floor()))


def failure_delay(
    failures: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    max_retry_after: float = 86400.0,
) -> float:
    """Delay before the next attempt after ``failures`` consecutive failures (>= 1)."""
    backoff: float = min(cap, base * 2.0 ** max(0, failures - 1))
    if retry_after is not None:
        return max(min(retry_after, max_retry_after), 0.0)
    return backoff


def jittered(interval: float, fraction: float, rng: random.Random | None = None) -> float:
    if fraction <= 0:
        return interval
    r: float = (rng or random).uniform(-fraction, fraction)
    return interval * (1.0 + r)
