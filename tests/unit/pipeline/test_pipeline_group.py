"""The bookkeeping of a pipeline process in the consumer group (``pipeline.group.Ownership``):
which partitions the source may read, and which stored offsets may be committed, through
revocations and assignments.  Plain data, no Kafka; the Kafka side is tested in
``tests/faults/test_pipeline_scale_out.py``."""

from __future__ import annotations

import socket

import pytest
from pydantic import ValidationError

from pipeline.config import PipelineConfig
from pipeline.group import Ownership, Turn, expand_instance_id, membership_stuck


def running(partitions: set[int]) -> Ownership:
    state = Ownership()
    state.assign(frozenset(partitions), now=0.0)
    state.begin_run(frozenset(partitions), now=0.0)
    return state


def test_the_run_reads_its_partitions_waits_during_a_rebalance_and_ends_when_they_move() -> None:
    state = running({0, 1})
    assert state.turn(0) is Turn.READ and state.turn(1) is Turn.READ
    assert state.turn(2) is Turn.END  # never this run's
    state.revoke(lost=False, now=10.0)
    assert state.turn(0) is Turn.WAIT  # may go elsewhere: read nothing meanwhile
    state.assign(frozenset({1, 2}), now=10.5)
    assert state.turn(0) is Turn.END and state.turn(1) is Turn.END  # a new run takes over


def test_the_same_assignment_again_lets_the_run_go_on_and_reports_the_pause() -> None:
    state = running({0, 1})
    state.revoke(lost=False, now=10.0)
    paused = state.assign(frozenset({0, 1}), now=10.25)
    assert paused == pytest.approx(0.25)
    assert state.turn(0) is Turn.READ


def test_a_new_run_reports_the_time_since_the_revocation() -> None:
    state = running({0, 1})
    state.revoke(lost=False, now=10.0)
    assert state.assign(frozenset({0}), now=10.2) is None
    assert state.begin_run(frozenset({0}), now=11.0) == pytest.approx(1.0)
    assert state.begin_run(frozenset({0}), now=12.0) is None  # nothing revoked since


def test_offsets_of_owned_partitions_are_committed_and_only_forward() -> None:
    state = running({0, 1})
    state.hand_over({0: 10, 1: 5})
    assert state.to_commit() == {0: 10, 1: 5}
    state.commit_done({0: 10, 1: 5})
    assert state.to_commit() == {}
    state.hand_over({0: 8})  # an older bundle finalized late: never moves backwards
    assert state.to_commit() == {}


def test_offsets_stored_during_a_rebalance_wait_and_follow_the_partition() -> None:
    state = running({0, 1})
    state.revoke(lost=False, now=1.0)
    state.hand_over({0: 20, 1: 30})  # the bundle in flight finished after the revocation
    assert state.to_commit() == {}  # nothing is ours while the rebalance settles
    assert state.holds(frozenset({0}))
    state.assign(frozenset({1}), now=2.0)
    # Partition 0 went to another member, who reads it again from the committed offset; ours
    # came back, so what we stored is committed.
    assert state.to_commit() == {1: 30}
    assert not state.holds(frozenset({0}))


def test_offsets_of_a_partition_already_given_away_are_dropped() -> None:
    state = running({0, 1})
    state.revoke(lost=False, now=1.0)
    state.assign(frozenset({1}), now=2.0)
    state.hand_over({0: 40})  # finalized after partition 0 went elsewhere
    state.revoke(lost=False, now=3.0)
    state.assign(frozenset({0, 1}), now=4.0)  # ... and came back later
    # Its new owner may have committed further meanwhile: our 40 must not overwrite that.
    assert state.to_commit() == {}


def test_a_lost_membership_drops_everything_held() -> None:
    state = running({0})
    state.hand_over({0: 7})
    state.revoke(lost=True, now=1.0)
    state.assign(frozenset({0}), now=2.0)
    assert state.to_commit() == {}


def test_after_a_partition_moved_away_and_back_earlier_commits_do_not_hide_new_ones() -> None:
    state = running({0})
    state.hand_over({0: 50})
    state.commit_done({0: 50})
    state.revoke(lost=False, now=1.0)
    state.assign(frozenset(), now=2.0)
    state.revoke(lost=False, now=3.0)
    state.assign(frozenset({0}), now=4.0)
    state.begin_run(frozenset({0}), now=4.0)
    state.hand_over({0: 45})  # the other owner committed less than we once did: commit it
    assert state.to_commit() == {0: 45}


def test_time_without_an_assignment_is_tracked_for_the_watchdog() -> None:
    state = Ownership(unassigned_since=0.0)  # joining
    state.assign(frozenset({0}), now=2.0)
    assert state.unassigned_since is None
    state.revoke(lost=False, now=5.0)
    state.revoke(lost=True, now=6.0)  # the first moment counts
    assert state.unassigned_since == 5.0
    state.assign(frozenset(), now=7.0)  # nothing to read is an assignment too
    assert state.unassigned_since is None


def test_membership_is_stuck_only_when_the_group_settled_without_us() -> None:
    assert membership_stuck(41, 10, limit=30, grace=10)
    assert not membership_stuck(29, 10, limit=30, grace=10)  # not long enough without
    assert not membership_stuck(41, 5, limit=30, grace=10)  # settled too recently: may rejoin
    # Still rebalancing, or Kafka does not answer (no settled group seen): wait.
    assert not membership_stuck(300, None, limit=30, grace=10)


def test_instance_id_takes_the_host_name() -> None:
    assert expand_instance_id(None) is None
    assert expand_instance_id("pipeline-{hostname}") == f"pipeline-{socket.gethostname()}"
    assert expand_instance_id("pipeline-0") == "pipeline-0"


@pytest.mark.parametrize(
    ("settings", "runner", "expected"),
    [
        ({}, "FnApiRunner", "group"),
        ({}, "apache_beam.runners.portability.fn_api_runner.FnApiRunner", "group"),
        ({}, "PrismRunner", "all"),
        ({"bounded": True}, "FnApiRunner", "all"),
        ({"start_from": "earliest"}, "FnApiRunner", "all"),
        ({"assignment": "all"}, "FnApiRunner", "all"),
    ],
)
def test_group_assignment_is_automatic_where_it_applies(
    settings: dict[str, object], runner: str, expected: str
) -> None:
    assert PipelineConfig.model_validate(settings).resolved_assignment(runner) == expected


def test_group_assignment_where_it_cannot_apply_is_a_clear_error() -> None:
    config = PipelineConfig(assignment="group", bounded=True)
    with pytest.raises(ValueError, match="bounded run"):
        config.resolved_assignment("FnApiRunner")
    with pytest.raises(ValueError, match="FlinkRunner runner assigns"):
        PipelineConfig(assignment="group").resolved_assignment("FlinkRunner")


def test_membership_settings_are_validated() -> None:
    with pytest.raises(ValidationError, match="heartbeat_interval_ms"):
        PipelineConfig(session_timeout_ms=3000, heartbeat_interval_ms=3000)
    with pytest.raises(ValidationError):
        PipelineConfig(instance_id="pipeline 0")  # Kafka allows [A-Za-z0-9._-] only
    assert PipelineConfig(instance_id="{hostname}-pipeline-0").instance_id
