"""Sharing the feed list between poller workers through Kafka itself.

Feeds live in the compacted topic ``settings.kafka.topics.feeds`` (key = feed id, value = the
``Feed`` JSON, a tombstone removes a feed).  Every worker joins one consumer group on that topic;
Kafka assigns each worker some partitions, and the worker polls the feeds it reads from them.
When a worker dies, its session times out and Kafka hands its partitions to the others; when a
worker joins, partitions are taken from the others.  No offsets are committed: on every
assignment the worker reads its partitions from the beginning, which for a compacted topic is
the current feed table.

A record that is not a feed (bad JSON, a schema violation, anything its parsing raises) is
logged, counted and sent to the dead-letter topic once per worker (``invalid_feed_record``),
and the worker goes on with the next record; only a failing consumer ends the worker.

Records are partitioned by the feed's *host* (not by the default key hash) so that all feeds of
one site land on one worker, whose per-host gate then bounds the load on that site globally.

kafka-python is blocking, so the consumer runs in its own thread.  Its rebalance callbacks run on
kafka-python's IO thread, where nothing may block: they hand the changes to the consumer thread
(seek, end offsets) and to the poller's event loop (a revoked feed's poll in flight is cancelled
at once), and return.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.partitioner.default import murmur2
from pydantic import ValidationError

from ingest import metrics
from ingest.feeds import Feed
from ingest.poller import FeedPoller
from parley.deadletter import DeadLetter
from parley.kafka_membership import keep_join_going
from parley.logs import get_logger
from parley.poison import describe

log = get_logger(__name__)


def partition_for(feed_url: str, partitions: int) -> int:
    """Partition of a feed: murmur2 of its host, like Kafka's default partitioner on keys."""
    host = (urlsplit(feed_url).hostname or "").lower().encode("utf-8")
    return int(murmur2(host) & 0x7FFFFFFF) % partitions


class FeedPublisher:
    """Writes feeds into the compacted feeds topic (``parley feeds publish``, poll start-up)."""

    def __init__(self, client_kwargs: dict[str, Any], topic: str) -> None:
        self.topic = topic
        self._producer = KafkaProducer(**client_kwargs, enable_idempotence=True, acks="all")

    def partitions(self) -> int:
        parts = self._producer.partitions_for(self.topic)
        if not parts:
            raise RuntimeError(f"topic {self.topic!r} has no partitions (run `parley setup`)")
        return len(parts)

    def publish(self, feeds: Iterable[Feed], partition: int | None = None) -> int:
        count = 0
        total = self.partitions()
        for feed in feeds:
            self._producer.send(
                self.topic,
                key=feed.id.encode(),
                value=feed.to_bytes(),
                partition=partition if partition is not None else partition_for(feed.url, total),
            )
            count += 1
        self._producer.flush()
        return count

    def delete(self, feed: Feed) -> None:
        partition = partition_for(feed.url, self.partitions())
        self._producer.send(self.topic, key=feed.id.encode(), value=None, partition=partition)
        self._producer.flush()

    def close(self) -> None:
        self._producer.close()


