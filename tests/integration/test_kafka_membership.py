"""``parley.kafka_membership.keep_join_going`` with a plain consumer, as the dispatcher and the
feed assignment use it: the first member of a new group, polling with timeouts short enough to
fall between the JoinGroup and SyncGroup responses, gets every partition and keeps them."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic

from parley.kafka_membership import keep_join_going


@pytest.mark.timeout(120)
def test_first_member_of_a_new_group_keeps_its_assignment(
    kafka_bootstrap: str, unique_name: str
) -> None:
    admin = KafkaAdminClient(bootstrap_servers=[kafka_bootstrap])
    names = [f"{unique_name}-{n}.alerts" for n in range(3)]
    admin.create_topics([NewTopic(name, 3, 1) for name in names])
    try:
        for name in names:
            consumer = KafkaConsumer(
                bootstrap_servers=[kafka_bootstrap],
                group_id=f"{name}-group",
                enable_auto_commit=False,
                session_timeout_ms=6000,
                heartbeat_interval_ms=1000,
                metadata_max_age_ms=1000,
            )
            try:
                consumer.subscribe([name])
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and len(consumer.assignment()) < 3:
                    consumer.poll(timeout_ms=1)
                    keep_join_going(consumer)
                assert {tp.partition for tp in consumer.assignment()} == {0, 1, 2}, name
                # Past the rejoin that follows a new group's first assignment.
                until = time.monotonic() + 3
                while time.monotonic() < until:
                    consumer.poll(timeout_ms=1)
                    keep_join_going(consumer)
                assert {tp.partition for tp in consumer.assignment()} == {0, 1, 2}, name
            finally:
                consumer.close()
    finally:
        admin.delete_topics(names)
        admin.close()
