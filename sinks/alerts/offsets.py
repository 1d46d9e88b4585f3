"""Which Kafka offsets may be committed while deliveries finish out of order.

The dispatcher delivers many alerts at once; a slow receiver must not hold back the others, but an
offset may only be committed once every record before it in its partition has its delivery state
stored.  ``OffsetTracker`` answers "how far is each partition done, contiguously".
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class OffsetTracker:
    def __init__(self) -> None:
        # partition → offset → done?  (insertion order = consumption order = offset order)
        self._pending: dict[Hashable, OrderedDict[int, bool]] = {}
        self._committable: dict[Hashable, int] = {}
        self._lock = threading.Lock()  # the consumer thread drops revoked partitions

    def add(self, partition: Hashable, offset: int) -> None:
        with self._lock:
            self._pending.setdefault(partition, OrderedDict())[offset] = False

    def done(self, partition: Hashable, offset: int) -> None:
        with self._lock:
            offsets = self._pending.get(partition)
            if offsets is None or offset not in offsets:
                return  # partition revoked meanwhile: its new owner re-reads the record
            offsets[offset] = True
            while offsets and offsets[next(iter(offsets))]:
                first, _ = offsets.popitem(last=False)
                self._committable[partition] = first + 1

    def take_committable(self) -> dict[Hashable, int]:
        """Offsets (next record to read) that became committable since the last call."""
        with self._lock:
            out, self._committable = self._committable, {}
            return out

    def restore(self, offsets: dict[Hashable, int]) -> None:
        """Put back offsets whose commit failed, unless newer ones arrived meanwhile."""
        with self._lock:
            for partition, offset in offsets.items():
                if self._committable.get(partition, -1) < offset:
                    self._committable[partition] = offset

    def forget(self, partitions: list[Hashable]) -> None:
        with self._lock:
            for partition in partitions:
                self._pending.pop(partition, None)
                self._committable.pop(partition, None)

    def in_flight(self) -> int:
        with self._lock:
            return sum(sum(1 for d in o.values() if not d) for o in self._pending.values())
