"""Subscription → Elasticsearch query compilation, and the Python prefilter's safety."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from sinks.alerts.matching import CompiledSubscription, matchable
from sinks.alerts.models import EmailChannel, Subscription, SubscriptionFilters
from sinks.alerts.query import (
    DocFacts,
    StructuredPrefilter,
    compile_query,
    matched_triggers,
    multi_match_search,
    named,
    required_terms,
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


@pytest.mark.parametrize(
    ("query", "required"),
    [
        (
            "triggers.category:negotiations AND speaker.official:true",
            {("triggers.category", "negotiations"), ("speaker.official", "true")},
        ),
        ("speaker.country:RU", {("speaker.country", "RU")}),
        (
            "speaker.official:false AND outlet:tass",
            {("speaker.official", "false")} | {("outlet", "tass")},
        ),
        # Anything but a plain conjunction of exact terms requires nothing.
        ("talks", set()),
        ("triggers.category:negotiations OR speaker.official:true", set()),
        ("triggers.category:negotiations and speaker.official:true", set()),  # "and" is a word
        ("triggers.category:negotiations AND NOT speaker.official:true", set()),
        ("triggers.category:negotiations speaker.official:true", set()),  # default operator OR
        ("triggers.category:negotiat*", set()),
        ('triggers.category:"negotiations"', set()),
        ("speaker.name:Putin", set()),  # analysed text field
        ("speaker.name.keyword:Putin", set()),  # the value sits at speaker.name
        ("speaker.official:yes", set()),
        ("(triggers.category:ceasefire)", set()),
        ("triggers.category:ceasefire AND", set()),
        ("", set()),
        (None, set()),
    ],
)
def test_required_terms_only_from_plain_conjunctions_of_exact_terms(
    query: str | None, required: set[tuple[str, str]]
) -> None:
    assert required_terms(query) == frozenset(required)


def test_a_query_string_conjunction_prefilters_like_elasticsearch() -> None:
    prefilter = StructuredPrefilter.of(
        SubscriptionFilters(), "triggers.category:negotiations AND speaker.official:true"
    )
    assert prefilter.admits(DocFacts.of(statement()))
    # negotiations only in another trigger category list, or an unofficial speaker: no match
    assert not prefilter.admits(DocFacts.of(statement(triggers=[{"category": "ceasefire"}])))
    assert not prefilter.admits(
        DocFacts.of(statement(speaker={"name": "A", "country": "RU", "official": False}))
    )
    assert not prefilter.admits(DocFacts.of(statement(speaker=None)))
    assert not prefilter.admits_all
    assert StructuredPrefilter.of(SubscriptionFilters(), "talks").admits_all


def compiled(query: str) -> CompiledSubscription:
    return CompiledSubscription.of(
        Subscription(
            subscription_id=f"s-{abs(hash(query))}",
            name=query,
            query=query,
            channels=[EmailChannel(to=["desk@example.org"])],
        )
    )


def test_only_statements_some_subscription_can_match_are_staged() -> None:
    officials = compiled("triggers.category:negotiations AND speaker.official:true")
    words = compiled("talks")
    docs = [
        statement(),
        statement(statement_id="s2", speaker={"name": "A", "official": False}),
        statement(statement_id="s3", triggers=[]),
    ]
    facts = [DocFacts.of(d) for d in docs]
    assert [d["statement_id"] for d in matchable([officials], docs, facts)] == ["s1"]
    # a subscription whose query string says nothing exact may match any of them
    assert matchable([officials, words], docs, facts) == docs
