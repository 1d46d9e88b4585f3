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


class StallWatch:
    """Tells a consumer that has stopped fetching from one that has nothing to do.

    kafka-python 3.0 has been seen (rarely, under load) to keep a dispatcher's partitions
    assigned while never fetching from them again: records wait, none arrive, nothing is
    committed.  A dispatcher with records waiting on its partitions, none in flight, and none
    received for ``stall_after`` seconds is stalled; it ends so that the supervisor's restart
    joins afresh (nothing is lost: those records were never committed).
    """

    def __init__(self, stall_after: float, check_every: float, now: float) -> None:
        self.stall_after = stall_after
        self.check_every = check_every
        self._progress_at = now
        self._checked_at = now

    def received(self, now: float) -> None:
        self._progress_at = now

    def due(self, now: float) -> bool:
        return now - self._checked_at >= self.check_every

    def stalled(self, now: float, waiting: int, in_flight: int) -> bool:
        """``waiting``: records between the consumer's positions and the partitions' ends."""
        self._checked_at = now
        if waiting <= 0 or in_flight > 0:
            self._progress_at = now
            return False
        return now - self._progress_at >= self.stall_after
