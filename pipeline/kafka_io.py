"""The pipeline's Kafka clients (kafka-python), kept apart from Beam so they stay plain objects.

- ``PartitionReader``: one consumer reading one partition from a given offset.  It joins no
  consumer group: where to read from is the Beam restriction's business, not Kafka's.
- ``OffsetCommitter``: commits offsets for the pipeline's consumer group, explicitly and only
  for records whose documents Elasticsearch acknowledged (auto-commit is never on).
- ``DeadLetterProducer``: sends dead letters and waits until Kafka acknowledged them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from parley.deadletter import DeadLetter
from parley.logs import get_logger
from pipeline.processing import KafkaMessage

log = get_logger(__name__)


class TopicNotFoundError(RuntimeError):
    pass


def partitions_for(
    client_kwargs: Mapping[str, Any], topic: str, *, wait_seconds: float = 60.0
) -> list[int]:
    """Partition numbers of ``topic``; waits up to ``wait_seconds`` for the topic to appear
    (``parley setup`` or the poller may create it moments after the pipeline starts)."""
    consumer = KafkaConsumer(**client_kwargs, enable_auto_commit=False)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            partitions = consumer.partitions_for_topic(topic)
            if partitions:
                return sorted(partitions)
            if time.monotonic() > deadline:
                raise TopicNotFoundError(f"topic {topic!r} does not exist")
            time.sleep(1.0)
            consumer.topics()  # refresh metadata
    finally:
        consumer.close()


class PartitionReader:
    def __init__(
        self,
        client_kwargs: Mapping[str, Any],
        topic: str,
        partition: int,
        *,
        max_poll_records: int = 500,
        max_partition_fetch_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.tp = TopicPartition(topic, partition)
        self._client_kwargs = client_kwargs
        self._max_poll_records = max_poll_records
        self._consumer = KafkaConsumer(
            **client_kwargs,
            group_id=None,
            enable_auto_commit=False,
            # A position below the log start (retention removed records we never read) can only
            # continue from the oldest record still there.
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=max_partition_fetch_bytes,
        )
        self._consumer.assign([self.tp])
        self._next: int | None = None

    def beginning_offset(self) -> int:
        return int(self._consumer.beginning_offsets([self.tp])[self.tp])

    def end_offset(self) -> int:
        return int(self._consumer.end_offsets([self.tp])[self.tp])

    def committed(self, group_id: str) -> int | None:
        """The group's committed offset (next record to read) for this partition."""
        return committed_offset(self._client_kwargs, group_id, self.tp)

    def read(self, position: int, timeout_ms: int) -> list[KafkaMessage]:
        """Records at ``position`` or later (at most ``max_poll_records``), waiting up to
        ``timeout_ms`` when there are none.  Consecutive reads continue without a seek, so the
        consumer's prefetched data is not thrown away."""
        if self._next != position:
            self._consumer.seek(self.tp, position)
        records = self._consumer.poll(
            timeout_ms=timeout_ms, max_records=self._max_poll_records, update_offsets=True
        ).get(self.tp, [])
        out = [
            KafkaMessage(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp)
            for r in records
            if r.offset >= position
        ]
        if out:
            self._next = out[-1].offset + 1
        else:
            self._next = position
        return out

    def position(self) -> int:
        """Next offset the consumer will fetch; past ``read``'s last record when the log has gaps
        (compaction, transaction markers)."""
        return int(self._consumer.position(self.tp))

    def lag(self) -> int | None:
        """Records behind the partition's end, from the last fetch response (no extra request)."""
        high = self._consumer.highwater(self.tp)
        if high is None or self._next is None:
            return None
        return max(0, int(high) - self._next)

    def close(self) -> None:
        self._consumer.close()


def committed_offset(
    client_kwargs: Mapping[str, Any], group_id: str, tp: TopicPartition
) -> int | None:
    consumer = KafkaConsumer(**client_kwargs, group_id=group_id, enable_auto_commit=False)
    try:
        value = consumer.committed(tp)
        return int(value) if value is not None else None
    finally:
        consumer.close()


class OffsetCommitter:
    """Commits "next offset to read" per partition for ``group_id``.

    It never joins the group (no subscription, generation -1): several pipeline workers may own
    different partitions without a rebalance taking them away.  Commits only move forward within
    a process, because bundles may be finalized out of order on a distributed runner and an
    older, smaller offset must not undo a newer one.
    """

    def __init__(self, client_kwargs: Mapping[str, Any], group_id: str) -> None:
        self._consumer = KafkaConsumer(**client_kwargs, group_id=group_id, enable_auto_commit=False)
        self._committed: dict[tuple[str, int], int] = {}

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """Commit the given next-offsets; returns what was actually sent."""
        todo = {
            tp: offset for tp, offset in offsets.items() if offset > self._committed.get(tp, -1)
        }
        if not todo:
            return {}
        self._consumer.commit(
            {
                TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
                for (topic, partition), offset in todo.items()
            }
        )
        self._committed.update(todo)
        return todo

    def close(self) -> None:
        self._consumer.close()


class DeadLetterProducer:
    def __init__(self, client_kwargs: Mapping[str, Any], topic: str) -> None:
        self._topic = topic
        self._producer = KafkaProducer(
            **client_kwargs,
            acks="all",
            # A dead letter keeps up to 256 KiB of the original payload (base64).
            max_request_size=2 * 1024 * 1024,
            linger_ms=5,
        )

    def send(self, letters: Iterable[DeadLetter], timeout: float = 60.0) -> int:
        """Send and wait for every acknowledgement; raises if Kafka refused any (the caller then
        does not commit the offsets those letters stand for)."""
        futures = [
            self._producer.send(
                self._topic,
                key=(dl.source_key or "").encode("utf-8") or None,
                value=dl.to_bytes(),
            )
            for dl in letters
        ]
        if not futures:
            return 0
        self._producer.flush(timeout=timeout)
        for future in futures:
            future.get(timeout=timeout)
        return len(futures)

    def close(self) -> None:
        self._producer.close(timeout=10)
