"""The dispatcher worker: ``parley.alerts.v1`` → webhook / e-mail / Slack.

For each alert record:

1. parse it (an unreadable record goes to the dead-letter topic with the reason);
2. read the alert's stored status in ``parley-alerts``; an alert already handled (delivered,
   failed, waiting for a digest) is skipped — the matcher may publish an alert twice;
3. look up the subscription (deleted or disabled → ``cancelled``);
4. digest mode → ``digest_pending`` until the end of the UTC hour/day; over the rate limit →
   ``deferred`` to a catch-up digest; otherwise deliver to every channel, with retries and backoff;
   channels that still fail go to the dead-letter topic;
5. store the outcome in the alert document.

Offsets are committed only up to the last record whose outcome (step 5) is stored, so a crash
re-delivers rather than loses (at-least-once; receivers dedupe on ``X-Parley-Delivery``).

Poison policy (``parley.poison``): an infrastructure error while handling a record (Kafka,
Elasticsearch, the network) is retried in place with capped backoff — the record's offset is
not committed meanwhile; any other exception is the record's: it goes to the dead-letter topic
(``dispatch_error``, with the original record), the alert is marked ``failed``, the offset moves
on.  A channel that cannot build or accept a message reports ``invalid`` (dead-lettered as
``invalid_message``) without disturbing the other channels.  No record stops the dispatcher.
Deliveries run concurrently; a slow receiver holds back commits, not the other deliveries.  A
periodic task sends the digests that are due (``sinks.alerts.digest``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar, get_args

import httpcore
import httpx
from elasticsearch import ApiError, Elasticsearch, TransportError
from kafka import AsyncConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from kafka.structs import OffsetAndMetadata, TopicPartition
from pydantic import ValidationError
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from parley.config import Settings
from parley.deadletter import DeadLetter
from parley.http_pools import PerHostTransport, SocketCachingBackend
from parley.kafka_membership import keep_join_going
from parley.logs import get_logger
from parley.metrics import serve_metrics
from parley.netguard import NetGuard
from parley.poison import TransientError, describe, is_transient
from sinks.alerts.batching import Coalescer
from sinks.alerts.channels.base import HostLimiter, Sender, deliver_with_retries
from sinks.alerts.channels.email import EmailSender
from sinks.alerts.channels.slack import SlackSender
from sinks.alerts.channels.webhook import WebhookSender
from sinks.alerts.config import AlertsSettings, alerts_settings
from sinks.alerts.digest import claimed_alerts, due_query, group_by_subscription, window_end
from sinks.alerts.metrics import (
    COMMIT_FAILURES,
    COMMIT_FAILURES_CONSECUTIVE,
    COMMITTED_OFFSET,
    CONSUMER_LAG,
    DEAD_LETTERS,
    DELIVERIES,
    DELIVERY_LATENCY,
    HANDLING_RETRIES,
    LAST_COMMIT,
)
from sinks.alerts.models import (
    FINAL_STATUSES,
    Alert,
    AlertStatus,
    ChannelOutcome,
    Subscription,
)
from sinks.alerts.offsets import OffsetTracker, StallWatch
from sinks.alerts.ratelimit import RateLimiter
from sinks.alerts.render import Delivery, json_body
from sinks.alerts.store import SubscriptionCache, SubscriptionNotFoundError, SubscriptionStore
from sinks.elasticsearch.client import make_client

log = get_logger(__name__)
METADATA_WAIT_S = 30.0

WORKER = "dispatcher"
T = TypeVar("T")
FAILURE_REASONS = {"refused": "target_refused", "invalid": "invalid_message"}
# Retrying a record while a service is away: capped exponential backoff.
RETRY_INITIAL_S = 0.5
RETRY_MAX_S = 30.0
HANDLED = FINAL_STATUSES | {"digest_pending", "deferred", "digest_sending"}
ALERT_STATUSES = frozenset(get_args(AlertStatus))


def final_status(outcomes: Sequence[ChannelOutcome]) -> AlertStatus:
    delivered = sum(o.outcome == "delivered" for o in outcomes)
    if delivered == len(outcomes):
        return "delivered"
    return "partial" if delivered else "failed"


def _transient_es_error(exc: BaseException) -> bool:
    if isinstance(exc, ApiError):
        return exc.meta.status in (429, 502, 503, 504)
    return isinstance(exc, TransportError)


class Deliverer:
    """Sends one ``Delivery`` to every channel of its subscription and dead-letters failures."""

    def __init__(
        self,
        senders: Mapping[str, Sender],
        config: AlertsSettings,
        dead_letter: Callable[[DeadLetter], None],
    ) -> None:
        self.senders = senders
        self.config = config
        self.dead_letter = dead_letter

    async def deliver(
        self, delivery: Delivery, payload: bytes, source: Mapping[str, Any] | None = None
    ) -> list[ChannelOutcome]:
        channels = delivery.subscription.channels
        attempts = [
            deliver_with_retries(self.senders[ch.type], ch, i, delivery, self.config.retry)
            for i, ch in enumerate(channels)
        ]
        # One channel (most subscriptions) needs no task of its own.
        outcomes = [await attempts[0]] if len(attempts) == 1 else await asyncio.gather(*attempts)
        for outcome in outcomes:
            DELIVERIES.labels(outcome.channel, outcome.outcome).inc()
            if outcome.outcome == "delivered":
                continue
            reason = FAILURE_REASONS.get(outcome.outcome, "delivery_failed")
            letter = DeadLetter.from_error(
                worker=WORKER,
                reason=reason,
                error=outcome.error or outcome.outcome,
                payload=payload,
                attempts=outcome.attempts,
                context={
                    "kind": delivery.kind,
                    "subscription_id": delivery.subscription.subscription_id,
                    "channel": outcome.channel,
                    "channel_index": outcome.index,
                    "alert_ids": [a.alert_id for a in delivery.alerts],
                },
                **{**(source or {}), "source_key": delivery.delivery_id},
            )
            # Stored in Kafka before the alert is marked failed, so the delivery is never lost.
            await asyncio.to_thread(self.dead_letter, letter)
            DEAD_LETTERS.labels(reason).inc()
            log.warning(
                "delivery_dead_lettered",
                delivery_id=delivery.delivery_id,
                subscription_id=delivery.subscription.subscription_id,
                channel=outcome.channel,
                attempts=outcome.attempts,
                error=outcome.error,
            )
        return outcomes


class _Rebalance(AsyncConsumerRebalanceListener):  # type: ignore[misc]
    """Commits what is done before partitions are given up.

    kafka-python 3 runs rebalance listeners on its IO thread, which also drives heartbeats and
    every request; a blocking consumer call there is refused ("Cannot block on net.run() from
    the IO thread").  As an async listener it awaits the asynchronous commit instead, so the
    loop keeps heartbeating while the commit is in flight.
    """

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.dispatcher._commit_on_io_thread()
        self.dispatcher.tracker.forget(list(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions_assigned", partitions=_partition_list(assigned))

    async def on_partitions_lost(self, lost: set[TopicPartition]) -> None:
        # Evicted from the group: a commit would be refused.  In-flight records of these
        # partitions are delivered again by their new owner (receivers dedupe on the id).
        log.warning("partitions_lost", partitions=_partition_list(lost))
        self.dispatcher.tracker.forget(list(lost))


class ConsumerStalledError(RuntimeError):
    """The dispatcher's Kafka client stopped fetching (see ``StallWatch``)."""


def _partition_list(partitions: set[TopicPartition]) -> list[str]:
    return sorted(f"{tp.topic}:{tp.partition}" for tp in partitions)


def _offsets_and_metadata(offsets: Mapping[Any, int]) -> dict[TopicPartition, OffsetAndMetadata]:
    return {tp: OffsetAndMetadata(o, "", -1) for tp, o in offsets.items()}  # type: ignore[misc]


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        stop_event: threading.Event,
        *,
        client: Elasticsearch | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        senders: Mapping[str, Sender] | None = None,
    ) -> None:
        self.settings = settings
        self.config = alerts_settings(settings)
        self.stop_event = stop_event
        self.client = client or make_client(settings.elasticsearch)
        self.alerts_index = settings.elasticsearch.index("alerts")
        self.guard = NetGuard.from_settings(settings.http)
        self.store = SubscriptionStore(self.client, settings.elasticsearch, self.config, self.guard)
        # Looks subscriptions up by id, matches nothing: no compiled queries on every reload.
        self.cache = SubscriptionCache.for_store(
            self.store, self.config.matching.cache_ttl, compile_queries=False
        )
        self.network_backend = network_backend
        self._senders = senders
        self.limiter = RateLimiter()
        self.tracker = OffsetTracker()
        self._next_offsets: dict[TopicPartition, int] = {}  # consumer thread only
        self.commit_failures = 0  # consecutive; reset by a successful commit
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None
        self._consumer_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="consumer")
        self._active: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()  # a record's handling ended
        # One mget and one bulk per poll instead of a get and an index per alert.
        self._reads: Coalescer[str, None, str | None] = Coalescer(self._mget_status)
        self._writes: Coalescer[str, dict[str, Any], None] = Coalescer(self._bulk_update)
        self._fatal: BaseException | None = None
        self.deliverer: Deliverer | None = None

    # -- Kafka ---------------------------------------------------------------------------------

    def _make_consumer(self) -> KafkaConsumer:
        cfg = self.config.dispatcher
        consumer = KafkaConsumer(
            **self.settings.kafka.client_kwargs(),
            group_id=cfg.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=cfg.max_poll_records,
            max_poll_interval_ms=cfg.max_poll_interval_ms,
            session_timeout_ms=cfg.session_timeout_ms,
            heartbeat_interval_ms=cfg.heartbeat_interval_ms,
            # A dispatcher may start before the alerts topic exists (auto-created on first
            # produce); refresh metadata often so its partitions are assigned within seconds,
            # not after kafka-python's default five minutes.
            metadata_max_age_ms=5_000,
        )
        topic = self.settings.kafka.topics.alerts
        # Join the group only once this client's metadata shows the topic's partitions (up to
        # METADATA_WAIT_S; the topic may not exist yet, it is created on first produce).  A
        # member that joins while its metadata still lacks them gets an empty assignment, and
        # kafka-python has been seen not to rejoin from that state for minutes.
        deadline = time.monotonic() + METADATA_WAIT_S
        while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
            time.sleep(0.25)
            consumer.topics()  # forces a metadata refresh
        consumer.subscribe([topic], listener=_Rebalance(self))
        return consumer

    @property
    def producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(**self.settings.kafka.client_kwargs(), acks="all")
        return self._producer

    def _dead_letter(self, letter: DeadLetter) -> None:
        future = self.producer.send(
            self.settings.kafka.topics.deadletter,
            key=(letter.source_key or "").encode() or None,
            value=letter.to_bytes(),
        )
        future.get(timeout=30)

    def _commit_sync(self) -> None:
        """Commit the offsets whose records are fully handled (consumer thread only)."""
        offsets = self.tracker.take_committable()
        if not offsets or self._consumer is None:
            return
        try:
            self._consumer.commit(_offsets_and_metadata(offsets))
        except Exception as exc:  # noqa: BLE001 - a rebalance in progress; commit them later
            self.tracker.restore(offsets)
            self._commit_failed(exc)
        else:
            self._committed(offsets)

    async def _commit_on_io_thread(self) -> None:
        """The same from a rebalance listener: awaits the asynchronous commit on the IO loop."""
        offsets = self.tracker.take_committable()
        if not offsets or self._consumer is None:
            return
        try:
            await self._consumer.commit_async(_offsets_and_metadata(offsets))
        except Exception as exc:  # noqa: BLE001 - generation gone: the new owner re-reads them
            self.tracker.restore(offsets)
            self._commit_failed(exc)
        else:
            self._committed(offsets)

    def _committed(self, offsets: Mapping[Any, int]) -> None:
        self.commit_failures = 0
        COMMIT_FAILURES_CONSECUTIVE.set(0)
        LAST_COMMIT.set_to_current_time()
        for tp, offset in offsets.items():
            COMMITTED_OFFSET.labels(tp.topic, str(tp.partition)).set(offset)

    def _commit_failed(self, exc: BaseException) -> None:
        self.commit_failures += 1
        COMMIT_FAILURES.inc()
        COMMIT_FAILURES_CONSECUTIVE.set(self.commit_failures)
        log.warning("commit_failed", error=str(exc), consecutive=self.commit_failures)

    def _records_waiting(self) -> int:
        """Records between this consumer's positions and its partitions' ends (consumer thread
        only); 0 when that cannot be told (no assignment, Kafka away)."""
        assert self._consumer is not None
        assigned = list(self._consumer.assignment())
        if not assigned:
            return 0
        try:
            ends = self._consumer.end_offsets(assigned, timeout_ms=5_000)
            return sum(
                max(0, ends[tp] - self._consumer.position(tp, timeout_ms=5_000)) for tp in assigned
            )
        except Exception as exc:  # noqa: BLE001 - an unreachable broker is not a stall
            log.debug("lag_unknown", error=str(exc))
            return 0

    def _poll(self, max_records: int) -> dict[TopicPartition, list[Any]]:
        """One poll of the consumer (consumer thread only)."""
        assert self._consumer is not None
        batch: dict[TopicPartition, list[Any]] = self._consumer.poll(200, max_records)
        keep_join_going(self._consumer)
        self._report_lag(batch)
        return batch

    def _report_lag(self, batch: Mapping[TopicPartition, list[Any]]) -> None:
        """Each assigned partition's lag from the highwater of the last fetch response and the
        next offset polled (consumer thread only; no request: ``position`` may block on the
        coordinator)."""
        assert self._consumer is not None
        for tp, records in batch.items():
            if records:
                self._next_offsets[tp] = records[-1].offset + 1
        assigned = self._consumer.assignment()
        for tp in list(self._next_offsets):
            if tp not in assigned:
                del self._next_offsets[tp]
                with contextlib.suppress(KeyError):  # never reported
                    CONSUMER_LAG.remove(tp.topic, str(tp.partition))
                continue
            high = self._consumer.highwater(tp)
            if high is not None:
                lag = max(0, high - self._next_offsets[tp])
                CONSUMER_LAG.labels(tp.topic, str(tp.partition)).set(lag)

    async def _on_consumer(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._consumer_thread, fn)

    # -- Elasticsearch -------------------------------------------------------------------------

    def _es(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call Elasticsearch, retrying overload and connection errors for up to a minute: the
        dispatcher cannot commit anything while Elasticsearch is away, so waiting is right."""
        for attempt in Retrying(
            retry=retry_if_exception(_transient_es_error),
            wait=wait_exponential(multiplier=0.2, max=5),
            stop=stop_after_delay(60),
            reraise=True,
        ):
            with attempt:
                return fn(*args, **kwargs)
        raise AssertionError("unreachable")

    async def _es_async(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(self._es, fn, *args, **kwargs)

    async def _mget_status(self, ids: dict[str, None]) -> dict[str, str | None]:
        """The stored status of each alert (None: not stored).  Only the status: the rest of
        the stored alert is what the record holds (the matcher produces what it stored)."""
        response = await self._es_async(
            self.client.mget, index=self.alerts_index, ids=list(ids), source_includes=["status"]
        )
        return {
            str(d["_id"]): str(d["_source"].get("status")) if d.get("found") else None
            for d in response["docs"]
        }

    async def _bulk_update(self, docs: dict[str, dict[str, Any]]) -> dict[str, Exception | None]:
        operations: list[Mapping[str, Any]] = []
        for alert_id, body in docs.items():
            # The pipeline's hook may mark the same alert "queued" concurrently; a partial-doc
            # update is safe to re-apply on the newer version instead of failing the worker.
            operations.append(
                {"update": {"_index": self.alerts_index, "_id": alert_id, "retry_on_conflict": 5}}
            )
            operations.append(body)
        results: dict[str, Exception | None] = {}
        for alert_id, item in zip(docs, await self._bulk(operations), strict=True):
            outcome = item["update"]
            status = int(outcome.get("status", 500))
            if status < 300:
                results[alert_id] = None
            elif status == 429 or status >= 500:  # overloaded or unavailable: retried
                results[alert_id] = TransientError(f"alert state not stored: {outcome}")
            else:
                results[alert_id] = RuntimeError(f"alert state not stored: {outcome}")
        return results

    async def _stored_status(self, alert_id: str) -> str | None:
        return await self._reads.call(alert_id, None)

    async def _update(self, alert: Alert, fields: Mapping[str, Any], *, exists: bool) -> None:
        # Only the changed fields travel.  An alert missing from the index (produced by another
        # tool) is upserted: the record then becomes its stored state.
        body: dict[str, Any] = {"doc": dict(fields)}
        if not exists:
            body["upsert"] = {**alert.to_document(), **fields}
        await self._writes.call(alert.alert_id, body)

    async def _subscription(self, subscription_id: str) -> Subscription | None:
        # Only the first load blocks; later reloads happen in the cache's own thread.
        snapshot = (
            self.cache.get() if self.cache.loaded else await asyncio.to_thread(self.cache.get)
        )
        sub = snapshot.by_id.get(subscription_id)
        if sub is None:  # created after the last reload, or deleted / disabled
            try:
                sub = await asyncio.to_thread(self.store.get, subscription_id)
            except SubscriptionNotFoundError:
                return None
        return sub if sub.enabled else None

    # -- one alert -----------------------------------------------------------------------------

    async def _handle_record(self, value: bytes, source: Mapping[str, Any]) -> None:
        """``handle`` under the poison policy (module docstring); returns once the record's fate
        is stored, raises only ``CancelledError`` (stopping while a service is away)."""
        delay = RETRY_INITIAL_S
        while True:
            try:
                try:
                    await self.handle(value, source)
                except Exception as exc:  # sorted by the poison policy
                    if is_transient(exc):
                        raise
                    await self._poisoned(value, source, exc)
                return
            except Exception as exc:  # a service is away (or dead-lettering failed)
                if self.stop_event.is_set():
                    raise asyncio.CancelledError from exc
                HANDLING_RETRIES.inc()
                (log.warning if is_transient(exc) else log.error)(
                    "alert_handling_retry", error=describe(exc), retry_in=round(delay, 1), **source
                )
                await self._sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    async def _poisoned(self, value: bytes, source: Mapping[str, Any], exc: Exception) -> None:
        """Dead-letter a record that cannot be handled, then store the alert as ``failed``."""
        letter = DeadLetter.from_error(
            worker=WORKER,
            reason="dispatch_error",
            error=exc,
            payload=value,
            context={"error_type": type(exc).__name__},
            **source,
        )
        await asyncio.to_thread(self._dead_letter, letter)
        DEAD_LETTERS.labels("dispatch_error").inc()
        log.error("alert_dead_lettered", reason="dispatch_error", error=describe(exc), **source)
        try:
            alert = Alert.model_validate_json(value)
        except ValueError:
            return
        # An upsert: the record may stand for an alert another tool produced.
        await self._update(alert, {"status": "failed", "error": describe(exc, 2000)}, exists=False)

    async def handle(self, value: bytes, source: Mapping[str, Any]) -> None:
        try:
            record = Alert.model_validate_json(value)
        except (ValidationError, ValueError) as exc:
            letter = DeadLetter.from_error(
                worker=WORKER, reason="invalid_alert", error=exc, payload=value, **source
            )
            await asyncio.to_thread(self._dead_letter, letter)
            DEAD_LETTERS.labels("invalid_alert").inc()
            log.warning("invalid_alert_record", **source, error=str(exc)[:500])
            return
        if record.alert_id in self._active:
            return  # the same alert published twice and both copies in this poll
        self._active.add(record.alert_id)
        try:
            await self._handle_alert(record, value, source)
        finally:
            self._active.discard(record.alert_id)

    async def _handle_alert(self, record: Alert, value: bytes, source: Mapping[str, Any]) -> None:
        status = await self._stored_status(record.alert_id)
        if status is not None and status not in ALERT_STATUSES:
            # Written around the matcher: this record's poison (dead-lettered, marked failed).
            raise ValueError(f"the stored alert {record.alert_id} has no valid status: {status!r}")
        if status in HANDLED:
            return
        alert = record
        exists = status is not None
        now = datetime.now(UTC)
        sub = await self._subscription(alert.subscription_id)
        if sub is None:
            await self._update(alert, {"status": "cancelled"}, exists=exists)
            return
        if sub.delivery.mode == "digest":
            due = window_end(sub.delivery.digest, now)
            await self._update(
                alert, {"status": "digest_pending", "due_at": due.isoformat()}, exists=exists
            )
            return
        limit = sub.delivery.rate_limit
        if limit is not None:
            free_at = self.limiter.acquire(sub.subscription_id, limit, now.timestamp())
            if free_at is not None:
                due = datetime.fromtimestamp(free_at, UTC)
                await self._update(
                    alert, {"status": "deferred", "due_at": due.isoformat()}, exists=exists
                )
                log.info("alert_deferred", alert_id=alert.alert_id, due_at=due.isoformat())
                return
        assert self.deliverer is not None
        outcomes = await self.deliverer.deliver(Delivery.single(sub, alert), value, source)
        await self._store_outcome([alert], outcomes, exists=exists)

    async def _store_outcome(
        self, alerts: Sequence[Alert], outcomes: Sequence[ChannelOutcome], *, exists: bool = True
    ) -> None:
        now = datetime.now(UTC)
        status = final_status(outcomes)
        fields: dict[str, Any] = {
            "status": status,
            "attempts": sum(o.attempts for o in outcomes),
            "deliveries": [o.model_dump() for o in outcomes],
            "delivered_at": now.isoformat() if status != "failed" else None,
        }
        if len(alerts) == 1:
            await self._update(alerts[0], fields, exists=exists)
        else:
            operations: list[Mapping[str, Any]] = []
            for alert in alerts:
                operations.append({"index": {"_index": self.alerts_index, "_id": alert.alert_id}})
                operations.append({**alert.to_document(), **fields})
            await self._bulk(operations)
        for alert in alerts:
            started = alert.statement_indexed_at or alert.created_at
            for outcome in outcomes:
                if outcome.outcome == "delivered" and alert.delivery_mode == "immediate":
                    DELIVERY_LATENCY.labels(outcome.channel).observe(
                        (now - started).total_seconds()
                    )
        (log.debug if status == "delivered" else log.warning)(
            "alert_delivery",
            alert_ids=[a.alert_id for a in alerts][:20],
            status=status,
            attempts=fields["attempts"],
        )

    async def _bulk(self, operations: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        response = await self._es_async(self.client.bulk, operations=list(operations))
        items: list[Mapping[str, Any]] = response["items"]
        return items

    # -- digests -------------------------------------------------------------------------------

    async def flush_digests(self, now: datetime | None = None, page: int = 1000) -> int:
        """Send every digest that is due at ``now``; returns the number of digests sent."""
        now = now or datetime.now(UTC)
        sent = 0
        await self._es_async(self.client.indices.refresh, index=self.alerts_index)
        while True:
            response = await self._es_async(
                self.client.search,
                index=self.alerts_index,
                query=due_query(now, self.config.dispatcher.digest_claim_timeout),
                size=page,
                seq_no_primary_term=True,
                sort=[{"subscription_id": "asc"}, {"created_at": "asc"}],
            )
            hits = response["hits"]["hits"]
            if not hits:
                return sent
            claim = {"status": "digest_sending", "claimed_at": now.isoformat()}
            operations: list[Mapping[str, Any]] = []
            for hit in hits:
                operations.append(
                    {
                        "update": {
                            "_index": self.alerts_index,
                            "_id": hit["_id"],
                            "if_seq_no": hit["_seq_no"],
                            "if_primary_term": hit["_primary_term"],
                        }
                    }
                )
                operations.append({"doc": claim})
            claimed = claimed_alerts(hits, await self._bulk(operations))
            for sub_id, alerts in group_by_subscription(claimed).items():
                try:
                    sent += await self._send_digest(sub_id, alerts, now)
                except Exception as exc:  # sorted by the poison policy
                    if is_transient(exc):
                        raise  # the next round retries (the claim expires meanwhile)
                    await self._digest_poisoned(sub_id, alerts, exc)
            if len(hits) < page:
                return sent

    async def _send_digest(self, sub_id: str, alerts: list[Alert], now: datetime) -> int:
        sub = await self._subscription(sub_id)
        if sub is None:
            operations: list[Mapping[str, Any]] = []
            for alert in alerts:
                operations.append({"update": {"_index": self.alerts_index, "_id": alert.alert_id}})
                operations.append({"doc": {"status": "cancelled"}})
            await self._bulk(operations)
            return 0
        start = min(a.created_at for a in alerts)
        delivery = Delivery.digest(sub, tuple(alerts), start, now)
        payload = json.dumps([a.to_document() for a in alerts], ensure_ascii=False).encode()
        assert self.deliverer is not None
        outcomes = await self.deliverer.deliver(delivery, payload)
        claimed = [a.model_copy(update={"status": "digest_sending"}) for a in alerts]
        await self._store_outcome(claimed, outcomes)
        return 1

    async def _digest_poisoned(self, sub_id: str, alerts: list[Alert], exc: Exception) -> None:
        """A digest that cannot be sent (not for lack of a service): its alerts go to the
        dead-letter topic and are marked ``failed``, so the other subscriptions' digests go on
        and this one is not retried every round."""
        payload = json_body([a.to_document() for a in alerts])
        letter = DeadLetter.from_error(
            worker=WORKER,
            reason="dispatch_error",
            error=exc,
            payload=payload,
            source_key=sub_id,
            context={
                "kind": "digest",
                "subscription_id": sub_id,
                "alert_ids": [a.alert_id for a in alerts],
            },
        )
        await asyncio.to_thread(self._dead_letter, letter)
        DEAD_LETTERS.labels("dispatch_error").inc()
        log.error("digest_dead_lettered", subscription_id=sub_id, error=describe(exc))
        operations: list[Mapping[str, Any]] = []
        for alert in alerts:
            operations.append({"update": {"_index": self.alerts_index, "_id": alert.alert_id}})
            operations.append({"doc": {"status": "failed", "error": describe(exc, 2000)}})
        await self._bulk(operations)

    async def _digest_loop(self) -> None:
        interval = self.config.dispatcher.digest_check_interval
        while not self.stop_event.is_set():
            try:
                await self.flush_digests()
            except Exception as exc:  # noqa: BLE001 - ES away: the next round retries
                log.error("digest_flush_failed", error=str(exc))
            await self._sleep(interval)

    async def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    # -- main loop -----------------------------------------------------------------------------

    def _build_senders(self, http: httpx.AsyncClient) -> Mapping[str, Sender]:
        cfg = self.config.dispatcher
        limiter = HostLimiter(cfg.per_host_concurrency, cfg.total_concurrency)
        return {
            "webhook": WebhookSender(http, self.config, limiter),
            "slack": SlackSender(http, self.config, limiter),
            "email": EmailSender(self.config.smtp, self.config.kibana_url),
        }

    async def run(self) -> None:
        cfg = self.config.dispatcher
        per_host = httpx.Limits(
            max_connections=cfg.per_host_concurrency,
            max_keepalive_connections=cfg.per_host_concurrency,
            keepalive_expiry=cfg.keepalive_seconds,
        )
        tls = httpx.create_ssl_context(trust_env=False)  # one CA bundle for every host's pool
        # One pool per receiver host: httpcore checks every connection of a pool on each
        # request, which a burst to many hosts through one pool pays for on every delivery.
        backend = SocketCachingBackend(self.network_backend or httpcore.AnyIOBackend())
        transport = PerHostTransport(
            lambda: self.guard.async_transport(network_backend=backend, limits=per_host, verify=tls)
        )
        async with httpx.AsyncClient(transport=transport, trust_env=False) as http:
            self.deliverer = Deliverer(
                self._senders or self._build_senders(http), self.config, self._dead_letter
            )
            # Loaded before the first record: alerts must not wait for it one by one.
            await asyncio.to_thread(self.cache.get)
            self._consumer = await self._on_consumer(self._make_consumer)
            digests = asyncio.create_task(self._digest_loop())
            try:
                await self._consume()
            finally:
                await self._drain()
                digests.cancel()
                await asyncio.gather(digests, return_exceptions=True)
                await self._on_consumer(self._commit_sync)
                await self._on_consumer(self._close_clients)
                self._consumer_thread.shutdown(wait=True)
        if self._fatal is not None:
            raise self._fatal

    async def _consume(self) -> None:
        tasks = self._tasks
        cfg = self.config.dispatcher
        last_commit = time.monotonic()
        consumer = self._consumer
        assert consumer is not None
        stall = StallWatch(cfg.stall_timeout, min(10.0, cfg.stall_timeout / 3), time.monotonic())
        # While a burst is being handled, poll again only once a good share of the slots is
        # free: a poll per finished record would cost a Kafka call, an Elasticsearch read and
        # a write per alert instead of per few hundred.
        low_water = max(1, min(cfg.max_poll_records, cfg.max_in_flight // 4))
        while not self.stop_event.is_set() and self._fatal is None:
            room = cfg.max_in_flight - len(tasks)
            if tasks and room < low_water:
                self._slot_freed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._slot_freed.wait(), 0.2)
            else:
                batch = await self._on_consumer(partial(self._poll, room))
                if batch:
                    stall.received(time.monotonic())
                for tp, records in batch.items():
                    for record in records:
                        self.tracker.add(tp, record.offset)
                        tasks.add(self._spawn(tp, record))
            if stall.due(time.monotonic()) and not tasks:
                waiting = await self._on_consumer(self._records_waiting)
                if stall.stalled(time.monotonic(), waiting, len(tasks)):
                    log.error(
                        "consumer_stalled",
                        waiting=waiting,
                        seconds=cfg.stall_timeout,
                        action="exiting so that a restarted dispatcher joins afresh",
                    )
                    self._fatal = ConsumerStalledError(
                        f"{waiting} alert records wait on this dispatcher's partitions and none "
                        f"arrived for {cfg.stall_timeout:.0f} s"
                    )
            if time.monotonic() - last_commit >= cfg.commit_interval:
                await self._on_consumer(self._commit_sync)
                last_commit = time.monotonic()

    def _spawn(self, tp: TopicPartition, record: Any) -> asyncio.Task[None]:
        source = {
            "source_topic": tp.topic,
            "source_partition": tp.partition,
            "source_offset": record.offset,
            "source_key": record.key.decode(errors="replace") if record.key else None,
        }
        task = asyncio.create_task(self._handle_record(record.value or b"", source))

        def finished(t: asyncio.Task[None]) -> None:
            self._slot_freed.set()
            if t.cancelled():  # abandoned at shutdown: not committed, handled after the restart
                return
            error = t.exception()
            if error is None:
                self.tracker.done(tp, record.offset)
            elif self._fatal is None:
                # Not committed: a restarted dispatcher picks the record up again.
                log.error("alert_handling_failed", error=repr(error), **source)
                self._fatal = error

        task.add_done_callback(finished)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _drain(self) -> None:
        pending = {t for t in self._tasks if not t.done()}
        if pending:
            grace = self.config.dispatcher.shutdown_grace
            _, still = await asyncio.wait(pending, timeout=grace)
            for task in still:  # uncommitted, so re-delivered after the restart
                task.cancel()
            await asyncio.gather(*still, return_exceptions=True)

    def _close_clients(self) -> None:
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
        if self._producer is not None:
            self._producer.close(timeout=10)


def run_dispatcher(settings: Settings, stop_event: threading.Event) -> None:
    """Run the dispatcher until ``stop_event`` is set (entry point for the supervisor)."""
    serve_metrics(settings.metrics, WORKER)
    log.info("dispatcher_starting", topic=settings.kafka.topics.alerts)
    asyncio.run(Dispatcher(settings, stop_event).run())
    log.info("dispatcher_stopped")
