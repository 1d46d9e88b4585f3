"""Compile a subscription to one Elasticsearch query (pure: no client, no I/O).

The Lucene string becomes exactly what Kibana's Lucene mode sends — ``query_string`` with
``analyze_wildcard: true`` (Kibana's default ``query:queryString:options``) and the index's
``index.query.default_field`` for bare words — so an alert fires exactly when the same query in
Kibana finds the statement.  Structured filters are ``filter`` clauses on the statement fields.

``StructuredPrefilter`` evaluates the keyword/boolean filters in Python against the batch so that
subscriptions that cannot match are not sent to Elasticsearch at all, and statements that no
subscription can match are not staged for matching.  It may only drop what Elasticsearch would
certainly not match: it tests exact keyword equality (what a ``terms`` query on a keyword field
does), never the analysed ``speakers`` filter, and reads the query string only when it is a plain
conjunction of ``field:value`` terms on keyword or boolean fields
(``triggers.category:negotiations AND speaker.official:true``, the usual shape of a subscription
written in Kibana), whose terms every match must then carry; any other query string adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sinks.alerts.models import SubscriptionFilters, Trigger
from sinks.elasticsearch.templates import index_template

# Statement fields the structured filters address (the parley-statements mapping).
FIELD_SPEAKER_NAME = "speaker.name"
FIELD_SPEAKER_COUNTRY = "speaker.country"
FIELD_OFFICIAL = "speaker.official"
FIELD_CATEGORIES = "trigger_categories"
FIELD_STANCES = "stances"
FIELD_OUTLET = "outlet"
FIELD_LANGUAGE = "language"
FIELD_STATEMENT_ID = "statement_id"


def lucene_query(query: str) -> dict[str, Any]:
    """Kibana's Lucene-mode query for ``query``."""
    return {"query_string": {"query": query, "analyze_wildcard": True}}


def filter_clauses(filters: SubscriptionFilters) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    if filters.speakers:
        # A phrase in the analysed name: "Peskov" finds "Dmitry Peskov", case-insensitively.
        clauses.append(
            {
                "bool": {
                    "should": [{"match_phrase": {FIELD_SPEAKER_NAME: s}} for s in filters.speakers],
                    "minimum_should_match": 1,
                }
            }
        )
    for field, values in (
        (FIELD_SPEAKER_COUNTRY, filters.countries),
        (FIELD_CATEGORIES, filters.categories),
        (FIELD_STANCES, filters.stances),
        (FIELD_OUTLET, filters.outlets),
        (FIELD_LANGUAGE, filters.languages),
    ):
        if values:
            clauses.append({"terms": {field: list(values)}})
    if filters.officials_only:
        clauses.append({"term": {FIELD_OFFICIAL: True}})
    return clauses


def compile_query(query: str | None, filters: SubscriptionFilters) -> dict[str, Any]:
    """One bool query: the Lucene string (scored, as in Kibana) plus the filters."""
    bool_query: dict[str, Any] = {}
    if query is not None and query.strip():
        bool_query["must"] = [lucene_query(query)]
    clauses = filter_clauses(filters)
    if clauses:
        bool_query["filter"] = clauses
    if not bool_query:
        return {"match_all": {}}
    return {"bool": bool_query}


def restrict_to_statements(
    query: Mapping[str, Any], statement_ids: Sequence[str]
) -> dict[str, Any]:
    return {
        "bool": {
            "must": [dict(query)],
            "filter": [{"terms": {FIELD_STATEMENT_ID: list(statement_ids)}}],
        }
    }


def named(query: Mapping[str, Any], name: str) -> dict[str, Any]:
    """Wrap ``query`` so that hits report ``name`` in ``matched_queries`` when it matches."""
    return {"bool": {"must": [dict(query)], "_name": name}}


def multi_match_search(
    named_queries: Sequence[dict[str, Any]], doc_ids: Sequence[str]
) -> dict[str, Any]:
    """One search body testing many named subscription queries against the batch (the documents
    with ``_id`` in ``doc_ids``) at once."""
    return {
        "size": len(doc_ids),
        "track_total_hits": False,
        "_source": [FIELD_STATEMENT_ID],
        "query": {
            "bool": {
                "filter": [{"ids": {"values": list(doc_ids)}}],
                "should": list(named_queries),
                "minimum_should_match": 1,
            }
        },
    }


# -- Python side -------------------------------------------------------------------------------


def _values(doc: Mapping[str, Any], dotted: str) -> set[Any]:
    """All values at ``dotted`` in ``doc`` (objects and arrays flattened, like Elasticsearch)."""
    current: list[Any] = [doc]
    for part in dotted.split("."):
        nxt: list[Any] = []
        for item in current:
            items = item if isinstance(item, list) else [item]
            for obj in items:
                if isinstance(obj, Mapping) and part in obj:
                    nxt.append(obj[part])
        current = nxt
    out: set[Any] = set()
    for value in current:
        if isinstance(value, list):
            out.update(v for v in value if v is not None and not isinstance(v, dict | list))
        elif value is not None and not isinstance(value, dict):
            out.add(value)
    return out


