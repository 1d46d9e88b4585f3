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
"""

from __future__ import annotations

from kafka import KafkaConsumer
from kafka.structs import MemberState


def keep_join_going(consumer: KafkaConsumer) -> None:
    if consumer.group_metadata().state == MemberState.REBALANCING:
        # The one private call: kafka-python has no public way to ask for the rejoin.
        consumer._coordinator.request_rejoin()