class FeedAssignment:
    """Consumer-group membership feeding a ``FeedPoller`` running on ``loop``."""

    def __init__(
        self,
        client_kwargs: dict[str, Any],
        topic: str,
        group_id: str,
        poller: FeedPoller,
        loop: asyncio.AbstractEventLoop,
        *,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
        dead_letter: Callable[[DeadLetter], None] | None = None,
    ) -> None:
        self.topic = topic
        self._dead_letter = dead_letter
        self._dead_lettered: set[tuple[int, int]] = set()  # (partition, offset), per process
        self.poller = poller
        self.loop = loop
        self.caught_up = threading.Event()  # the current assignment has been read to its end
        self.assigned: set[int] = set()
        self._stop = threading.Event()
        self._end_offsets: dict[TopicPartition, int] = {}
        self._pending_assignment: list[TopicPartition] = []
        self._consumer = KafkaConsumer(
            **client_kwargs,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            max_poll_interval_ms=max(300_000, session_timeout_ms * 3),
        )
        self._thread = threading.Thread(target=self._run, name="feed-assignment", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        self._consumer.subscribe([self.topic], listener=_Listener(self))
        self._thread.start()

    def stop(self) -> None:
        """Leave the group (the other workers take over at once rather than after a timeout)."""
        self._stop.set()
        self._thread.join(timeout=30)

    def _call(self, func: Any, *args: Any) -> None:
        self.loop.call_soon_threadsafe(func, *args)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                batches = self._consumer.poll(timeout_ms=500)
                keep_join_going(self._consumer)
                if self._pending_assignment:
                    self._start_assignment()
                for tp, messages in batches.items():
                    for message in messages:
                        self._apply(tp.partition, message.key, message.value, message.offset)
                self._check_caught_up()
        except BaseException as exc:  # surfaced to run_poller, which stops the worker
            self.error = exc
            log.exception("feed_assignment_crashed", error=str(exc))
        finally:
            self._consumer.close()

    def _apply(
        self, partition: int, key: bytes | None, value: bytes | None, offset: int = -1
    ) -> None:
        feed_key = key.decode("utf-8", errors="replace") if key else None
        if value is None:
            if feed_key:
                self._call(self.poller.remove, feed_key)
            return
        try:
            feed = Feed.from_bytes(value)
        except Exception as exc:  # noqa: BLE001 - poison policy: this record's, not the worker's
            self._poisoned(partition, offset, feed_key, value, exc)
            return
        if feed_key and feed_key != feed.id:
            log.error("feed_record_key_mismatch", key=feed_key, feed_id=feed.id)
            return
        self._call(self.poller.upsert, feed, partition)

    def _poisoned(
        self, partition: int, offset: int, key: str | None, value: bytes, exc: Exception
    ) -> None:
        log.error(
            "invalid_feed_record",
            topic=self.topic,
            partition=partition,
            offset=offset,
            key=key,
            error=describe(exc, 500),
        )
        # Feed records are read again on every assignment: one dead letter per worker is enough.
        if self._dead_letter is None or (partition, offset) in self._dead_lettered:
            return
        letter = DeadLetter.from_error(
            worker="poller",
            reason="invalid_feed_record",
            error=exc if not isinstance(exc, ValidationError) else describe(exc, 2000),
            payload=value,
            source_topic=self.topic,
            source_partition=partition,
            source_offset=offset,
            source_key=key,
        )
        try:
            self._dead_letter(letter)
        except Exception as send_error:  # noqa: BLE001 - logged above; retried on the next read
            log.warning("dead_letter_failed", error=describe(send_error))
            return
        self._dead_lettered.add((partition, offset))
        metrics.DEAD_LETTERS.labels("invalid_feed_record").inc()

    def _check_caught_up(self) -> None:
        if self.caught_up.is_set() or not self._end_offsets:
            return
        for tp, end in self._end_offsets.items():
            if self._consumer.position(tp) < end:
                return
        self.caught_up.set()
        log.info("feeds_assigned", partitions=sorted(self.assigned))

    # Rebalance callbacks (kafka-python's IO thread: never block here).

    def on_assigned(self, assigned: list[TopicPartition]) -> None:
        # kafka-python runs this on its IO thread, where blocking consumer calls are refused:
        # the seek and the end offsets are done by the consumer thread after poll() returns.
        mine = [tp for tp in assigned if tp.topic == self.topic]
        self.assigned |= {tp.partition for tp in mine}
        self._pending_assignment.extend(mine)
        self.caught_up.clear()

    def _start_assignment(self) -> None:
        mine, self._pending_assignment = self._pending_assignment, []
        if mine:
            self._consumer.seek_to_beginning(*mine)
            self._end_offsets.update(self._consumer.end_offsets(mine))
        if not self._end_offsets:
            self.caught_up.set()
        self._check_caught_up()

    def on_revoked(self, revoked: list[TopicPartition]) -> None:
        # On the IO thread, which must not block (it also heartbeats): the poller drops the feeds
        # and cancels their polls in flight on its own loop, without this thread waiting.  The
        # handover is then quicker than the rebalance itself (every member must rejoin and the
        # next owner read the feed table first), so no feed is polled by two workers at once;
        # a cancelled poll stored no validators and is simply redone by the next owner.
        lost = {tp.partition for tp in revoked if tp.topic == self.topic}
        self.assigned -= lost
        for tp in revoked:
            self._end_offsets.pop(tp, None)
        if not lost:
            return
        self._pending_assignment = [tp for tp in self._pending_assignment if tp not in revoked]
        future = asyncio.run_coroutine_threadsafe(self.poller.revoke(lost, grace=0), self.loop)
        future.add_done_callback(partial(_log_revoke, sorted(lost)))


def _log_revoke(partitions: list[int], future: concurrent.futures.Future[None]) -> None:
    error = None if future.cancelled() else future.exception()
    if error is not None:
        log.error("revoke_incomplete", partitions=partitions, error=str(error))
    else:
        log.info("feeds_revoked", partitions=partitions)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, assignment: FeedAssignment) -> None:
        self._assignment = assignment

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self._assignment.on_revoked(revoked)

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self._assignment.on_assigned(assigned)
