"""A Kafka source for Beam written in Python (kafka-python), so it runs on every runner.

Beam's own ``ReadFromKafka`` is a Java cross-language transform: it needs Beam's expansion-service
jar and a Java worker, which the embedded runner cannot take for granted.  This one is a
splittable DoFn:

- element = one ``(topic, partition)``; restriction = an offset range starting at the consumer
  group's committed offset (what Elasticsearch already holds) and ending at the partition end
  seen at start-up (bounded mode) or never (``UNBOUNDED_END``);
- each ``process`` call reads one batch (``consumer.poll`` blocks up to ``poll_timeout_ms``,
  which paces the embedded runner: it ignores the ``defer_remainder`` delay), claims every
  record's offset and then checkpoints with ``defer_remainder``, so every batch ends a bundle and
  the sink's bundle finalizer can commit it.  The embedded runner reads every partition in one
  bundle, one after the other: once a partition of the bundle returned records, the others
  take what has arrived without waiting, so records are not held back by the polls of idle
  partitions (an idle bundle still waits ``poll_timeout_ms`` per partition, its pacing);
- bundles adapt to the arrival rate: after a bundle that carried records, the next one
  begins its reads no sooner than ``bundle_linger_ms`` after that bundle began, so a busy stream
  is stored in fewer, larger batches (fewer bulk requests, matches, refreshes and commits per
  article) while a quiet one is read at once;
- the watermark follows the record timestamps (``ManualWatermarkEstimator``) and moves to
  "now" minus a second while the partition is idle, so that event-time consumers downstream on
  a runner that has them are not held back by a quiet partition;
- the source never commits: the sink does, after Elasticsearch acknowledged;
- ``KafkaReadConfig.turn`` is asked before every read: a partition this process no longer
  owns ends its restriction (unread offsets stay uncommitted), and while a consumer-group
  rebalance settles the partition reads nothing and waits (``pipeline.group``).

Partitions are those of ``KafkaReadConfig.partitions`` (the group's assignment to this
process), or all of the topic's when the job starts (partitions added later need a restart).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import apache_beam as beam
from apache_beam.io.restriction_trackers import OffsetRange, OffsetRestrictionTracker
from apache_beam.io.watermark_estimators import ManualWatermarkEstimator
from apache_beam.transforms.core import RestrictionProvider
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import Duration, Timestamp

from pipeline import lifecycle, metrics
from pipeline.group import Turn
from pipeline.kafka_io import PartitionReader, partitions_for
from pipeline.processing import KafkaMessage

UNBOUNDED_END = 2**63 - 1
# Parameter markers of the splittable process(); the DoFn is its own restriction provider.
_RESTRICTION = beam.DoFn.RestrictionParam()
_WATERMARK = beam.DoFn.WatermarkEstimatorParam(ManualWatermarkEstimator.default_provider())
IDLE_WATERMARK_LAG = Duration(seconds=1)


class KafkaPartition(NamedTuple):
    topic: str
    partition: int


class PartitionSource(Protocol):
    """What the source needs from one partition; ``pipeline.kafka_io.PartitionReader`` is the
    Kafka one (tests plug in an in-memory log through ``KafkaReadConfig.reader_factory``)."""

    def beginning_offset(self) -> int: ...
    def end_offset(self) -> int: ...
    def committed(self, group_id: str) -> int | None: ...
    def read(self, position: int, timeout_ms: int) -> list[KafkaMessage]: ...
    def position(self) -> int: ...
    def lag(self) -> int | None: ...
    def close(self) -> None: ...


def open_partition_reader(config: KafkaReadConfig, partition: KafkaPartition) -> PartitionSource:
    return PartitionReader(
        config.client_kwargs,
        partition.topic,
        partition.partition,
        max_poll_records=config.max_poll_records,
        max_partition_fetch_bytes=config.max_partition_fetch_bytes,
    )


def list_partitions(config: KafkaReadConfig, topic: str) -> list[int]:
    return partitions_for(config.client_kwargs, topic, wait_seconds=config.topic_wait_seconds)


def always_read(topic: str, partition: int) -> Turn:
    """Ownership when this job reads its partitions regardless of any consumer group."""
    return Turn.READ


@dataclass(frozen=True)
class KafkaReadConfig:
    """Everything the source needs, picklable (it travels to the workers)."""

    client_kwargs: Mapping[str, Any]
    group_id: str
    start_from: str = "committed"
    bounded: bool = False
    poll_timeout_ms: int = 50
    # After a bundle that carried records, the next one reads no sooner than this after that
    # bundle began (see ``_read_once``); 0 reads at once.
    bundle_linger_ms: int = 0
    max_poll_records: int = 500
    max_partition_fetch_bytes: int = 32 * 1024 * 1024
    partitions: tuple[int, ...] | None = None  # None = all partitions of the topic
    topic_wait_seconds: float = 60.0
    reader_factory: Callable[[KafkaReadConfig, KafkaPartition], PartitionSource] = (
        open_partition_reader
    )
    partition_lister: Callable[[KafkaReadConfig, str], list[int]] = list_partitions
    # Module-level (pickled by reference): ``pipeline.group.turn`` in a group member.
    turn: Callable[[str, int], Turn] = always_read


class _PartitionTracker(OffsetRestrictionTracker):  # type: ignore[misc]
    """An offset range that only splits at the current position (self-checkpoint).  The range
    of an unbounded partition ends at 2**63: a runner-initiated split somewhere in the middle of
    it would create a reader for offsets that will not exist for centuries."""

    def try_split(self, fraction_of_remainder: float) -> Any:
        if fraction_of_remainder > 0:
            return None
        return super().try_split(0)

    def is_bounded(self) -> bool:
        return bool(self.current_restriction().stop < UNBOUNDED_END)


class _DiscoverPartitionsFn(beam.DoFn):  # type: ignore[misc]
    def __init__(self, config: KafkaReadConfig, topic: str) -> None:
        self._config = config
        self._topic = topic

    def process(self, _: bytes) -> Iterator[KafkaPartition]:
        partitions = self._config.partitions
        if partitions is None:
            partitions = tuple(self._config.partition_lister(self._config, self._topic))
        for partition in partitions:
            yield KafkaPartition(self._topic, partition)


def _claim_rest(tracker: Any, last_claimed: int | None = None) -> None:
    """End this restriction here: claim its last offset without reading up to it.  Used at
    the bounded end (the log may have gaps, e.g. transaction markers, so the last offset may
    never come as a record) and on shutdown (the unread offsets stay uncommitted in Kafka)."""
    restriction = tracker.current_restriction()
    last = restriction.stop - 1
    if last >= restriction.start and (last_claimed is None or last_claimed < last):
        tracker.try_claim(last)


class ReadPartitionFn(beam.DoFn, RestrictionProvider):  # type: ignore[misc]
    """The splittable DoFn: see the module docstring.  It is its own restriction provider
    (``RestrictionParam()`` without argument), so the provider shares the DoFn's config."""

    def __init__(self, config: KafkaReadConfig) -> None:
        self._config = config

    # -- restriction provider -------------------------------------------------------------------

    def initial_restriction(self, element: KafkaPartition) -> OffsetRange:
        config = self._config
        reader = config.reader_factory(config, element)
        try:
            beginning, end = reader.beginning_offset(), reader.end_offset()
            start: int | None = None
            if config.start_from == "committed":
                start = reader.committed(config.group_id)
        finally:
            reader.close()
        if config.start_from == "latest":
            start = end
        if start is None:
            start = beginning
        stop = end if config.bounded else UNBOUNDED_END
        return OffsetRange(start, max(start, stop))

    def create_tracker(self, restriction: OffsetRange) -> _PartitionTracker:
        return _PartitionTracker(restriction)

    def restriction_size(self, element: KafkaPartition, restriction: OffsetRange) -> int:
        # The size only steers runner-side splitting, which this source refuses anyway; an
        # unbounded range reports a small constant instead of 2**63.
        return int(restriction.size()) if restriction.stop < UNBOUNDED_END else 1

    def split(self, element: KafkaPartition, restriction: OffsetRange) -> Iterator[OffsetRange]:
        yield restriction

    def truncate(self, element: KafkaPartition, restriction: OffsetRange) -> OffsetRange | None:
        # Draining: a bounded range is finished, an unbounded one stops (offsets stay
        # uncommitted and are read by the next job).
        return restriction if restriction.stop < UNBOUNDED_END else None

    # -- DoFn -----------------------------------------------------------------------------------

    def setup(self) -> None:
        self._readers: dict[KafkaPartition, PartitionSource] = {}
        self._bundle_has_records = False
        self._bundle_began = 0.0  # monotonic time of the bundle's first read
        self._hold_until = 0.0

    def start_bundle(self) -> None:
        # A busy stream (the last bundle carried records) lingers: records arriving meanwhile
        # join this bundle, so each bundle — one bulk request, one match, one commit — carries
        # more of them.  A quiet stream is read at once.
        linger = self._config.bundle_linger_ms / 1000
        busy = self._bundle_has_records
        self._hold_until = self._bundle_began + linger if busy and linger > 0 else 0.0
        self._bundle_began = 0.0  # set by the bundle's first read
        self._bundle_has_records = False

    def teardown(self) -> None:
        for reader in getattr(self, "_readers", {}).values():
            reader.close()
        self._readers = {}

    def _reader(self, element: KafkaPartition) -> PartitionSource:
        reader = self._readers.get(element)
        if reader is None:
            reader = self._config.reader_factory(self._config, element)
            self._readers[element] = reader
        return reader

    def _release(self, element: KafkaPartition) -> None:
        """The partition went to another member: close its reader, forget its lag."""
        reader = self._readers.pop(element, None)
        if reader is not None:
            reader.close()
        with contextlib.suppress(KeyError):  # no lag was recorded yet
            metrics.CONSUMER_LAG.remove(element.topic, str(element.partition))

    def process(
        self,
        element: KafkaPartition,
        tracker: Any = _RESTRICTION,
        watermark: Any = _WATERMARK,
    ) -> Iterator[Any]:
        # The body lives in a helper: Beam warns about generators in ``process`` that also use
        # ``return`` (apache/beam#22969), and early returns are the clearest way to end a call.
        yield from self._read_once(element, tracker, watermark)

    def _read_once(self, element: KafkaPartition, tracker: Any, watermark: Any) -> Iterator[Any]:
        restriction = tracker.current_restriction()
        position = restriction.start
        turn = self._config.turn(element.topic, element.partition)
        if turn is Turn.END:
            self._release(element)
        if lifecycle.stop_requested() or turn is Turn.END or position >= restriction.stop:
            _claim_rest(tracker)
            return
        if turn is Turn.WAIT:
            # A rebalance is settling and the partition may go to another member: read
            # nothing, keep the position, look again (the sleep paces the embedded runner).
            time.sleep(self._config.poll_timeout_ms / 1000)
            tracker.defer_remainder(Duration(micros=self._config.poll_timeout_ms * 1000))
            return
        reader = self._reader(element)
        if not self._bundle_began:
            hold = self._hold_until - time.monotonic()
            if hold > 0:
                time.sleep(hold)
            self._bundle_began = time.monotonic()
        # Records already read in this bundle are waiting to be stored: another partition's
        # read takes what it has and does not wait for more.
        wait_ms = 0 if self._bundle_has_records else self._config.poll_timeout_ms
        messages = reader.read(position, wait_ms)
        self._bundle_has_records = self._bundle_has_records or bool(messages)
        counter = metrics.RECORDS_IN.labels(element.topic)
        last_claimed: int | None = None
        for message in messages:
            if not tracker.try_claim(message.offset):
                return  # past the bounded end
            last_claimed = message.offset
            counter.inc()
            timestamp = Timestamp(micros=message.timestamp_ms * 1000)
            _advance(watermark, timestamp)
            yield TimestampedValue(message, timestamp)
        lag = reader.lag()
        if lag is not None:
            metrics.CONSUMER_LAG.labels(element.topic, str(element.partition)).set(lag)
        if self._config.bounded and reader.position() >= restriction.stop:
            _claim_rest(tracker, last_claimed)
            return
        if not messages and lag == 0:
            _advance(watermark, Timestamp.now() - IDLE_WATERMARK_LAG)
        tracker.defer_remainder(Duration(micros=self._config.poll_timeout_ms * 1000))


def _advance(watermark: Any, timestamp: Timestamp) -> None:
    current = watermark.current_watermark()
    if current is None or timestamp > current:
        watermark.set_watermark(timestamp)


class ReadFromKafka(beam.PTransform):  # type: ignore[misc]
    """``PBegin -> PCollection[KafkaMessage]`` for every partition of ``topic``."""

    def __init__(self, config: KafkaReadConfig, topic: str, label: str | None = None) -> None:
        super().__init__(label)
        self._config = config
        self._topic = topic

    def expand(self, pbegin: Any) -> Any:
        return (
            pbegin
            | "Impulse" >> beam.Impulse()
            | "DiscoverPartitions" >> beam.ParDo(_DiscoverPartitionsFn(self._config, self._topic))
            | "ReadPartitions" >> beam.ParDo(ReadPartitionFn(self._config))
        )
