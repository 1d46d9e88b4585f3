"""In-memory stand-ins for the pipeline's unit tests (no services).

``MemoryLog`` is a Kafka partition log kept in this process: the source SDF reads it through
``KafkaReadConfig.reader_factory`` exactly as it reads Kafka through ``PartitionReader``.  The
fakes are module-level (pickled by reference) and the registry is process-global, which the
in-process FnApiRunner shares with the test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline import lifecycle
from pipeline.beam.source import KafkaPartition, KafkaReadConfig
from pipeline.group import Turn
from pipeline.processing import KafkaMessage


@dataclass
class MemoryLog:
    """One partition: records at explicit offsets (gaps allowed, like compaction leaves)."""

    records: dict[int, KafkaMessage] = field(default_factory=dict)
    committed: int | None = None
    # When every record has been read, request a clean stop (tests of the unbounded mode).
    stop_when_drained: bool = False
    # Called when a read finds nothing new (tests that change something mid-stream).
    on_drained: Callable[[], None] | None = None
    reads: int = 0
    waits_ms: list[int] = field(default_factory=list)  # the timeout each read was given
    read_at: list[float] = field(default_factory=list)  # time.monotonic() of each read

    def end(self) -> int:
        return max(self.records) + 1 if self.records else 0


_LOGS: dict[tuple[str, int], MemoryLog] = {}
_TURNS: dict[tuple[str, int], Turn] = {}
_LOCK = threading.Lock()


def add_partition(topic: str, partition: int, log: MemoryLog) -> None:
    with _LOCK:
        _LOGS[(topic, partition)] = log


def clear() -> None:
    with _LOCK:
        _LOGS.clear()
        _TURNS.clear()


def set_turn(topic: str, partition: int, turn: Turn) -> None:
    """What a consumer-group member would say about the partition (``KafkaReadConfig.turn``)."""
    with _LOCK:
        _TURNS[(topic, partition)] = turn


def memory_turn(topic: str, partition: int) -> Turn:
    with _LOCK:
        return _TURNS.get((topic, partition), Turn.READ)


def get_log(topic: str, partition: int) -> MemoryLog:
    return _LOGS[(topic, partition)]


def message(
    topic: str, partition: int, offset: int, value: bytes | None, ts_ms: int = 0
) -> KafkaMessage:
    return KafkaMessage(
        topic, partition, offset, f"k{offset}".encode(), value, ts_ms or 1_700_000_000_000 + offset
    )


class MemoryReader:
    def __init__(self, topic: str, partition: int, max_records: int) -> None:
        self.log = _LOGS[(topic, partition)]
        self.max_records = max_records
        self._position = 0

    def beginning_offset(self) -> int:
        return min(self.log.records) if self.log.records else 0

    def end_offset(self) -> int:
        return self.log.end()

    def committed(self, group_id: str) -> int | None:
        return self.log.committed

    def read(self, position: int, timeout_ms: int) -> list[KafkaMessage]:
        self.log.reads += 1
        self.log.waits_ms.append(timeout_ms)
        self.log.read_at.append(time.monotonic())
        offsets = sorted(o for o in self.log.records if o >= position)[: self.max_records]
        out = [self.log.records[o] for o in offsets]
        self._position = (out[-1].offset + 1) if out else max(position, self.log.end())
        if not out and self.log.on_drained is not None:
            self.log.on_drained()
        if not out and self.log.stop_when_drained:
            lifecycle.request_stop()
        return out

    def position(self) -> int:
        return self._position

    def lag(self) -> int | None:
        return max(0, self.log.end() - self._position)

    def close(self) -> None:
        pass


def memory_reader(config: KafkaReadConfig, partition: KafkaPartition) -> MemoryReader:
    return MemoryReader(partition.topic, partition.partition, config.max_poll_records)


def memory_partitions(config: KafkaReadConfig, topic: str) -> list[int]:
    return sorted(p for (t, p) in _LOGS if t == topic)


def memory_config(**kwargs: Any) -> KafkaReadConfig:
    defaults: dict[str, Any] = {
        "client_kwargs": {},
        "group_id": "g",
        "poll_timeout_ms": 1,
        "max_poll_records": 2,
        "reader_factory": memory_reader,
        "partition_lister": memory_partitions,
        "turn": memory_turn,
    }
    return KafkaReadConfig(**{**defaults, **kwargs})
