"""Bulk writes with deterministic ids, retries and a per-document verdict.

``BulkIndexer.write(actions)`` sends the actions in requests bounded by count and bytes and
returns one ``ItemResult`` per action, in order.  What can fail, and what happens then::

    whole request fails:  connection error, timeout, HTTP 429, HTTP 5xx
        -> the request is retried with capped exponential backoff (forever by default, or until
           ``RetryPolicy.deadline`` / ``should_abort``), raising ``BulkUnavailableError`` at the end
    whole request fails:  HTTP 413 (body too large for the node)
        -> the batch is halved and each half is sent on its own
    one document fails:   item status 429 or 5xx (shard busy, node restarting)
        -> only those documents are retried, same backoff
    one document fails:   any other 4xx (mapping conflict, document too large, ...)
        -> ``Outcome.FAILED`` with the error; the caller decides (the pipeline dead-letters it)
    one document cannot be encoded as JSON (a lone surrogate, an unserialisable value)
        -> ``Outcome.FAILED`` (status 0) without sending it; the others go ahead
    one document exists:  item status 409 with ``op_type="create"``
        -> ``Outcome.EXISTS``: the deterministic id says it is the same document, already stored

Why ``create`` is the default: every id is derived from the content it names (article id =
hash of the canonical URL, statement id = article id + quote span), so a document that already
exists under its id *is* the document we are writing.  Replaying a topic then writes nothing at
all (no new versions, no segment churn), keeps the first ``indexed_at`` (what latency and alert
timing rely on), and the 201-versus-409 verdict counts exactly how many documents were new.
``op_type="index"`` is available where a later version must win.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from elasticsearch import ApiError, Elasticsearch, TransportError

from sinks.elasticsearch.client import dumps

OpType = Literal["create", "index"]


class BulkUnavailableError(RuntimeError):
    """Elasticsearch did not accept the batch before the retry deadline or an abort request."""


class Outcome(StrEnum):
    CREATED = "created"  # new document
    UPDATED = "updated"  # op_type=index over an existing id
    EXISTS = "exists"  # op_type=create and the id is already stored (409)
    FAILED = "failed"  # rejected for good (4xx other than 409)

    @property
    def stored(self) -> bool:
        return self is not Outcome.FAILED


@dataclass(frozen=True)
class BulkAction:
    index: str
    id: str
    source: Mapping[str, Any]


@dataclass(frozen=True)
class ItemResult:
    action: BulkAction
    outcome: Outcome
    status: int
    error: str | None = None


@dataclass
class BulkReport:
    items: list[ItemResult] = field(default_factory=list)
    requests: int = 0
    retries: int = 0

    @property
    def failed(self) -> list[ItemResult]:
        return [i for i in self.items if i.outcome is Outcome.FAILED]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for i in self.items if i.outcome is outcome)


@dataclass(frozen=True)
class RetryPolicy:
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    # Seconds from the first failure of a request until we give up; None waits for Elasticsearch
    # forever, which is what a streaming job wants: it applies backpressure instead of losing work.
    deadline: float | None = None

    def delays(self) -> Iterator[float]:
        delay = self.initial_backoff
        while True:
            # Full jitter keeps several writers from hammering a recovering node in lockstep.
            yield random.uniform(delay / 2, delay)
            delay = min(delay * 2, self.max_backoff)


def _is_retriable_status(status: int) -> bool:
    return status == 429 or status >= 500


class BulkIndexer:
    """Writes ``BulkAction``s through the ``_bulk`` API; see the module docstring for semantics."""

    def __init__(
        self,
        client: Elasticsearch,
        *,
        op_type: OpType = "create",
        max_actions: int = 1000,
        max_bytes: int = 8 * 1024 * 1024,
        retry: RetryPolicy | None = None,
        refresh: bool | Literal["wait_for"] = False,
        should_abort: Callable[[], bool] | None = None,
        on_retry: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_actions < 1 or max_bytes < 1:
            raise ValueError("max_actions and max_bytes must be positive")
        self._client = client
        self._op_type = op_type
        self._max_actions = max_actions
        self._max_bytes = max_bytes
        self._retry = retry or RetryPolicy()
        self._refresh = refresh
        self._should_abort = should_abort or (lambda: False)
        self._on_retry = on_retry or (lambda reason: None)
        self._sleep = sleep

    # -- public API -----------------------------------------------------------------------------

    def write(self, actions: Sequence[BulkAction]) -> BulkReport:
        report = BulkReport()
        results: dict[int, ItemResult] = {}
        encoded: list[tuple[int, bytes]] = []
        for i, action in enumerate(actions):
            try:
                encoded.append((i, self._encode(action)))
            except (TypeError, ValueError) as exc:  # one document's content, not the batch's
                results[i] = ItemResult(action, Outcome.FAILED, 0, f"not encodable as JSON: {exc}")
        for chunk in self._chunks(encoded):
            self._write_chunk(actions, chunk, results, report)
        report.items = [results[i] for i in range(len(actions))]
        return report

    # -- internals ------------------------------------------------------------------------------

    def _encode(self, action: BulkAction) -> bytes:
        meta = {self._op_type: {"_index": action.index, "_id": action.id}}
        return dumps(meta) + b"\n" + dumps(action.source) + b"\n"

    def _chunks(self, encoded: list[tuple[int, bytes]]) -> Iterator[list[tuple[int, bytes]]]:
        chunk: list[tuple[int, bytes]] = []
        size = 0
        for item in encoded:
            if chunk and (len(chunk) >= self._max_actions or size + len(item[1]) > self._max_bytes):
                yield chunk
                chunk, size = [], 0
            chunk.append(item)
            size += len(item[1])
        if chunk:
            yield chunk

    def _write_chunk(
        self,
        actions: Sequence[BulkAction],
        chunk: list[tuple[int, bytes]],
        results: dict[int, ItemResult],
        report: BulkReport,
    ) -> None:
        pending = chunk
        delays = self._retry.delays()
        started = time.monotonic()
        while pending:
            try:
                report.requests += 1
                # Pre-serialised NDJSON: each document is encoded once, and the byte limit above
                # is the exact request size.
                response = self._client.bulk(
                    operations=b"".join(body for _, body in pending),  # type: ignore[arg-type]
                    refresh=self._refresh,
                )
            except ApiError as exc:
                if exc.status_code == 413 and len(pending) > 1:
                    half = len(pending) // 2
                    self._write_chunk(actions, pending[:half], results, report)
                    self._write_chunk(actions, pending[half:], results, report)
                    return
                if not _is_retriable_status(exc.status_code):
                    for i, _ in pending:
                        results[i] = ItemResult(
                            actions[i], Outcome.FAILED, exc.status_code, _error_text(exc.body)
                        )
                    return
                self._backoff(f"http_{exc.status_code}", delays, started, report)
                continue
            except TransportError as exc:  # connection refused/reset, timeouts
                self._backoff(type(exc).__name__, delays, started, report)
                continue

            retry: list[tuple[int, bytes]] = []
            for (i, body), item in zip(pending, response["items"], strict=True):
                ((_, info),) = item.items()
                status = int(info.get("status", 500))
                if 200 <= status < 300:
                    outcome = (
                        Outcome.CREATED if info.get("result") == "created" else Outcome.UPDATED
                    )
                    results[i] = ItemResult(actions[i], outcome, status)
                elif status == 409 and self._op_type == "create":
                    results[i] = ItemResult(actions[i], Outcome.EXISTS, status)
                elif _is_retriable_status(status):
                    retry.append((i, body))
                else:
                    results[i] = ItemResult(
                        actions[i], Outcome.FAILED, status, _error_text(info.get("error"))
                    )
            pending = retry
            if pending:
                self._backoff("item_retry", delays, started, report)

    def _backoff(
        self, reason: str, delays: Iterator[float], started: float, report: BulkReport
    ) -> None:
        if self._should_abort():
            raise BulkUnavailableError(f"aborted while Elasticsearch was failing ({reason})")
        deadline = self._retry.deadline
        if deadline is not None and time.monotonic() - started > deadline:
            raise BulkUnavailableError(
                f"Elasticsearch still failing after {deadline:.0f}s ({reason})"
            )
        report.retries += 1
        self._on_retry(reason)
        self._sleep(next(delays))


def _error_text(error: Any) -> str:
    if isinstance(error, Mapping):
        kind = error.get("type", "error")
        reason = error.get("reason", "")
        caused = error.get("caused_by")
        text = f"{kind}: {reason}"
        if isinstance(caused, Mapping):
            text += f" (caused by {caused.get('type')}: {caused.get('reason')})"
        return text[:2000]
    return str(error)[:2000]
