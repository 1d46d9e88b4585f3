"""A burst: one batch of statements that hundreds of subscriptions follow, delivered by the real
dispatcher over real Kafka and Elasticsearch to receivers on three loopback hosts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition
from support.alerting import (
    PESKOV_TALKS,
    SIGNING_SECRET,
    InFlight,
    WebhookReceiver,
    index_statements,
    iter_records,
    seed_text,
    statement_docs,
    wait_until,
)

from parley.config import Settings
from sinks.alerts.config import alerts_settings
from sinks.alerts.hook import AlertHook
from sinks.alerts.models import Subscription
from sinks.alerts.signing import verify
from sinks.alerts.store import SubscriptionStore

SUBSCRIPTIONS = 150  # × 2 statement clusters = 300 alerts from one batch


def handled_all(settings: Settings) -> bool:
    """The dispatchers' committed offsets reached the end of every alerts partition: every
    record was handled and its outcome stored."""
    topic = settings.kafka.topics.alerts
    # Reads the group's committed offsets without joining the group.
    consumer = KafkaConsumer(
        **settings.kafka.client_kwargs(),
        group_id=alerts_settings(settings).dispatcher.group_id,
        enable_auto_commit=False,
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        ends = consumer.end_offsets(partitions)
        return bool(partitions) and all(
            (consumer.committed(tp) or 0) >= ends[tp] for tp in partitions
        )
    finally:
        consumer.close()


def test_a_burst_is_delivered_once_per_subscription_and_cluster_within_the_bounds(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    es_client: Elasticsearch,
) -> None:
    settings = make_settings(
        dispatcher={"per_host_concurrency": 2, "total_concurrency": 4, "max_in_flight": 100}
    )
    http = settings.http.model_copy(update={"allow_private_networks": ["127.0.0.0/8"]})
    settings = settings.model_copy(update={"http": http})
    shared = InFlight()
    receivers = [
        WebhookReceiver(host=f"127.0.0.{i}", delay=0.02, shared=shared).start() for i in (1, 2, 3)
    ]
    try:
        subs = [
            Subscription.model_validate(
                {
                    "name": f"Peskov on talks {i}",
                    "owner": f"desk{i % 7}",
                    "filters": PESKOV_TALKS,
                    "channels": [{"type": "webhook", "url": receivers[i % 3].url(f"/d{i}")}],
                }
            )
            for i in range(SUBSCRIPTIONS)
        ]
        store_for(settings).bulk_put(subs, validate=False)
        start_dispatcher(settings)
        docs = statement_docs(seed_text())
        index_statements(es_client, settings.elasticsearch.index("statements"), docs)
        hook = hook_for(settings)
        alerts = hook.process(docs)
        assert len(alerts) == 2 * SUBSCRIPTIONS

        # Stored and produced in chunks (50, 100, 150): each alert produced exactly once.
        keys = Counter(r.key for r in iter_records(settings, settings.kafka.topics.alerts, 3.0))
        assert keys == Counter(a.alert_id.encode() for a in alerts)

        def received() -> int:
            return sum(len(r.received) for r in receivers)

        assert wait_until(lambda: received() >= len(alerts), timeout=90), received()
        pairs: Counter[tuple[str, str]] = Counter()
        for receiver in receivers:
            for request in receiver.received:
                verify(
                    SIGNING_SECRET,
                    request.body,
                    request.headers["x-parley-timestamp"],
                    request.headers["x-parley-signature"],
                )
                alert = request.json()["alert"]
                pairs[(alert["why"]["subscription"]["id"], alert["cluster_id"])] += 1
        assert pairs == Counter({(a.subscription_id, a.cluster_id): 1 for a in alerts})
        # The bounds held and were reached; connections were kept alive, not one per alert.
        assert [r.in_flight.peak for r in receivers] == [2, 2, 2]
        assert shared.peak == 4
        assert all(r.connections <= 2 for r in receivers), [r.connections for r in receivers]

        alerts_index = settings.elasticsearch.index("alerts")

        def delivered() -> int:
            es_client.indices.refresh(index=alerts_index)
            query = {"term": {"status": "delivered"}}
            return int(es_client.count(index=alerts_index, query=query)["count"])

        assert wait_until(lambda: delivered() == len(alerts), timeout=30), delivered()

        # The whole burst produced again (a retried batch, a second matcher): nothing is sent
        # twice.
        producer = KafkaProducer(**settings.kafka.client_kwargs())
        try:
            for alert in alerts:
                producer.send(
                    settings.kafka.topics.alerts,
                    key=alert.alert_id.encode(),
                    value=alert.to_bytes(),
                )
            producer.flush(30)
        finally:
            producer.close(5)
        assert wait_until(lambda: handled_all(settings), timeout=60)
        assert received() == len(alerts)
    finally:
        for receiver in receivers:
            receiver.stop()
