"""The seed article through the alert hook and the dispatcher, on the real services."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from elasticsearch import Elasticsearch
from support.alerting import (
    SIGNING_SECRET,
    WebhookReceiver,
    index_statements,
    iter_records,
    seed_text,
    statement_docs,
)

from parley.config import Settings
from sinks.alerts.hook import AlertHook
from sinks.alerts.models import Alert, SubscriptionSpec
from sinks.alerts.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from sinks.alerts.store import SubscriptionStore

TALKS_BY_RUSSIAN_OFFICIALS = {
    "name": "statements about talks by Russian officials",
    "filters": {"countries": ["RU"], "officials_only": True, "categories": ["negotiations"]},
}


def about_talks_by_russian_officials(doc: dict[str, Any]) -> bool:
    speaker = doc["speaker"]
    return (
        speaker["country"] == "RU"
        and speaker["official"] is True
        and any(t["category"] == "negotiations" for t in doc["triggers"])
    )


def test_seed_article_alerts_exactly_the_peskov_and_putin_statements_once_each(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    receiver: WebhookReceiver,
    es_client: Elasticsearch,
) -> None:
    settings = make_settings()
    store = store_for(settings)
    sub = store.create(
        SubscriptionSpec.model_validate(
            {**TALKS_BY_RUSSIAN_OFFICIALS, "channels": [{"type": "webhook", "url": receiver.url()}]}
        ),
        owner="desk",
    )
    docs = statement_docs(seed_text())
    expected = {d["statement_id"] for d in docs if about_talks_by_russian_officials(d)}
    start_dispatcher(settings)

    index_statements(es_client, settings.elasticsearch.index("statements"), docs)
    hook = hook_for(settings)
    published = hook.process(docs)

    assert {a.statement_id for a in published} == expected
    assert {a.speaker.name for a in published} == {"Dmitry Peskov", "Vladimir Putin"}
    assert len(published) == len(expected) == 4
    assert len({a.alert_id for a in published}) == 4

    received = receiver.wait_for(4)
    time.sleep(1.0)  # anything extra would arrive now
    assert len(receiver.received) == 4
    by_statement = {}
    for request in received:
        verify(
            SIGNING_SECRET,
            request.body,
            request.headers[TIMESTAMP_HEADER.lower()],
            request.headers[SIGNATURE_HEADER.lower()],
        )
        payload = request.json()
        assert payload["type"] == "alert"
        assert payload["subscription"]["id"] == sub.subscription_id
        alert = payload["alert"]
        by_statement[alert["statement_id"]] = alert
        assert request.headers["x-parley-delivery"] == alert["alert_id"]
    assert set(by_statement) == expected
    for doc in docs:
        if doc["statement_id"] not in expected:
            continue
        alert = by_statement[doc["statement_id"]]
        # Why it fired, and what was said by whom, where.
        assert alert["why"]["subscription"]["name"] == TALKS_BY_RUSSIAN_OFFICIALS["name"]
        assert alert["why"]["triggers"]
        assert {t["category"] for t in alert["why"]["triggers"]} == {"negotiations"}
        assert [t["stance"] for t in alert["why"]["triggers"]] == [
            t["stance"] for t in doc["triggers"] if t["category"] == "negotiations"
        ]
        assert alert["quote"]["text"] == doc["quote"]["text"]
        assert alert["speaker"]["role"] == doc["speaker"]["role"]
        assert alert["url"] == doc["url"]
        assert alert["first_source"]["outlet"] == "rt.com"
        assert alert["outlets_count"] == 1

    # Re-running the same batch (a pipeline retry or replay) creates and sends nothing new.
    assert hook.process(docs) == []
    time.sleep(1.0)
    assert len(receiver.received) == 4
    alerts_index = settings.elasticsearch.index("alerts")
    es_client.indices.refresh(index=alerts_index)
    stored = es_client.search(index=alerts_index, size=100)["hits"]["hits"]
    assert len(stored) == 4
    assert {h["_source"]["status"] for h in stored} == {"delivered"}

    # Each new alert went to parley.alerts.v1 once, keyed by its id.
    records = list(iter_records(settings, settings.kafka.topics.alerts, timeout=3))
    assert sorted(r.key.decode() for r in records) == sorted(a.alert_id for a in published)
    for record in records:
        assert Alert.model_validate_json(record.value).alert_id == record.key.decode()


LUCENE_QUERIES = [
    # Plain conjunctions of keyword/boolean terms: only the statements carrying every term are
    # staged for matching (``required_terms``); the rest must still be what Kibana finds.
    "speaker.country:RU AND speaker.official:true AND trigger_categories:negotiations",
    "triggers.category:negotiations AND speaker.official:true",
    "speaker.official:false AND triggers.stance:positive",
    "has_trigger:true AND kind:mixed",
    'quote.text:"open to talks"',
    "talks",  # bare word: the index's default fields, as in Kibana
    "negotiat*",  # wildcard, analysed as Kibana does
    "speaker.name:Putin OR speaker.organization:Kremlin",
    "triggers.stance:negative AND NOT speaker.name:Zelenskyy",
    'speaker.name:"Dmitry Peskov" AND has_trigger:false',
    "peace",
]


def test_a_lucene_subscription_fires_exactly_when_kibana_finds_the_statement(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    es_client: Elasticsearch,
) -> None:
    settings = make_settings()
    store = store_for(settings)
    subs = {
        q: store.create(
            SubscriptionSpec(
                name=q, query=q, channels=[{"type": "email", "to": ["desk@example.org"]}]
            ),
            owner="desk",
        ).subscription_id
        for q in LUCENE_QUERIES
    }
    docs = statement_docs(seed_text())
    index = settings.elasticsearch.index("statements")
    index_statements(es_client, index, docs)
    alerts = hook_for(settings).process(docs)
    es_client.indices.refresh(index=index)  # what Kibana sees a second later

    for query, sub_id in subs.items():
        # What Kibana's Discover runs in Lucene mode for this query.
        kibana = es_client.search(
            index=index,
            query={"query_string": {"query": query, "analyze_wildcard": True}},
            size=100,
        )
        found = {h["_source"]["statement_id"] for h in kibana["hits"]["hits"]}
        alerted = {a.statement_id for a in alerts if a.subscription_id == sub_id}
        assert alerted == found, query
    # The queries are not trivial: some match, some not, none matches everything.
    counts = [sum(a.subscription_id == s for a in alerts) for s in subs.values()]
    assert all(0 < c < len(docs) for c in counts), counts
