"""Consumer-group membership with kafka-python 3: what every group member of parley needs.

``keep_join_going`` works around a kafka-python 3.0 bug (seen about one start in five on a fresh
topic under load, in the pipeline's members, and as a dispatcher that never got a partition): a
rebalance started by a metadata change (not by the broker) does not set the coordinator's rejoin
flag; when this member leads the group it computes the assignment as soon as the JoinGroup
response arrives, after which the coordinator thinks no rejoin is needed.  If ``poll`` times out
between that and the SyncGroup response, the next ``poll`` never collects the finished join: no
assignment, no heartbeats, and ``poll`` spins.  Raising the flag while a join is in progress keeps
``poll`` waiting for it (the flag is cleared when the join is applied); a join that was already
dropped is redone.  Call it on the consumer's own thread after every ``poll``.

The flag is raised through a private attribute (kafka-python has no public way to ask for the
rejoin).  A release that renames it must not stop a worker after every ``poll``: then the
workaround is off, said once in the log, and membership is left to the library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer
from kafka.structs import MemberState

from parley.logs import get_logger

log = get_logger(__name__)
_unavailable_said = False


def _request_rejoin(consumer: KafkaConsumer) -> Callable[[], Any] | None:
    coordinator = getattr(consumer, "_coordinator", None)
    request = getattr(coordinator, "request_rejoin", None)
    return request if callable(request) else None


def keep_join_going(consumer: KafkaConsumer) -> None:
    global _unavailable_said
    if consumer.group_metadata().state != MemberState.REBALANCING:
        return
    request = _request_rejoin(consumer)
    if request is not None:
        request()
    elif not _unavailable_said:
        _unavailable_said = True
        log.warning(
            "kafka_rejoin_workaround_unavailable",
            reason="this kafka-python has no consumer._coordinator.request_rejoin",
        )