@dataclass(frozen=True)
class DocFacts:
    """The keyword values of one statement that the prefilter compares."""

    countries: frozenset[str]
    official: bool
    categories: frozenset[str]
    stances: frozenset[str]
    outlets: frozenset[str]
    languages: frozenset[str]
    # (field, value) of every keyword and boolean field of the statement, booleans as
    # "true"/"false": what a query-string term on that field compares with
    terms: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, doc: Mapping[str, Any], term_fields: Iterable[str] | None = None) -> DocFacts:
        """``term_fields``: the fields whose terms to collect (default: every keyword and boolean
        field; a caller that knows which fields its prefilters require passes only those)."""
        fields = exact_fields() if term_fields is None else term_fields
        official = _values(doc, FIELD_OFFICIAL)
        return cls(
            countries=frozenset(str(v) for v in _values(doc, FIELD_SPEAKER_COUNTRY)),
            official=any(v is True or v == "true" for v in official),
            categories=frozenset(str(v) for v in _values(doc, FIELD_CATEGORIES)),
            stances=frozenset(str(v) for v in _values(doc, FIELD_STANCES)),
            outlets=frozenset(str(v) for v in _values(doc, FIELD_OUTLET)),
            languages=frozenset(str(v) for v in _values(doc, FIELD_LANGUAGE)),
            terms=frozenset(
                (name, _term_text(value)) for name in fields for value in _values(doc, name)
            ),
        )


def _term_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@cache
def exact_fields() -> dict[str, str]:
    """Dotted name → type of the statements mapping's keyword and boolean fields (not the
    ``.keyword`` sub-fields of text fields: their values sit at the parent's path)."""
    out: dict[str, str] = {}

    def walk(properties: Mapping[str, Any], prefix: str) -> None:
        for name, spec in properties.items():
            if "properties" in spec:
                walk(spec["properties"], f"{prefix}{name}.")
            elif spec.get("type") in ("keyword", "boolean"):
                out[f"{prefix}{name}"] = str(spec["type"])

    walk(index_template("statements", "statements")["template"]["mappings"]["properties"], "")
    return out


# ``field:value`` with a plain value: no wildcard, quote, escape, range, fuzziness or boost.
_PLAIN_TERM = re.compile(r"([A-Za-z_@][A-Za-z0-9_.@]*):([A-Za-z0-9_]+)")


def required_terms(query: str | None) -> frozenset[tuple[str, str]]:
    """The (field, value) pairs every statement that ``query`` matches carries, when ``query``
    is ``term AND term AND …`` of plain terms on keyword or boolean fields; empty otherwise
    (which requires nothing).  Lucene's ``AND`` binds every term here, so each is required; a
    keyword term matches the exact value, a boolean one only ``true`` or ``false``."""
    if query is None:
        return frozenset()
    words = query.split()
    if not words or len(words) % 2 == 0 or any(w != "AND" for w in words[1::2]):
        return frozenset()
    fields = exact_fields()
    out: set[tuple[str, str]] = set()
    for word in words[0::2]:
        term = _PLAIN_TERM.fullmatch(word)
        if term is None or term[1] not in fields:
            return frozenset()
        name, value = term[1], term[2]
        if fields[name] == "boolean" and value not in ("true", "false"):
            return frozenset()  # Elasticsearch refuses it: nothing to derive
        out.add((name, value))
    return frozenset(out)


@dataclass(frozen=True)
class StructuredPrefilter:
    countries: frozenset[str]
    officials_only: bool
    categories: frozenset[str]
    stances: frozenset[str]
    outlets: frozenset[str]
    languages: frozenset[str]
    terms: frozenset[tuple[str, str]] = frozenset()  # all required (``required_terms``)

    @classmethod
    def of(cls, filters: SubscriptionFilters, query: str | None = None) -> StructuredPrefilter:
        return cls(
            countries=frozenset(filters.countries),
            officials_only=filters.officials_only,
            categories=frozenset(filters.categories),
            stances=frozenset(filters.stances),
            outlets=frozenset(filters.outlets),
            languages=frozenset(filters.languages),
            terms=required_terms(query),
        )

    @property
    def admits_all(self) -> bool:
        """True when it constrains nothing (every statement passes)."""
        return not (
            self.officials_only
            or self.countries
            or self.categories
            or self.stances
            or self.outlets
            or self.languages
            or self.terms
        )

    def admits(self, facts: DocFacts) -> bool:
        """False only when Elasticsearch's filter clauses cannot match this statement."""
        return (
            (not self.officials_only or facts.official)
            and (not self.countries or not self.countries.isdisjoint(facts.countries))
            and (not self.categories or not self.categories.isdisjoint(facts.categories))
            and (not self.stances or not self.stances.isdisjoint(facts.stances))
            and (not self.outlets or not self.outlets.isdisjoint(facts.outlets))
            and (not self.languages or not self.languages.isdisjoint(facts.languages))
            and self.terms <= facts.terms
        )

    def admits_any(self, facts: Iterable[DocFacts], union: DocFacts) -> bool:
        # The union test is a cheap necessary condition that rejects most subscriptions at once.
        if not self.admits(union):
            return False
        return any(self.admits(f) for f in facts)


def union_facts(facts: Iterable[DocFacts]) -> DocFacts:
    items = list(facts)

    def merge(attr: str) -> frozenset[Any]:
        out: set[Any] = set()
        for f in items:
            out |= getattr(f, attr)
        return frozenset(out)

    return DocFacts(
        countries=merge("countries"),
        official=any(f.official for f in items),
        categories=merge("categories"),
        stances=merge("stances"),
        outlets=merge("outlets"),
        languages=merge("languages"),
        terms=merge("terms"),
    )


def matched_triggers(
    triggers: Iterable[Mapping[str, Any]], filters: SubscriptionFilters
) -> list[Trigger]:
    """The statement's triggers that explain the match: those of the subscribed categories and
    stances (all triggers when the subscription does not filter on them)."""
    out = []
    for raw in triggers:
        trigger = Trigger.model_validate(raw)
        if filters.categories and trigger.category not in filters.categories:
            continue
        if filters.stances and trigger.stance not in filters.stances:
            continue
        out.append(trigger)
    return out
