"""Per-subscription rate limit: at most ``max_alerts`` immediate deliveries per sliding window.

Alerts above the limit are not dropped: the dispatcher defers them to a catch-up digest that goes
out when the window has room again.  The window lives in the dispatcher's memory — alerts of one
subscription spread over the partitions of every dispatcher, so with ``k`` dispatcher processes a
subscription may receive up to ``k`` times its limit, and a restart forgets the window.
"""

from __future__ import annotations

from collections import deque

from sinks.alerts.models import RateLimit


class RateLimiter:
    def __init__(self) -> None:
        self._sent: dict[str, deque[float]] = {}

    def acquire(self, key: str, limit: RateLimit, now: float) -> float | None:
        """Record a delivery and return None when allowed; otherwise return the time (same
        clock as ``now``) at which the window has room again, without recording anything."""
        window = self._sent.setdefault(key, deque())
        horizon = now - limit.period_seconds
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) < limit.max_alerts:
            window.append(now)
            return None
        return window[0] + limit.period_seconds
