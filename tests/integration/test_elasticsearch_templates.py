"""parley's index templates on the real Elasticsearch node: install, index, search, aggregate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch

from parley.config import ElasticsearchSettings
from sinks.elasticsearch.setup import install_templates
from sinks.elasticsearch.templates import INDICES


@pytest.fixture
def es_settings(unique_name: str, es_client: Elasticsearch) -> Iterator[ElasticsearchSettings]:
    settings = ElasticsearchSettings(index_prefix=f"t-{unique_name}")
    yield settings
    for name in INDICES:
        index = settings.index(name)
        es_client.indices.delete(index=index, ignore_unavailable=True)
        es_client.options(ignore_status=404).indices.delete_index_template(name=index)


def statement(i: int, country: str, day: int, official: bool = True) -> dict[str, object]:
    return {
        "statement_id": f"s{i}",
        "cluster_id": f"c{i}",
        "article_id": f"a{i}",
        "kind": "direct",
        "quote": {"text": f"We remain open to talks number {i}", "start": 0, "end": 30},
        "speaker": {
            "mention": {"text": "the spokesman", "start": 40, "end": 53},
            "name": "Dmitry Peskov" if country == "RU" else "Andrii Sybiha",
            "role": "spokesman",
            "organization": "Kremlin" if country == "RU" else "Foreign Ministry",
            "country": country,
            "official": official,
        },
        "triggers": [
            {
                "category": "negotiations",
                "stance": "positive",
                "text": "open to talks",
                "start": 10,
                "end": 23,
                "codes": ["CAMEO:036"],
            }
        ],
        "trigger_categories": ["negotiations"],
        "stances": ["positive"],
        "has_trigger": True,
        "@timestamp": f"2026-11-{day:02d}T10:00:00Z",
        "published_at": f"2026-11-{day:02d}T10:00:00Z",
    }


def test_setup_is_idempotent(es_client: Elasticsearch, es_settings: ElasticsearchSettings) -> None:
    first = install_templates(es_client, es_settings)
    assert [r.index_created for r in first] == [True] * len(INDICES)
    assert all(r.template_changed for r in first)
    second = install_templates(es_client, es_settings)
    assert [r.index_created for r in second] == [False] * len(INDICES)
    assert not any(r.template_changed for r in second)


def test_refresh_intervals_follow_the_templates_also_on_existing_indices(
    es_client: Elasticsearch, es_settings: ElasticsearchSettings
) -> None:
    alerts = es_settings.index("alerts")
    # An index made by an older template, which refreshed the alerts every second.
    es_client.indices.create(index=alerts, settings={"refresh_interval": "1s"})
    install_templates(es_client, es_settings)

    def refresh_interval(index: str) -> str | None:
        settings = es_client.indices.get_settings(index=index)[index]["settings"]["index"]
        return settings.get("refresh_interval")

    assert refresh_interval(alerts) is None  # Elasticsearch's default: idle shards skip it
    assert refresh_interval(es_settings.index("statements")) == "1s"
    assert refresh_interval(es_settings.index("articles")) == "1s"


def test_mapping_types_match_the_contract(
    es_client: Elasticsearch, es_settings: ElasticsearchSettings
) -> None:
    install_templates(es_client, es_settings)
    caps = es_client.field_caps(index=es_settings.index("statements"), fields="*")["fields"]
    expected = {
        "@timestamp": "date",
        "speaker.country": "keyword",
        "speaker.official": "boolean",
        "speaker.name": "text",
        "speaker.name.keyword": "keyword",
        "triggers.category": "keyword",
        "triggers.stance": "keyword",
        "quote.text": "text",
        "quote.start": "integer",
        "cluster_id": "keyword",
    }
    for field, kind in expected.items():
        assert field in caps, field
        assert kind in caps[field], (field, caps[field])


def test_index_search_and_aggregate(
    es_client: Elasticsearch, es_settings: ElasticsearchSettings
) -> None:
    install_templates(es_client, es_settings)
    index = es_settings.index("statements")
    docs = [statement(1, "RU", 1), statement(2, "RU", 2), statement(3, "UA", 2, official=False)]
    for doc in docs:
        es_client.index(index=index, id=str(doc["statement_id"]), document=doc)
    es_client.indices.refresh(index=index)

    # Lucene query string, as typed in Kibana's Lucene mode and in subscriptions.
    hits = es_client.search(
        index=index,
        query={
            "query_string": {
                "query": "talks AND speaker.country:RU AND triggers.category:negotiations"
            }
        },
    )["hits"]
    assert sorted(h["_id"] for h in hits["hits"]) == ["s1", "s2"]

    officials = es_client.count(index=index, query={"term": {"speaker.official": True}})
    assert officials["count"] == 2

    aggs = es_client.search(
        index=index,
        size=0,
        aggs={
            "by_country": {"terms": {"field": "speaker.country"}},
            "per_day": {"date_histogram": {"field": "@timestamp", "calendar_interval": "day"}},
            "speakers": {"terms": {"field": "speaker.name.keyword"}},
        },
    )["aggregations"]
    assert {b["key"]: b["doc_count"] for b in aggs["by_country"]["buckets"]} == {"RU": 2, "UA": 1}
    per_day = {b["key_as_string"][:10]: b["doc_count"] for b in aggs["per_day"]["buckets"]}
    assert per_day == {"2026-11-01": 1, "2026-11-02": 2}
    assert {b["key"] for b in aggs["speakers"]["buckets"]} == {"Dmitry Peskov", "Andrii Sybiha"}

    highlighted = es_client.search(
        index=index,
        query={"match": {"quote.text": "talks"}},
        highlight={"fields": {"quote.text": {}}},
    )["hits"]["hits"]
    assert all("<em>talks</em>" in h["highlight"]["quote.text"][0] for h in highlighted)
