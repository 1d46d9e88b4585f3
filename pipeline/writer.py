"""Store processed records: bulk-index their documents, dead-letter what cannot be stored, run the
post-index hooks, and tell the caller which offsets may now be committed.  No Beam here: the
sink DoFn is a thin wrapper that calls ``add``/``due``/``flush``.

Order inside ``flush`` is the acknowledgement contract (DESIGN.md): documents acknowledged by
Elasticsearch, dead letters acknowledged by Kafka, hooks (alerting) returned without raising —
only then are the records' offsets returned for committing.  Any exception leaves the offsets
uncommitted, so the records are read again and, thanks to deterministic ids, stored once.

A hook may also have ``prepare(documents) -> hook``: the part of its work that needs only the
documents, not their storage (the alert hook matches them against the subscriptions).  The
writer calls it in a second thread while the bulk request runs, and then the hook it returned
instead of the hook itself, with the statements that were stored, so the two round trips
overlap.  If ``prepare`` fails, the hook itself runs, as without it.

Hooks follow the poison policy (``parley.poison``): an infrastructure error is retried until it
goes away (or shutdown); any other error is retried ``hook_attempts`` times, then the batch is
handed to the hook one statement at a time, and the statements it still fails on go to the
dead-letter topic (``hook_failed``), so that one statement cannot hold the stream.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from parley.deadletter import DeadLetter
from parley.logs import get_logger
from parley.poison import describe, is_transient
from pipeline import metrics
from pipeline.processing import WORKER, ProcessedRecord
from sinks.elasticsearch.bulk import (
    BulkAction,
    BulkIndexer,
    BulkReport,
    BulkUnavailableError,
    Outcome,
    RetryPolicy,
)

log = get_logger(__name__)

#: Called with the statement documents just stored (created now or already there), before the
#: offsets are committed.  Must be idempotent and raise on failure: an infrastructure error
#: (``parley.poison``: Kafka, Elasticsearch, network, ``TransientError``) is retried for as long
#: as it lasts; any other error ``hook_attempts`` times, then statement by statement.
PostIndexHook = Callable[[Sequence[Mapping[str, Any]]], None]


#: A hook's optional ``prepare`` (module docstring).
PrepareHook = Callable[[Sequence[Mapping[str, Any]]], PostIndexHook]


def _prepare_of(hook: PostIndexHook) -> PrepareHook | None:
    prepare = getattr(hook, "prepare", None)
    return prepare if callable(prepare) else None


class HookRejectedError(Exception):
    """A hook kept failing on this input with an error that is not an infrastructure error."""


class DeadLetterSink(Protocol):
    def send(self, letters: Iterable[DeadLetter]) -> int: ...


@dataclass(frozen=True)
class BatchLimits:
    max_documents: int = 1000
    max_bytes: int = 8 * 1024 * 1024
    max_seconds: float = 1.0


@dataclass
class FlushResult:
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)  # next offset to read
    records: int = 0
    created: int = 0
    existing: int = 0
    failed: int = 0
    dead_letters: int = 0


def _approx_size(source: Mapping[str, Any]) -> int:
    # Cheap estimate for the byte threshold (the indexer measures the exact request size):
    # long strings (the article text) dominate a document.
    return 256 + sum(len(v) for v in source.values() if isinstance(v, str))


class BatchWriter:
    def __init__(
        self,
        indexer: BulkIndexer,
        index_name: Callable[[str], str],
        dead_letters: DeadLetterSink,
        hooks: Sequence[PostIndexHook] = (),
        *,
        limits: BatchLimits | None = None,
        hook_retry: RetryPolicy | None = None,
        hook_attempts: int = 3,
        should_abort: Callable[[], bool] = lambda: False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._indexer = indexer
        self._index_name = index_name
        self._dead_letters = dead_letters
        self._hooks = list(hooks)
        self._limits = limits or BatchLimits()
        self._hook_retry = hook_retry or RetryPolicy()
        self._hook_attempts = max(1, hook_attempts)
        self._should_abort = should_abort
        self._clock = clock
        self._sleep = sleep
        self._preparing: ThreadPoolExecutor | None = None
        self._pending: list[ProcessedRecord] = []
        self._documents = 0
        self._bytes = 0
        self._since: float | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        if self._preparing is not None:
            self._preparing.shutdown(wait=True)
            self._preparing = None

    def add(self, record: ProcessedRecord) -> None:
        if self._since is None:
            self._since = self._clock()
        self._pending.append(record)
        self._documents += len(record.documents)
        self._bytes += sum(_approx_size(d.source) for d in record.documents)

    def due(self) -> bool:
        return bool(self._pending) and (
            self._documents >= self._limits.max_documents
            or self._bytes >= self._limits.max_bytes
            or (self._since is not None and self._clock() - self._since >= self._limits.max_seconds)
        )

    def flush(self) -> FlushResult:
        records, self._pending = self._pending, []
        self._documents, self._bytes, self._since = 0, 0, None
        result = FlushResult(records=len(records))
        if not records:
            return result

        actions: list[BulkAction] = []
        owners: list[ProcessedRecord] = []
        for record in records:
            for doc in record.documents:
                actions.append(BulkAction(self._index_name(doc.index), doc.id, doc.source))
                owners.append(record)
        prepared = self._prepare_hooks(
            [doc.source for r in records for doc in r.documents if doc.index == "statements"]
        )
        report = self._indexer.write(actions) if actions else BulkReport()
        metrics.BULK_REQUESTS.inc(report.requests)

        letters = [dl for record in records for dl in record.dead_letters]
        stored_statements: list[tuple[Mapping[str, Any], ProcessedRecord]] = []
        for item, owner in zip(report.items, owners, strict=True):
            logical = (
                "statements"
                if item.action.index == self._index_name("statements")
                else ("articles")
            )
            metrics.DOCUMENTS.labels(logical, item.outcome.value).inc()
            if item.outcome is Outcome.FAILED:
                result.failed += 1
                metrics.BULK_ERRORS.inc()
                letters.append(self._rejected(item.action, item.status, item.error, owner))
            else:
                if item.outcome is Outcome.CREATED:
                    result.created += 1
                else:
                    result.existing += 1
                if logical == "statements":
                    stored_statements.append((item.action.source, owner))

        self._send_dead_letters(letters)
        result.dead_letters = len(letters)

        if stored_statements:
            hook_letters = self._run_hooks(stored_statements, prepared)
            self._send_dead_letters(hook_letters)
            result.dead_letters += len(hook_letters)

        now_ms = time.time() * 1000
        for record in records:
            key = (record.position.topic, record.position.partition)
            result.offsets[key] = max(result.offsets.get(key, 0), record.position.offset + 1)
            if record.timestamp_ms > 0:
                metrics.PRODUCE_TO_STORED.observe(max(0.0, now_ms - record.timestamp_ms) / 1000)
        return result

    def _rejected(
        self, action: BulkAction, status: int, error: str | None, owner: ProcessedRecord
    ) -> DeadLetter:
        return _document_letter(
            owner,
            action.source,
            "index_rejected",
            f"HTTP {status}: {error}",
            context={"index": action.index, "id": action.id},
        )

    def _send_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        self._dead_letters.send(letters)
        for dl in letters:
            metrics.DEAD_LETTERS.labels(dl.reason).inc()

    def _prepare_hooks(
        self, statements: Sequence[Mapping[str, Any]]
    ) -> dict[int, Future[PostIndexHook]]:
        """Start each hook's ``prepare`` (module docstring) while the bulk request runs."""
        started: dict[int, Future[PostIndexHook]] = {}
        if not statements:
            return started
        for position, hook in enumerate(self._hooks):
            prepare = _prepare_of(hook)
            if prepare is None:
                continue
            if self._preparing is None:
                self._preparing = ThreadPoolExecutor(1, thread_name_prefix="hook-prepare")
            started[position] = self._preparing.submit(prepare, statements)
        return started

    @staticmethod
    def _prepared(hook: PostIndexHook, prepared: Future[PostIndexHook] | None) -> PostIndexHook:
        if prepared is None:
            return hook
        try:
            return prepared.result()
        except Exception as exc:  # noqa: BLE001 - the hook itself does it all, with its retries
            log.info("post-index hook could not prepare; running it in full", error=describe(exc))
            return hook

    def _run_hooks(
        self,
        statements: Sequence[tuple[Mapping[str, Any], ProcessedRecord]],
        prepared: Mapping[int, Future[PostIndexHook]] | None = None,
    ) -> list[DeadLetter]:
        """Run every hook over the stored statements; returns dead letters for the statements
        a hook failed on for good (see the module docstring)."""
        letters: list[DeadLetter] = []
        documents = [doc for doc, _ in statements]
        for position, hook in enumerate(self._hooks):
            ready = self._prepared(hook, (prepared or {}).get(position))
            try:
                self._call_hook(ready, documents)
                continue
            except HookRejectedError as exc:
                log.error(
                    "post_index_hook_rejected_batch", error=str(exc), statements=len(documents)
                )
            for doc, owner in statements:  # isolate the statements it cannot take
                try:
                    self._call_hook(hook, [doc])
                except HookRejectedError as exc:
                    letters.append(self._hook_failed(doc, owner, exc))
        return letters

    def _call_hook(self, hook: PostIndexHook, documents: Sequence[Mapping[str, Any]]) -> None:
        delays = self._hook_retry.delays()
        failures = 0
        while True:
            try:
                hook(documents)
                return
            except Exception as exc:  # a hook failure must delay the commit, not lose it
                metrics.HOOK_FAILURES.inc()
                if self._should_abort():
                    raise BulkUnavailableError(f"post-index hook kept failing: {exc}") from exc
                if not is_transient(exc):
                    failures += 1
                    if failures >= self._hook_attempts:
                        raise HookRejectedError(describe(exc)) from exc
                log.warning("post-index hook failed; retrying", error=describe(exc))
                self._sleep(next(delays))

    def _hook_failed(
        self, doc: Mapping[str, Any], owner: ProcessedRecord, error: HookRejectedError
    ) -> DeadLetter:
        return _document_letter(
            owner,
            doc,
            "hook_failed",
            f"post-index hook failed {self._hook_attempts} times: {error}",
            attempts=self._hook_attempts,
            context={"statement_id": doc.get("statement_id")},
        )


def _document_letter(
    owner: ProcessedRecord, doc: Mapping[str, Any], reason: str, error: str, **fields: Any
) -> DeadLetter:
    """The dead letter of a document built from ``owner``'s record; the payload is the document
    as JSON, escaped, so that it is valid UTF-8 whatever the document holds."""
    return DeadLetter.from_error(
        worker=WORKER,
        reason=reason,
        error=error,
        payload=json.dumps(doc, default=str).encode("utf-8"),
        source_topic=owner.position.topic,
        source_partition=owner.position.partition,
        source_offset=owner.position.offset,
        **fields,
    )
