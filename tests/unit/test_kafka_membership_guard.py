"""``keep_join_going`` reaches into kafka-python's coordinator; a release without that attribute
must leave the worker running (the behaviour with a real broker is in tests/integration)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kafka.structs import MemberState

from parley import kafka_membership


class Coordinator:
    def __init__(self) -> None:
        self.requests = 0

    def request_rejoin(self) -> None:
        self.requests += 1


def consumer(state: MemberState, coordinator: Any = None) -> Any:
    members = SimpleNamespace(group_metadata=lambda: SimpleNamespace(state=state))
    if coordinator is not None:
        members._coordinator = coordinator
    return members


def test_rejoin_is_requested_only_while_rebalancing() -> None:
    coordinator = Coordinator()
    kafka_membership.keep_join_going(consumer(MemberState.STABLE, coordinator))
    assert coordinator.requests == 0
    kafka_membership.keep_join_going(consumer(MemberState.REBALANCING, coordinator))
    assert coordinator.requests == 1


def test_a_release_without_the_private_call_keeps_the_worker_going(capsys: Any) -> None:
    kafka_membership._unavailable_said = False
    for _ in range(3):
        kafka_membership.keep_join_going(consumer(MemberState.REBALANCING))
    kafka_membership.keep_join_going(
        consumer(MemberState.REBALANCING, SimpleNamespace(request_rejoin=None))
    )
    said = capsys.readouterr()
    assert (said.out + said.err).count("kafka_rejoin_workaround_unavailable") == 1
