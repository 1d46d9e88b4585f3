"""One statement carried by several outlets is one alert per subscription."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from elasticsearch import Elasticsearch
from support.alerting import WebhookReceiver, index_statements, seed_text, statement_docs

from parley.config import Settings
from sinks.alerts.hook import AlertHook
from sinks.alerts.models import SubscriptionSpec
from sinks.alerts.store import SubscriptionStore

OUTLETS = [
    ("tass.com", "https://tass.com/politics/1890001", 2),
    ("rt.com", "https://www.rt.com/russia/607000-peskov-ukraine/", 0),  # first to publish
    ("ria.ru", "https://ria.ru/20261102/peskov-1980000.html", 1),
]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def syndicated(outlets: list[tuple[str, str, int]]) -> list[dict[str, object]]:
    text = seed_text()
    docs = []
    for outlet, url, hours in outlets:
        docs += statement_docs(
            text, url=url, outlet=outlet, published_at=T0 + timedelta(hours=hours)
        )
    return docs


def putin_subscription(receiver: WebhookReceiver) -> SubscriptionSpec:
    return SubscriptionSpec(
        name="Putin on negotiations",
        query='speaker.name:Putin AND quote.text:"open to negotiations"',
        channels=[{"type": "webhook", "url": receiver.url()}],
    )


def test_the_same_story_from_three_outlets_gives_one_alert(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    receiver: WebhookReceiver,
    es_client: Elasticsearch,
) -> None:
    settings = make_settings()
    sub = store_for(settings).create(putin_subscription(receiver), owner="desk")
    docs = syndicated(OUTLETS)
    matching = [d for d in docs if "open to negotiations" in d["quote"]["text"]]  # type: ignore[index]
    assert len(matching) == 3
    assert len({d["statement_id"] for d in matching}) == 3
    assert len({d["cluster_id"] for d in matching}) == 1

    index_statements(es_client, settings.elasticsearch.index("statements"), docs)
    alerts = hook_for(settings).process(docs)

    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.subscription_id == sub.subscription_id
    assert alert.cluster_id == matching[0]["cluster_id"]
    assert alert.outlets_count == 3
    assert alert.first_source.outlet == "rt.com"
    assert alert.first_source.url == OUTLETS[1][1]


def test_later_outlets_of_an_alerted_story_do_not_alert_again(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    receiver: WebhookReceiver,
    es_client: Elasticsearch,
) -> None:
    settings = make_settings()
    store_for(settings).create(putin_subscription(receiver), owner="desk")
    index = settings.elasticsearch.index("statements")
    hook = hook_for(settings)
    first = syndicated(OUTLETS[:1])
    index_statements(es_client, index, first)
    assert len(hook.process(first)) == 1
    for outlet in OUTLETS[1:]:  # one batch per later outlet
        later = syndicated([outlet])
        index_statements(es_client, index, later)
        assert hook.process(later) == []
    alerts_index = settings.elasticsearch.index("alerts")
    es_client.indices.refresh(index=alerts_index)
    assert es_client.count(index=alerts_index)["count"] == 1


def test_prepared_while_storing_gives_the_same_alert_and_the_matching_index_is_emptied(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    receiver: WebhookReceiver,
    es_client: Elasticsearch,
) -> None:
    # The pipeline's writer prepares the hook (the match) before the bulk write stored the
    # statements, then finishes it with those that were stored.
    settings = make_settings()
    sub = store_for(settings).create(putin_subscription(receiver), owner="desk")
    hook = hook_for(settings)
    docs = syndicated(OUTLETS)
    finish = hook.prepare(docs)
    index_statements(es_client, settings.elasticsearch.index("statements"), docs)
    stored = [d for d in docs if d["outlet"] != "tass.com"]  # say tass.com's were refused
    finish(stored)
    alerts_index = settings.elasticsearch.index("alerts")
    es_client.indices.refresh(index=alerts_index)
    found = es_client.search(index=alerts_index)["hits"]["hits"]
    assert len(found) == 1
    alert = found[0]["_source"]
    assert alert["subscription_id"] == sub.subscription_id
    assert alert["outlets_count"] == 2 and alert["first_source"]["outlet"] == "rt.com"
    # The staged batch is deleted with the next staging request, or when the hook closes.
    matching = settings.elasticsearch.index("matching")
    es_client.indices.refresh(index=matching)
    assert es_client.count(index=matching)["count"] == len(docs)
    hook.prepare(syndicated(OUTLETS[:1]))
    es_client.indices.refresh(index=matching)
    assert es_client.count(index=matching)["count"] == len(syndicated(OUTLETS[:1]))
    hook.close()
    es_client.indices.refresh(index=matching)
    assert es_client.count(index=matching)["count"] == 0
