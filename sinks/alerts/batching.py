"""Coalesce many concurrent single-item Elasticsearch calls into bulk calls.

The dispatcher handles each alert in its own task (a slow receiver must not hold up the others),
but one ``get`` and one ``index`` per alert would cost two round trips each.  Instead
``await coalescer.call(key, value)`` queues the item; a flush sends everything queued in one bulk
call.  At most ``max_concurrent`` flushes run at once, so under load the queue grows while they
run and the next flush carries more items (bigger batches exactly when round trips are scarce),
while a lone item still goes out at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")

# Results per key: a value, or the exception for that key alone.
BulkFn = Callable[[dict[K, V]], Awaitable[Mapping[K, R | BaseException]]]


class Coalescer(Generic[K, V, R]):
    def __init__(
        self, bulk: BulkFn[K, V, R], *, max_batch: int = 1000, max_concurrent: int = 2
    ) -> None:
        self._bulk = bulk
        self._max_batch = max_batch
        self._max_concurrent = max_concurrent
        self._queued: dict[K, tuple[V, list[asyncio.Future[R]]]] = {}
        self._running = 0
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references

    async def call(self, key: K, value: V) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        if key in self._queued:  # the same key twice in one batch: the last value wins
            self._queued[key] = (value, [*self._queued[key][1], future])
        else:
            self._queued[key] = (value, [future])
        if not self._scheduled:
            # After the tasks already scheduled in this loop turn (one Kafka poll's records)
            # had their chance to queue their items too.
            self._scheduled = True
            loop.call_soon(self._maybe_flush)
        return await future

    def _maybe_flush(self) -> None:
        self._scheduled = False
        loop = asyncio.get_running_loop()
        while self._queued and self._running < self._max_concurrent:
            keys = list(self._queued)[: self._max_batch]
            batch = {k: self._queued.pop(k) for k in keys}
            self._running += 1
            task = loop.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: dict[K, tuple[V, list[asyncio.Future[R]]]]) -> None:
        try:
            results = await self._bulk({k: v for k, (v, _) in batch.items()})
        except Exception as exc:  # noqa: BLE001 - not swallowed: every waiter gets it
            for _, futures in batch.values():
                for f in futures:
                    if not f.done():
                        f.set_exception(exc)
            return
        finally:
            self._running -= 1
            self._maybe_flush()
        for key, (_, futures) in batch.items():
            result = results.get(key, KeyError(key))
            for f in futures:
                if f.done():
                    continue
                if isinstance(result, BaseException):
                    f.set_exception(result)
                else:
                    f.set_result(result)
