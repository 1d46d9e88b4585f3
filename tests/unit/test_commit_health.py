"""How ``parley status`` decides that a committed offset is stuck (pure part)."""

from __future__ import annotations

from parley.commit_health import STUCK_AFTER_S, assess_partition
from parley.config import MetricsSettings
from parley.metrics import DEFAULT_PORTS, worker_metrics_port


def test_first_look_cannot_tell_for_how_long() -> None:
    row = assess_partition(None, 5, 9, now=100.0)
    assert row == {
        "committed": 5,
        "end": 9,
        "lag": 4,
        "since": 100.0,
        "unchanged_for_s": None,
        "stuck": False,
    }


def test_an_offset_that_stays_put_with_records_waiting_becomes_stuck() -> None:
    first = assess_partition(None, 5, 9, now=100.0)
    soon = assess_partition(first, 5, 12, now=100.0 + STUCK_AFTER_S - 1)
    assert soon["unchanged_for_s"] == STUCK_AFTER_S - 1 and not soon["stuck"]
    late = assess_partition(soon, 5, 12, now=100.0 + STUCK_AFTER_S)
    assert late["stuck"] and late["since"] == 100.0 and late["lag"] == 7


def test_moving_or_caught_up_offsets_are_not_stuck() -> None:
    first = assess_partition(None, 5, 9, now=0.0)
    moved = assess_partition(first, 6, 9, now=500.0)
    assert (moved["since"], moved["unchanged_for_s"], moved["stuck"]) == (500.0, 0.0, False)
    idle = assess_partition(assess_partition(None, 9, 9, now=0.0), 9, 9, now=500.0)
    assert idle["lag"] == 0 and not idle["stuck"]


def test_a_group_that_never_commits_while_records_wait_is_stuck_too() -> None:
    first = assess_partition(None, None, 9, now=0.0, beginning=4)
    never = assess_partition(first, None, 9, now=STUCK_AFTER_S, beginning=4)
    assert never["lag"] == 5 and never["stuck"]
    empty = assess_partition(assess_partition(None, None, 4, 0.0, 4), None, 4, 500.0, 4)
    assert empty["lag"] == 0 and not empty["stuck"]


def test_metrics_ports_follow_parley_up() -> None:
    assert worker_metrics_port(MetricsSettings(), "dispatcher") == DEFAULT_PORTS["dispatcher"]
    assert worker_metrics_port(MetricsSettings(port=9500), "dispatcher") == 9502
