"""BulkIndexer semantics against a scripted stand-in for the client's ``bulk`` call.

The real node is exercised in tests/integration; here each failure mode is produced on demand
(429, 5xx, 413, connection refused, per-item errors), which a live node cannot do reliably.
"""

from __future__ import annotations

from typing import Any

import pytest
from elasticsearch import ConnectionError
from support.bulk_fakes import ScriptedBulkClient, api_error

from sinks.elasticsearch.bulk import (
    BulkAction,
    BulkIndexer,
    BulkUnavailableError,
    Outcome,
    RetryPolicy,
)


def actions(n: int, size: int = 10) -> list[BulkAction]:
    return [BulkAction("idx", f"id{i}", {"n": i, "text": "x" * size}) for i in range(n)]


def indexer(client: ScriptedBulkClient, **kwargs: Any) -> tuple[BulkIndexer, list[str]]:
    retries: list[str] = []
    kwargs.setdefault("retry", RetryPolicy(initial_backoff=0.001, max_backoff=0.002))
    return (
        BulkIndexer(client, sleep=lambda s: None, on_retry=retries.append, **kwargs),  # type: ignore[arg-type]
        retries,
    )


def test_create_with_deterministic_ids_and_409_counts_as_stored() -> None:
    client = ScriptedBulkClient(lambda req: [201, 409, 201])
    bulk, retries = indexer(client)
    report = bulk.write(actions(3))
    assert [i.outcome for i in report.items] == [Outcome.CREATED, Outcome.EXISTS, Outcome.CREATED]
    assert all(i.outcome.stored for i in report.items)
    assert [m["create"]["_id"] for m, _ in client.requests[0]] == ["id0", "id1", "id2"]
    assert retries == []


def test_op_type_index_reports_updates() -> None:
    client = ScriptedBulkClient(lambda req: [201, 200])
    bulk, _ = indexer(client, op_type="index")
    report = bulk.write(actions(2))
    assert [i.outcome for i in report.items] == [Outcome.CREATED, Outcome.UPDATED]
    assert "index" in client.requests[0][0][0]


@pytest.mark.parametrize(
    "failure", [api_error(429), api_error(503), ConnectionError("refused")], ids=str
)
def test_whole_request_failures_are_retried(failure: Exception) -> None:
    client = ScriptedBulkClient(failure, failure, lambda req: [201] * len(req))
    bulk, retries = indexer(client)
    report = bulk.write(actions(4))
    assert report.count(Outcome.CREATED) == 4
    assert len(client.requests) == 3
    assert len(retries) == 2 and report.retries == 2


def test_only_failed_items_are_retried_and_rejections_are_reported() -> None:
    client = ScriptedBulkClient(lambda req: [201, 429, 400, 503], lambda req: [201, 201])
    bulk, retries = indexer(client)
    report = bulk.write(actions(4))
    assert [i.outcome for i in report.items] == [
        Outcome.CREATED,
        Outcome.CREATED,
        Outcome.FAILED,
        Outcome.CREATED,
    ]
    assert [m["create"]["_id"] for m, _ in client.requests[1]] == ["id1", "id3"]
    assert report.failed[0].status == 400 and "e400" in (report.failed[0].error or "")
    assert retries == ["item_retry"]


def test_non_retriable_request_error_fails_the_documents() -> None:
    client = ScriptedBulkClient(api_error(400))
    bulk, _ = indexer(client)
    report = bulk.write(actions(2))
    assert [i.outcome for i in report.items] == [Outcome.FAILED, Outcome.FAILED]


def test_413_halves_the_batch() -> None:
    client = ScriptedBulkClient(api_error(413))
    bulk, _ = indexer(client)
    report = bulk.write(actions(4))
    assert report.count(Outcome.CREATED) == 4
    assert [len(r) for r in client.requests] == [4, 2, 2]


def test_batches_are_bounded_by_count_and_bytes() -> None:
    client = ScriptedBulkClient()
    bulk, _ = indexer(client, max_actions=3)
    bulk.write(actions(7))
    assert [len(r) for r in client.requests] == [3, 3, 1]

    client = ScriptedBulkClient()
    bulk, _ = indexer(client, max_bytes=2500)
    bulk.write(actions(5, size=1000))  # ~1.05 KB per action: two per request
    assert [len(r) for r in client.requests] == [2, 2, 1]


def test_abort_and_deadline_end_the_retries() -> None:
    client = ScriptedBulkClient(*[ConnectionError("down")] * 100)
    bulk, _ = indexer(client, should_abort=lambda: True)
    with pytest.raises(BulkUnavailableError, match="aborted"):
        bulk.write(actions(1))

    client = ScriptedBulkClient(*[ConnectionError("down")] * 100)
    bulk, _ = indexer(client, retry=RetryPolicy(0.001, 0.001, deadline=0.0))
    with pytest.raises(BulkUnavailableError, match="still failing"):
        bulk.write(actions(1))


def test_backoff_grows_and_is_capped() -> None:
    delays = RetryPolicy(initial_backoff=1.0, max_backoff=4.0).delays()
    values = [next(delays) for _ in range(6)]
    assert 0.5 <= values[0] <= 1.0
    assert 1.0 <= values[1] <= 2.0
    assert all(2.0 <= v <= 4.0 for v in values[3:])


def test_a_document_that_cannot_be_encoded_fails_alone() -> None:
    client = ScriptedBulkClient()
    bad = BulkAction("idx", "bad", {"text": "lone \ud800 surrogate"})
    idx, _ = indexer(client)
    report = idx.write([*actions(2), bad])
    assert [i.outcome for i in report.items] == [Outcome.CREATED, Outcome.CREATED, Outcome.FAILED]
    assert "not encodable" in (report.items[2].error or "")
    assert len(client.requests) == 1 and len(client.requests[0]) == 2
