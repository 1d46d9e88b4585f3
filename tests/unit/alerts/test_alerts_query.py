"""Subscription → Elasticsearch query compilation, and the Python prefilter's safety."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from sinks.alerts.models import SubscriptionFilters
from sinks.alerts.query import (
    DocFacts,
    StructuredPrefilter,
    compile_query,
    matched_triggers,
    multi_match_search,
    named,
    union_facts,
)


def statement(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "statement_id": "s1",
        "speaker": {"name": "Dmitry Peskov", "country": "RU", "official": True},
        "trigger_categories": ["negotiations"],
        "stances": ["positive"],
        "outlet": "tass.com",
        "language": "en",
        "triggers": [
            {"category": "negotiations", "stance": "positive", "text": "open to talks"},
            {"category": "ceasefire", "stance": "negative", "text": "no ceasefire"},
        ],
    }
    doc.update(over)
    return doc


def test_lucene_string_is_sent_as_kibana_lucene_mode_sends_it() -> None:
    query = compile_query('quote.text:"open to talks"', SubscriptionFilters())
    assert query == {
        "bool": {
            "must": [
                {"query_string": {"query": 'quote.text:"open to talks"', "analyze_wildcard": True}}
            ]
        }
    }


def test_filters_become_filter_clauses_on_statement_fields() -> None:
    filters = SubscriptionFilters(
        speakers=["Peskov"],
        countries=["ru"],
        officials_only=True,
        categories=["negotiations"],
        stances=["positive", "neutral"],
        outlets=["tass.com"],
        languages=["EN"],
    )
    clauses = compile_query(None, filters)["bool"]["filter"]
    assert {"terms": {"speaker.country": ["RU"]}} in clauses
    assert {"terms": {"language": ["en"]}} in clauses
    assert {"term": {"speaker.official": True}} in clauses
    assert {"terms": {"trigger_categories": ["negotiations"]}} in clauses
    assert {"terms": {"stances": ["positive", "neutral"]}} in clauses
    assert {"terms": {"outlet": ["tass.com"]}} in clauses
    speaker = next(c for c in clauses if "bool" in c)
    assert speaker["bool"]["should"] == [{"match_phrase": {"speaker.name": "Peskov"}}]


def test_named_queries_are_restricted_to_the_batch() -> None:
    body = multi_match_search([named({"match_all": {}}, "s0")], ["a", "b"])
    assert body["size"] == 2
    assert body["query"]["bool"]["filter"] == [{"ids": {"values": ["a", "b"]}}]
    assert body["query"]["bool"]["should"][0]["bool"]["_name"] == "s0"
    assert body["query"]["bool"]["minimum_should_match"] == 1


FILTER_CHOICES: list[dict[str, Any]] = [
    {},
    {"countries": ["RU"]},
    {"countries": ["UA"]},
    {"officials_only": True},
    {"categories": ["negotiations"]},
    {"categories": ["ceasefire"]},
    {"stances": ["negative"]},
    {"outlets": ["tass.com", "bbc.co.uk"]},
    {"languages": ["ru"]},
]


def es_semantics(filters: SubscriptionFilters, doc: dict[str, Any]) -> bool:
    """What Elasticsearch's terms/term filters do on these keyword/boolean fields."""
    sp = doc.get("speaker") or {}
    checks = [
        not filters.countries or sp.get("country") in filters.countries,
        not filters.officials_only or sp.get("official") is True,
        not filters.categories or bool(set(filters.categories) & set(doc["trigger_categories"])),
        not filters.stances or bool(set(filters.stances) & set(doc["stances"])),
        not filters.outlets or doc.get("outlet") in filters.outlets,
        not filters.languages or doc.get("language") in filters.languages,
    ]
    return all(checks)


DOCS = [
    statement(),
    statement(speaker={"name": "Andrii Sybiha", "country": "UA", "official": False}),
    statement(trigger_categories=[], stances=[], outlet="bbc.co.uk", language="ru"),
    statement(speaker=None, trigger_categories=["ceasefire"], stances=["negative"]),
]


@pytest.mark.parametrize("combo", list(itertools.combinations(FILTER_CHOICES, 2)))
def test_prefilter_agrees_with_elasticsearch_semantics(combo: tuple[dict[str, Any], ...]) -> None:
    merged: dict[str, Any] = {}
    for part in combo:
        merged.update(part)
    filters = SubscriptionFilters(**merged)
    prefilter = StructuredPrefilter.of(filters)
    facts = [DocFacts.of(d) for d in DOCS]
    for doc, fact in zip(DOCS, facts, strict=True):
        assert prefilter.admits(fact) == es_semantics(filters, doc), (merged, doc)
    expected_any = any(es_semantics(filters, d) for d in DOCS)
    assert prefilter.admits_any(facts, union_facts(facts)) == expected_any


def test_filters_must_hold_on_the_same_statement() -> None:
    # RU is in one statement, UA-official in the other: nobody satisfies both.
    docs = [
        statement(speaker={"country": "RU", "official": False}),
        statement(speaker={"country": "UA", "official": True}),
    ]
    facts = [DocFacts.of(d) for d in docs]
    prefilter = StructuredPrefilter.of(SubscriptionFilters(countries=["RU"], officials_only=True))
    assert prefilter.admits(union_facts(facts))
    assert not prefilter.admits_any(facts, union_facts(facts))


def test_matched_triggers_explain_the_match() -> None:
    triggers = statement()["triggers"]
    only_talks = matched_triggers(triggers, SubscriptionFilters(categories=["negotiations"]))
    assert [t.text for t in only_talks] == ["open to talks"]
    negative = matched_triggers(triggers, SubscriptionFilters(stances=["negative"]))
    assert [t.category for t in negative] == ["ceasefire"]
    assert len(matched_triggers(triggers, SubscriptionFilters(countries=["RU"]))) == 2
