"""``StallWatch``: a dispatcher whose Kafka client stopped fetching is told from an idle one."""

from __future__ import annotations

from sinks.alerts.offsets import StallWatch


def test_records_waiting_and_none_arriving_is_a_stall_after_the_timeout() -> None:
    watch = StallWatch(stall_after=60, check_every=10, now=0)
    assert not watch.stalled(30, waiting=5, in_flight=0)
    assert not watch.stalled(59, waiting=5, in_flight=0)
    assert watch.stalled(60, waiting=5, in_flight=0)


def test_nothing_waiting_is_idle_not_stalled() -> None:
    watch = StallWatch(stall_after=60, check_every=10, now=0)
    assert not watch.stalled(100, waiting=0, in_flight=0)
    # The clock restarts when records start waiting.
    assert not watch.stalled(150, waiting=3, in_flight=0)
    assert watch.stalled(160, waiting=3, in_flight=0)


def test_records_received_or_in_flight_are_progress() -> None:
    watch = StallWatch(stall_after=60, check_every=10, now=0)
    watch.received(50)
    assert not watch.stalled(100, waiting=5, in_flight=0)
    assert not watch.stalled(200, waiting=5, in_flight=2)  # busy delivering, not stuck
    assert not watch.stalled(250, waiting=5, in_flight=0)
    assert watch.stalled(260, waiting=5, in_flight=0)


def test_checks_are_spaced() -> None:
    watch = StallWatch(stall_after=60, check_every=10, now=0)
    assert not watch.due(9)
    assert watch.due(10)
    watch.stalled(10, waiting=0, in_flight=0)
    assert not watch.due(15)
    assert watch.due(20)
