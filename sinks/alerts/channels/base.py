"""The sender interface and the retry policy shared by every channel.

Exception hierarchy::

    DeliveryError            one attempt failed; ``permanent`` says whether retrying can help
    └── RefusedTargetError   the SSRF guard refused the target (never retried, never connected)

Any other exception from a sender (rendering the message, a library's own validation of a
header or body) follows the poison policy (``parley.poison``): an infrastructure error is an
attempt that failed and is retried; anything else is this message's fault and ends its
delivery at once with the outcome ``invalid`` (then dead-lettered), so it cannot stop the
dispatcher or the subscription's other channels.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from parley.netguard import NetGuardError
from parley.poison import describe, is_transient
from sinks.alerts.config import RetrySettings
from sinks.alerts.metrics import DELIVERY_ATTEMPTS
from sinks.alerts.models import Channel, ChannelOutcome
from sinks.alerts.render import Delivery


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class RefusedTargetError(DeliveryError):
    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class Sender(Protocol):
    async def send(self, channel: Channel, delivery: Delivery, attempt: int) -> None: ...


class HostLimiter:
    """At most ``per_host`` requests in flight to one host and ``total`` to all hosts together:
    a burst of alerts for one receiver queues here instead of opening hundreds of connections
    (which slows the connection pool down and overruns small receivers), and a slow host
    cannot take every slot.  A request takes its host's slot before a shared one, so requests
    queued for a busy host never hold shared slots that other hosts could use."""

    def __init__(self, per_host: int, total: int | None = None) -> None:
        self.per_host = per_host
        self._total = asyncio.Semaphore(total) if total is not None else None
        # A host's semaphore lives while some request holds or awaits it: a long-running
        # dispatcher sees an open-ended set of receiver hosts and must not keep one each.
        self._slots: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @property
    def hosts(self) -> int:
        """Hosts with a request in flight or waiting."""
        return len(self._slots)

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}".lower()
        semaphore, users = self._slots.get(key, (None, 0))
        if semaphore is None:
            semaphore = asyncio.Semaphore(self.per_host)
        self._slots[key] = (semaphore, users + 1)
        try:
            async with semaphore:
                if self._total is None:
                    yield
                else:
                    async with self._total:
                        yield
        finally:
            semaphore, users = self._slots[key]
            if users == 1:
                del self._slots[key]
            else:
                self._slots[key] = (semaphore, users - 1)


def classify_http(response: httpx.Response) -> None:
    """Raise for a response that is not a success; 408, 425, 429 and 5xx are worth a retry."""
    if response.is_success:
        return
    status = response.status_code
    retryable = status in (408, 425, 429) or status >= 500
    raise DeliveryError(
        f"HTTP {status} from receiver",
        permanent=not retryable,
        retry_after=_retry_after(response) if retryable else None,
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: fall back to our own backoff


def transport_error(exc: Exception) -> DeliveryError:
    """Map a connection-level failure to a DeliveryError."""
    if isinstance(exc, NetGuardError):
        return RefusedTargetError(f"target refused by the SSRF guard: {exc}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return DeliveryError(f"invalid target: {exc}", permanent=True)
    return DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False)


def backoff(attempt: int, policy: RetrySettings, retry_after: float | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    if retry_after is not None:
        return min(retry_after, policy.max_retry_after)
    delay = min(policy.backoff_base * 2.0 ** (attempt - 1), policy.backoff_max)
    return delay * random.uniform(0.8, 1.2)


async def deliver_with_retries(
    sender: Sender,
    channel: Channel,
    index: int,
    delivery: Delivery,
    policy: RetrySettings,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ChannelOutcome:
    """Up to ``policy.max_attempts`` attempts; the outcome says what finally happened."""
    last = "no attempt"
    for attempt in range(1, policy.max_attempts + 1):
        DELIVERY_ATTEMPTS.labels(channel.type).inc()
        try:
            await sender.send(channel, delivery, attempt)
            return ChannelOutcome(
                channel=channel.type, index=index, outcome="delivered", attempts=attempt
            )
        except RefusedTargetError as exc:
            return ChannelOutcome(
                channel=channel.type,
                index=index,
                outcome="refused",
                attempts=attempt,
                error=str(exc),
            )
        except DeliveryError as exc:
            last = str(exc)
            if exc.permanent:
                return ChannelOutcome(
                    channel=channel.type,
                    index=index,
                    outcome="failed",
                    attempts=attempt,
                    error=last,
                )
            retry_after = exc.retry_after
        except Exception as exc:  # noqa: BLE001 - poison policy (see the module docstring)
            if not is_transient(exc):
                return ChannelOutcome(
                    channel=channel.type,
                    index=index,
                    outcome="invalid",
                    attempts=attempt,
                    error=f"the message could not be built or sent: {describe(exc, 500)}",
                )
            last, retry_after = describe(exc, 500), None
        if attempt < policy.max_attempts:
            await sleep(backoff(attempt, policy, retry_after))
    return ChannelOutcome(
        channel=channel.type,
        index=index,
        outcome="failed",
        attempts=policy.max_attempts,
        error=f"gave up after {policy.max_attempts} attempts: {last}",
    )
