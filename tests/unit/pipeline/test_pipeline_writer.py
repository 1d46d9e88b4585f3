"""BatchWriter: what must be true before offsets are handed out for committing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest
from elasticsearch import ConnectionError
from support.bulk_fakes import ScriptedBulkClient

from parley.deadletter import DeadLetter
from parley.poison import TransientError
from pipeline.documents import IndexDocument
from pipeline.processing import ProcessedRecord, SourcePosition
from pipeline.writer import BatchLimits, BatchWriter
from sinks.elasticsearch.bulk import BulkIndexer, RetryPolicy

FAST = RetryPolicy(initial_backoff=0.001, max_backoff=0.001)


class Letters:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[DeadLetter] = []
        self.fail = fail

    def send(self, letters: Iterable[DeadLetter]) -> int:
        if self.fail:
            raise RuntimeError("kafka down")
        batch = list(letters)
        self.sent.extend(batch)
        return len(batch)


def rec(
    partition: int, offset: int, n_statements: int = 1, poison: bool = False
) -> ProcessedRecord:
    pos = SourcePosition("t", partition, offset)
    if poison:
        dl = DeadLetter.from_error(worker="pipeline", reason="invalid_json", error="x")
        return ProcessedRecord(pos, (), (dl,), 0)
    aid = f"a{partition}-{offset}"
    docs = [IndexDocument("articles", aid, {"article_id": aid})]
    docs += [
        IndexDocument("statements", f"{aid}-{i}", {"statement_id": f"{aid}-{i}", "cluster_id": "c"})
        for i in range(n_statements)
    ]
    return ProcessedRecord(pos, tuple(docs), (), 0)


def writer(
    client: ScriptedBulkClient, letters: Letters, hooks: Sequence[Any] = (), **kw: Any
) -> BatchWriter:
    indexer = BulkIndexer(client, retry=FAST, sleep=lambda s: None)  # type: ignore[arg-type]
    return BatchWriter(
        indexer,
        lambda name: f"p-{name}",
        letters,
        hooks,
        hook_retry=FAST,
        sleep=lambda s: None,
        **kw,
    )


def test_flush_returns_next_offsets_per_partition_and_runs_hooks() -> None:
    seen: list[list[str]] = []
    client = ScriptedBulkClient(lambda req: [201, 409, 201, 201, 201, 201])
    letters = Letters()
    w = writer(client, letters, [lambda docs: seen.append([d["statement_id"] for d in docs])])
    for r in (rec(0, 5), rec(1, 9, 2), rec(0, 6, 0), rec(1, 10, poison=True)):
        w.add(r)
    result = w.flush()
    assert result.offsets == {("t", 0): 7, ("t", 1): 11}
    assert (result.created, result.existing, result.failed, result.dead_letters) == (5, 1, 0, 1)
    # Statements created now and those already stored (409) both reach the hook.
    assert seen == [["a0-5-0", "a1-9-0", "a1-9-1"]]
    assert [dl.reason for dl in letters.sent] == ["invalid_json"]
    assert {m["create"]["_index"] for m, _ in client.requests[0]} == {"p-articles", "p-statements"}
    assert len(w) == 0 and w.flush().offsets == {}


def test_rejected_documents_are_dead_lettered_with_their_source() -> None:
    client = ScriptedBulkClient(lambda req: [201, 400])
    letters = Letters()
    w = writer(client, letters)
    w.add(rec(3, 42))
    result = w.flush()
    assert result.offsets == {("t", 3): 43}
    (dl,) = letters.sent
    assert dl.reason == "index_rejected"
    assert (dl.source_partition, dl.source_offset) == (3, 42)
    assert dl.context == {"index": "p-statements", "id": "a3-42-0"}
    assert b"a3-42-0" in (dl.payload() or b"")


def test_dead_letter_failure_gives_no_offsets() -> None:
    w = writer(ScriptedBulkClient(), Letters(fail=True))
    w.add(rec(0, 1, poison=True))
    with pytest.raises(RuntimeError, match="kafka down"):
        w.flush()


def test_failing_hook_is_retried_before_offsets_are_released() -> None:
    calls: list[int] = []

    def flaky(docs: Sequence[Mapping[str, Any]]) -> None:
        calls.append(len(docs))
        if len(calls) < 6:  # an infrastructure error: retried for as long as it lasts
            raise TransientError("alerts index busy")

    letters = Letters()
    w = writer(ScriptedBulkClient(), letters, [flaky])
    w.add(rec(0, 0))
    assert w.flush().offsets == {("t", 0): 1}
    assert calls == [1] * 6
    assert letters.sent == []


def test_a_statement_a_hook_cannot_take_is_dead_lettered_and_the_rest_go_on() -> None:
    seen: list[str] = []

    def picky(docs: Sequence[Mapping[str, Any]]) -> None:
        if any(d["statement_id"] == "a1-9-1" for d in docs):
            raise ValueError("cannot render this statement")
        seen.extend(d["statement_id"] for d in docs)

    letters = Letters()
    w = writer(ScriptedBulkClient(), letters, [picky])
    w.add(rec(0, 5))
    w.add(rec(1, 9, 2))
    result = w.flush()
    assert result.offsets == {("t", 0): 6, ("t", 1): 10}
    assert sorted(seen) == ["a0-5-0", "a1-9-0"]
    (dl,) = letters.sent
    assert dl.reason == "hook_failed" and "cannot render" in dl.detail
    assert (dl.source_partition, dl.source_offset) == (1, 9)
    assert dl.context == {"statement_id": "a1-9-1"}
    assert result.dead_letters == 1


def test_elasticsearch_outage_is_waited_out() -> None:
    client = ScriptedBulkClient(ConnectionError("refused"), ConnectionError("refused"))
    w = writer(client, Letters())
    w.add(rec(0, 0))
    assert w.flush().created == 2
    assert len(client.requests) == 3


def test_due_by_count_bytes_and_age() -> None:
    now = [0.0]
    w = writer(
        ScriptedBulkClient(),
        Letters(),
        limits=BatchLimits(max_documents=4, max_bytes=10_000, max_seconds=2.0),
        clock=lambda: now[0],
    )
    assert not w.due()
    w.add(rec(0, 0))  # 2 documents
    assert not w.due()
    w.add(rec(0, 1))
    assert w.due()  # 4 documents
    w.flush()
    w.add(rec(0, 2))
    now[0] = 2.5
    assert w.due()  # age
    w.flush()
    big = ProcessedRecord(
        SourcePosition("t", 0, 3), (IndexDocument("articles", "a", {"text": "x" * 20_000}),)
    )
    w.add(big)
    assert w.due()  # bytes


def test_a_document_that_cannot_be_encoded_is_dead_lettered_and_its_batch_stored() -> None:
    client = ScriptedBulkClient()
    letters = Letters()
    w = writer(client, letters)
    bad = ProcessedRecord(
        SourcePosition("t", 0, 7),
        (IndexDocument("statements", "s-bad", {"statement_id": "s-bad", "text": "a\ud800b"}),),
    )
    w.add(rec(0, 6))
    w.add(bad)
    result = w.flush()
    assert result.offsets == {("t", 0): 8}
    assert (result.created, result.failed) == (2, 1)
    (dl,) = letters.sent
    assert dl.reason == "index_rejected" and "not encodable" in dl.detail
    assert dl.source_offset == 7 and b"s-bad" in (dl.payload() or b"")


class PreparingHook:
    """A hook with ``prepare``: what it was prepared with, and what it finished with."""

    def __init__(self, fail_prepare: bool = False) -> None:
        self.fail_prepare = fail_prepare
        self.prepared: list[list[str]] = []
        self.finished: list[list[str]] = []
        self.called: list[list[str]] = []

    def prepare(self, docs: Sequence[Mapping[str, Any]]) -> Any:
        self.prepared.append([d["statement_id"] for d in docs])
        if self.fail_prepare:
            raise ConnectionError("elasticsearch away while preparing")
        return lambda stored: self.finished.append([d["statement_id"] for d in stored])

    def __call__(self, docs: Sequence[Mapping[str, Any]]) -> None:
        self.called.append([d["statement_id"] for d in docs])


def test_a_hook_is_prepared_with_the_batch_and_finished_with_what_was_stored() -> None:
    # a0-5 (the article and two statements), a1-9 (article, one statement); the second
    # statement of a0-5 is rejected by Elasticsearch.
    client = ScriptedBulkClient(lambda req: [201, 201, 400, 201, 201])
    hook = PreparingHook()
    w = writer(client, Letters(), [hook])
    w.add(rec(0, 5, 2))
    w.add(rec(1, 9))
    result = w.flush()
    assert result.offsets == {("t", 0): 6, ("t", 1): 10} and result.failed == 1
    assert hook.prepared == [["a0-5-0", "a0-5-1", "a1-9-0"]]
    assert hook.finished == [["a0-5-0", "a1-9-0"]] and hook.called == []
    w.close()


def test_a_hook_that_cannot_prepare_runs_in_full() -> None:
    client = ScriptedBulkClient(lambda req: [201, 201])
    hook = PreparingHook(fail_prepare=True)
    w = writer(client, Letters(), [hook])
    w.add(rec(0, 1))
    assert w.flush().offsets == {("t", 0): 2}
    assert hook.prepared == [["a0-1-0"]] and hook.called == [["a0-1-0"]] and not hook.finished
    w.close()
