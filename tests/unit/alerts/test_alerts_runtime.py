"""Rate limit, digest windows, offset tracking, retry policy and configuration secrets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sinks.alerts.channels.base import DeliveryError, backoff, deliver_with_retries
from sinks.alerts.config import AlertsSettings, RetrySettings
from sinks.alerts.digest import window_end, window_start
from sinks.alerts.models import Channel, RateLimit, Subscription, WebhookChannel
from sinks.alerts.offsets import OffsetTracker
from sinks.alerts.ratelimit import RateLimiter
from sinks.alerts.render import Delivery


def test_rate_limit_is_a_sliding_window() -> None:
    limiter = RateLimiter()
    limit = RateLimit(max_alerts=2, period_seconds=60)
    assert limiter.acquire("s", limit, 0.0) is None
    assert limiter.acquire("s", limit, 10.0) is None
    assert limiter.acquire("s", limit, 20.0) == 60.0  # room again when the first one expires
    assert limiter.acquire("other", limit, 20.0) is None
    assert limiter.acquire("s", limit, 60.0) is None
    assert limiter.acquire("s", limit, 61.0) == 70.0


def test_digest_windows_are_aligned_to_utc_hours_and_days() -> None:
    now = datetime(2026, 11, 3, 14, 25, 7, tzinfo=UTC)
    assert window_end("hourly", now) == datetime(2026, 11, 3, 15, tzinfo=UTC)
    assert window_end("daily", now) == datetime(2026, 11, 4, tzinfo=UTC)
    start = window_start("hourly", window_end("hourly", now))
    assert start == datetime(2026, 11, 3, 14, tzinfo=UTC)


def test_offsets_are_committed_only_up_to_the_first_unfinished_record() -> None:
    tracker = OffsetTracker()
    for offset in (5, 6, 7, 8):
        tracker.add("p0", offset)
    tracker.add("p1", 0)
    tracker.done("p0", 6)
    tracker.done("p0", 7)
    assert tracker.take_committable() == {}
    tracker.done("p0", 5)
    assert tracker.take_committable() == {"p0": 8}
    tracker.done("p1", 0)
    tracker.done("p0", 8)
    assert tracker.take_committable() == {"p0": 9, "p1": 1}
    assert tracker.in_flight() == 0
    tracker.restore({"p0": 9})
    assert tracker.take_committable() == {"p0": 9}


def test_revoked_partitions_are_forgotten() -> None:
    tracker = OffsetTracker()
    tracker.add("p0", 1)
    tracker.forget(["p0"])
    tracker.done("p0", 1)
    assert tracker.take_committable() == {}


def test_backoff_grows_is_capped_and_respects_retry_after() -> None:
    policy = RetrySettings(backoff_base=1.0, backoff_max=5.0, max_retry_after=30.0)
    assert 0.8 <= backoff(1, policy) <= 1.2
    assert 3.2 <= backoff(3, policy) <= 4.8
    assert backoff(10, policy) <= 6.0
    assert backoff(1, policy, retry_after=100.0) == 30.0


class ScriptedSender:
    """Fails with the scripted errors, then succeeds."""

    def __init__(self, errors: list[DeliveryError]) -> None:
        self.errors = errors
        self.attempts: list[int] = []

    async def send(self, channel: Channel, delivery: Delivery, attempt: int) -> None:
        self.attempts.append(attempt)
        if self.errors:
            raise self.errors.pop(0)


def _delivery() -> Delivery:
    sub = Subscription(
        name="t", query="x", channels=[WebhookChannel(url="https://example.org/hook")]
    )
    return Delivery("alert", "d1", sub, ())


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.mark.parametrize(
    ("errors", "outcome", "attempts"),
    [
        ([], "delivered", 1),
        ([DeliveryError("503", permanent=False)] * 2, "delivered", 3),
        ([DeliveryError("404", permanent=True)], "failed", 1),
        ([DeliveryError("down", permanent=False)] * 9, "failed", 4),
    ],
)
def test_retries_until_success_permanent_failure_or_exhaustion(
    errors: list[DeliveryError], outcome: str, attempts: int
) -> None:
    import asyncio

    sender = ScriptedSender(list(errors))
    delivery = _delivery()
    result = asyncio.run(
        deliver_with_retries(
            sender,
            delivery.subscription.channels[0],
            0,
            delivery,
            RetrySettings(max_attempts=4),
            sleep=_no_sleep,
        )
    )
    assert (result.outcome, result.attempts) == (outcome, attempts)
    assert sender.attempts == list(range(1, attempts + 1))
    if outcome == "failed" and attempts == 4:
        assert "gave up after 4 attempts" in (result.error or "")


def test_secrets_resolve_from_file_env_or_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "key").write_text("from-file\n")
    monkeypatch.setenv("NEWSROOM_KEY", "from-env")
    monkeypatch.delenv("PARLEY_ALERTS_SIGNING_SECRET", raising=False)
    config = AlertsSettings.model_validate(
        {
            "signing_secrets": {
                "file": {"file": str(tmp_path / "key")},
                "env": {"env": "NEWSROOM_KEY"},
                "inline": {"value": "s3cr3t-value"},
            }
        }
    )
    assert config.signing_key("file") == "from-file"
    assert config.signing_key("env") == "from-env"
    assert config.signing_key("inline") == "s3cr3t-value"
    assert config.signing_key("missing") is None
    assert config.signing_key(None) is None  # the global secret's variable is unset
    assert "s3cr3t-value" not in repr(config)


def test_api_tokens_map_to_owners(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_API_TOKEN", "admin-token")
    config = AlertsSettings.model_validate(
        {"api": {"tokens": [{"owner": "newsroom", "token": {"value": "n-token"}}]}}
    )
    tokens = config.api.resolved_tokens()
    assert tokens["admin-token"].admin and tokens["admin-token"].owner == "admin"
    assert tokens["n-token"].owner == "newsroom" and not tokens["n-token"].admin


def test_unknown_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="extra"):
        AlertsSettings.model_validate({"smtp": {"hots": "x"}})


def test_concurrent_calls_of_one_loop_turn_share_one_bulk_call() -> None:
    import asyncio

    from sinks.alerts.batching import Coalescer

    calls: list[dict[str, int]] = []

    async def bulk(items: dict[str, int]) -> dict[str, int | BaseException]:
        calls.append(dict(items))
        return {k: (ValueError(k) if v < 0 else v * 10) for k, v in items.items()}

    async def main() -> list[object]:
        coalescer: Coalescer[str, int, int] = Coalescer(bulk)
        results = await asyncio.gather(
            *(coalescer.call(k, v) for k, v in [("a", 1), ("b", 2), ("c", -1)]),
            return_exceptions=True,
        )
        later = await coalescer.call("d", 4)
        return [*results, later]

    results = asyncio.run(main())
    assert results[:2] == [10, 20] and isinstance(results[2], ValueError) and results[3] == 40
    assert calls == [{"a": 1, "b": 2, "c": -1}, {"d": 4}]
