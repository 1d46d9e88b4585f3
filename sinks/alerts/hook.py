"""The pipeline's post-index hook: new statements → alerts.

Contract with the pipeline: after a bulk write of statement documents succeeded and before the
Kafka offsets are committed, the pipeline calls the hook with those documents.  The hook

1. matches the batch against every enabled subscription (one ``msearch``, see ``matching``);
2. writes each alert **create-only** to ``parley-alerts`` under its deterministic id
   (subscription + cluster): a 409 means "already alerted", so a statement syndicated by three
   outlets, or a re-run of the pipeline, creates no second alert;
3. produces the new alerts to ``parley.alerts.v1`` (key = alert id) and waits for the acks;
4. marks them ``queued`` in the background (a conditional update: a dispatcher may have
   delivered them already); the batch does not wait for it.

Steps 2 and 3 go in growing chunks (``CHUNK_SIZES``): each chunk is produced as soon as it is
stored, so a burst — a breaking statement that a thousand subscriptions follow — reaches the
dispatchers while its later alerts are still being stored.  Every alert is still stored before
it is produced, and the acks of all chunks are awaited before the hook returns.

Step 1 needs only the documents, not their storage: ``prepare`` runs it on its own, and the
pipeline's writer calls it while the bulk request stores the batch, then finishes with the
callable it returned (steps 2–4 over the statements that were stored).  The statements index
is refreshed once a second, so whether the batch is in it yet changes nothing for the match.

Poison policy (``parley.poison``): an infrastructure failure in steps 1–3 raises, so the
pipeline retries the batch and does not commit its offsets.  What one statement or alert
causes — an alert the model refuses to build, an alert document Elasticsearch rejects for good
(4xx) — goes to the dead-letter topic with its reason (``alert_unbuildable``,
``alert_rejected``) and the rest of the batch goes on.  A retry after step 2 succeeded finds
alerts stored with status ``new`` — never produced, or produced by an earlier chunk of a call
that failed later — and produces them now; alerts in any other state are not produced again.
Should step 4 fail, an alert stays ``new`` and a later match produces it once more; the
dispatcher skips an alert it has already handled (by id and stored status).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from elasticsearch import Elasticsearch
from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata

from parley.config import Settings
from parley.deadletter import DeadLetter
from parley.logs import get_logger
from parley.netguard import NetGuard
from parley.poison import TransientError
from sinks.alerts.config import alerts_settings
from sinks.alerts.matching import (
    BatchMatch,
    BatchMatcher,
    ClusterInfo,
    UnbuildableAlert,
    build_alerts,
    cluster_of,
    parse_clusters,
)
from sinks.alerts.metrics import (
    ALERTS_MATCHED,
    DEAD_LETTERS,
    MATCH_SECONDS,
    SUBSCRIPTIONS_SEARCHED,
)
from sinks.alerts.models import Alert
from sinks.alerts.store import SubscriptionCache, SubscriptionSnapshot, SubscriptionStore
from sinks.elasticsearch.client import make_client

log = get_logger(__name__)

PRODUCE_TIMEOUT = 30.0
# Alerts stored (and then produced) per bulk request: a small first chunk gets deliveries
# going, later ones grow so that a large burst costs few requests.
CHUNK_SIZES = (50, 100, 200, 400)
WORKER = "pipeline"  # the hook runs inside the pipeline worker
T = TypeVar("T")


def _json_bytes(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, default=str).encode()


class AlertStoreError(TransientError):
    """Elasticsearch could not store some alert documents for now (429, 5xx): retry."""


@dataclass(frozen=True)
class PreparedMatch:
    """Step 1 done ahead (``AlertHook.prepare``): the batch matched with one snapshot of the
    subscriptions."""

    snapshot: SubscriptionSnapshot
    batch: BatchMatch
    statement_ids: frozenset[str]

    def covers(self, docs: Sequence[Mapping[str, Any]]) -> bool:
        return all(str(d["statement_id"]) in self.statement_ids for d in docs)

    def restricted_to(self, docs: Sequence[Mapping[str, Any]]) -> BatchMatch:
        """The matches among ``docs`` only (statements the bulk write refused are left out)."""
        ids = {str(d["statement_id"]) for d in docs}
        matches = {sub: hits & ids for sub, hits in self.batch.matches.items() if hits & ids}
        return BatchMatch(
            matches=matches,
            skipped=self.batch.skipped,
            searched=self.batch.searched,
            queries=self.batch.queries,
            cluster_response=self.batch.cluster_response,
        )


class AlertHook:
    def __init__(
        self,
        settings: Settings,
        *,
        client: Elasticsearch | None = None,
        producer: KafkaProducer | None = None,
    ) -> None:
        config = alerts_settings(settings)
        self.settings = settings
        self.client = client or make_client(settings.elasticsearch)
        self.store = SubscriptionStore(
            self.client, settings.elasticsearch, config, NetGuard.from_settings(settings.http)
        )
        self.cache = SubscriptionCache.for_store(self.store, config.matching.cache_ttl)
        self.matcher = BatchMatcher(
            self.client,
            settings.elasticsearch.index("statements"),
            settings.elasticsearch.index("matching"),
            config.matching.chunk_size,
        )
        self.alerts_index = settings.elasticsearch.index("alerts")
        self.topic = settings.kafka.topics.alerts
        self.deadletter_topic = settings.kafka.topics.deadletter
        self._producer = producer
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alert-hook")

    @property
    def producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                **self.settings.kafka.client_kwargs(), acks="all", linger_ms=0
            )
        return self._producer

    def __call__(self, docs: Sequence[Mapping[str, Any]]) -> None:
        self.process(docs)

    def prepare(
        self, docs: Sequence[Mapping[str, Any]]
    ) -> Callable[[Sequence[Mapping[str, Any]]], None]:
        """Match ``docs`` now (step 1), before they are stored; returns the hook that does
        the rest for the documents (or some of them) once they are."""
        prepared = self._match(self._usable(docs))

        def finish(stored: Sequence[Mapping[str, Any]]) -> None:
            self.process(stored, prepared)

        return finish

    def _usable(self, docs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        usable = [d for d in docs if d.get("statement_id")]
        if len(usable) < len(docs):
            # The pipeline validates documents before indexing; this is a bug there, not data.
            log.error("statement_without_id", count=len(docs) - len(usable))
        return usable

    def _match(self, usable: Sequence[Mapping[str, Any]]) -> PreparedMatch | None:
        snapshot = self.cache.get()
        if not usable or not snapshot.compiled:
            return None
        started = time.perf_counter()
        batch, _, staged = self.matcher.match(snapshot.compiled, usable)
        # Deleted with the next batch's staging request: one request less per batch.
        self.matcher.unstage_later(staged)
        MATCH_SECONDS.observe(time.perf_counter() - started)
        SUBSCRIPTIONS_SEARCHED.observe(batch.searched)
        ids = frozenset(str(d["statement_id"]) for d in usable)
        return PreparedMatch(snapshot, batch, ids)

    def process(
        self, docs: Sequence[Mapping[str, Any]], prepared: PreparedMatch | None = None
    ) -> list[Alert]:
        """Match (unless ``prepared`` covers ``docs``), store and publish; returns the alerts
        published by this call."""
        usable = self._usable(docs)
        if not usable:
            return []
        if prepared is None or not prepared.covers(usable):
            prepared = self._match(usable)
        if prepared is None:
            return []
        snapshot = prepared.snapshot
        batch = prepared.restricted_to(usable)
        clusters: dict[str, ClusterInfo] = (
            parse_clusters(batch.cluster_response, _of_matched_clusters(batch, usable))
            if batch.matches
            else {}
        )
        unbuildable: list[UnbuildableAlert] = []
        alerts = build_alerts(batch, snapshot.by_id, usable, clusters, unbuildable=unbuildable)
        if unbuildable:
            self._dead_letter(
                [
                    DeadLetter.from_error(
                        worker=WORKER,
                        reason="alert_unbuildable",
                        error=u.error,
                        payload=_json_bytes(u.statement),
                        context={
                            "subscription_id": u.subscription_id,
                            "statement_id": u.statement.get("statement_id"),
                        },
                    )
                    for u in unbuildable
                ]
            )
        if not alerts:
            return []
        published: list[tuple[Alert, tuple[int, int]]] = []
        sent: list[FutureRecordMetadata] = []
        for chunk in _chunks(alerts, CHUNK_SIZES):
            stored = self._store(chunk)
            sent += self._send([alert for alert, _ in stored])
            published += stored
        self._await(sent)
        self._background.submit(self._mark_queued, published)
        return [alert for alert, _ in published]

    def _store(self, alerts: Sequence[Alert]) -> list[tuple[Alert, tuple[int, int]]]:
        operations: list[Mapping[str, Any]] = []
        for alert in alerts:
            operations.append({"create": {"_index": self.alerts_index, "_id": alert.alert_id}})
            operations.append(alert.to_document())
        response = self.client.bulk(operations=operations)
        created: list[tuple[Alert, tuple[int, int]]] = []
        existing: list[str] = []
        errors: list[str] = []
        rejected: list[DeadLetter] = []
        for alert, item in zip(alerts, response["items"], strict=True):
            result = item["create"]
            status = int(result.get("status", 500))
            if status in (200, 201):
                created.append((alert, (int(result["_seq_no"]), int(result["_primary_term"]))))
            elif status == 409:
                existing.append(alert.alert_id)
            elif status == 429 or status >= 500:
                errors.append(f"{alert.alert_id}: {status} {result.get('error')}")
            else:  # this alert's document, refused for good
                rejected.append(
                    DeadLetter.from_error(
                        worker=WORKER,
                        reason="alert_rejected",
                        error=f"HTTP {status}: {result.get('error')}",
                        payload=alert.to_bytes(),
                        source_key=alert.alert_id,
                        context={
                            "subscription_id": alert.subscription_id,
                            "statement_id": alert.statement_id,
                        },
                    )
                )
        if errors:
            raise AlertStoreError(f"{len(errors)} alerts not stored: {errors[:3]}")
        self._dead_letter(rejected)
        ALERTS_MATCHED.inc(len(created))
        return created + self._unpublished(existing)

    def _unpublished(self, ids: Sequence[str]) -> list[tuple[Alert, tuple[int, int]]]:
        """Stored alerts never produced: a previous call failed between storing and producing
        them (or before marking them queued), so produce them now."""
        if not ids:
            return []
        response = self.client.mget(index=self.alerts_index, ids=list(ids))
        return [
            (Alert.model_validate(doc["_source"]), (int(doc["_seq_no"]), int(doc["_primary_term"])))
            for doc in response["docs"]
            if doc.get("found") and doc["_source"].get("status") == "new"
        ]

    def _mark_queued(self, alerts: Sequence[tuple[Alert, tuple[int, int]]]) -> None:
        operations: list[Mapping[str, Any]] = []
        for alert, (seq_no, primary_term) in alerts:
            operations.append(
                {
                    "update": {
                        "_index": self.alerts_index,
                        "_id": alert.alert_id,
                        "if_seq_no": seq_no,
                        "if_primary_term": primary_term,
                    }
                }
            )
            operations.append({"doc": {"status": "queued"}})
        if not operations:
            return
        try:
            response = self.client.bulk(operations=operations)
        except Exception as exc:  # noqa: BLE001 - produced already; worst case: produced again
            log.warning("alerts_not_marked_queued", error=str(exc))
            return
        # 409: a dispatcher changed the alert first (delivered it) — that is the newer state.
        failed = [
            i["update"] for i in response["items"] if i["update"].get("status") not in (200, 409)
        ]
        if failed:
            log.warning("alerts_not_marked_queued", count=len(failed), error=failed[0].get("error"))

    def _dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Dead letters of this batch, acknowledged by Kafka before the offsets move."""
        if not letters:
            return
        futures = [
            self.producer.send(
                self.deadletter_topic,
                key=(dl.source_key or "").encode() or None,
                value=dl.to_bytes(),
            )
            for dl in letters
        ]
        self.producer.flush(timeout=PRODUCE_TIMEOUT)
        for future in futures:
            future.get(timeout=PRODUCE_TIMEOUT)
        for dl in letters:
            DEAD_LETTERS.labels(dl.reason).inc()
            log.error("alert_dead_lettered", reason=dl.reason, detail=dl.detail, **dl.context)

    def _send(self, alerts: Sequence[Alert]) -> list[FutureRecordMetadata]:
        """Hand ``alerts`` to the producer (sent at once: ``linger_ms`` is 0)."""
        return [
            self.producer.send(self.topic, key=a.alert_id.encode(), value=a.to_bytes())
            for a in alerts
        ]

    def _await(self, futures: Sequence[FutureRecordMetadata]) -> None:
        if not futures:
            return
        self.producer.flush(timeout=PRODUCE_TIMEOUT)
        for future in futures:
            future.get(timeout=PRODUCE_TIMEOUT)  # raises the delivery error, if any
        log.info("alerts_published", count=len(futures), topic=self.topic)

    def close(self) -> None:
        self._background.shutdown(wait=True)
        try:
            self.matcher.unstage_leftovers()
        except Exception as exc:  # noqa: BLE001 - leftovers never match another batch
            log.warning("matching_index_cleanup_failed", error=str(exc))
        if self._producer is not None:
            self._producer.close(timeout=10)
            self._producer = None


def _of_matched_clusters(
    batch: BatchMatch, docs: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The statements of the batch in a cluster that some subscription matched: only their
    outlets and first source go into alerts (most statements of a batch match nothing)."""
    matched: set[str] = set().union(*batch.matches.values())
    clusters = {cluster_of(d) for d in docs if d.get("statement_id") in matched}
    return [d for d in docs if cluster_of(d) in clusters]


def _chunks(items: Sequence[T], sizes: Sequence[int]) -> Iterator[Sequence[T]]:
    """``items`` in consecutive chunks of ``sizes``, the last size repeated."""
    start = 0
    for i in itertools.count():
        if start >= len(items):
            return
        size = sizes[min(i, len(sizes) - 1)]
        yield items[start : start + size]
        start += size


def alert_hook(settings: Settings) -> Callable[[Sequence[Mapping[str, Any]]], None]:
    """The post-index hook for the pipeline (see the module docstring for the contract)."""
    return AlertHook(settings)
