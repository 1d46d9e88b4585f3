"""Match a batch of freshly indexed statements against every enabled subscription.

Elasticsearch does the matching, so an alert fires exactly when the subscription's query finds the
statement in Kibana.  The test distribution has no percolator, so instead of percolating documents
against stored queries we search the batch with the queries: each subscription becomes a *named*
clause, up to ``chunk_size`` of them in one search restricted to the batch, and ``matched_queries``
on each hit says which subscriptions it satisfied.  All chunks plus one aggregation over the batch's
clusters (how many outlets, which came first) go in one ``msearch``.  Subscriptions whose compiled
queries are identical (popular topics) share one named clause.

The batch is searched in a small *matching index* (``<prefix>-matching``) that has the statements
index's mapping and settings — same analysis, same default fields, so the same hits — and holds
only the batches being matched.  Searching the big statements index instead would cost more with
every statement it holds (wildcards and prefixes are expanded over its whole term dictionary) and
would need a refresh of that index per batch.  Staged documents get batch-unique ids; a search
only ever looks at its own batch's ids.  They are deleted afterwards: ``unstage`` at once, or
``unstage_later``, which adds the deletes to the next batch's staging request (one request and
one refresh per batch instead of two requests).

Errors: a chunk rejected as a bad request (a query that no longer parses against the mapping) is
split until the one broken subscription is isolated and skipped (logged); overload or server
errors raise ``MatchingError`` so that the caller retries the whole batch.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import BadRequestError, Elasticsearch

from parley.logs import get_logger
from parley.poison import TransientError
from sinks.alerts.models import Alert, Source, Span, Speaker, Subscription, alert_id, utcnow
from sinks.alerts.query import (
    DocFacts,
    StructuredPrefilter,
    compile_query,
    matched_triggers,
    multi_match_search,
    named,
    union_facts,
)
from sinks.elasticsearch.templates import index_template

log = get_logger(__name__)


class MatchingError(RuntimeError):
    """Elasticsearch could not run the match.  Retried by the pipeline when it (or its cause)
    is an infrastructure error (``parley.poison``), dead-lettered otherwise."""


class MatchingUnavailableError(MatchingError, TransientError):
    """Elasticsearch answered 429 or 5xx: overloaded or unavailable; retry the batch."""


@dataclass(frozen=True)
class CompiledSubscription:
    subscription: Subscription
    query: dict[str, Any]
    prefilter: StructuredPrefilter
    key: str  # canonical form of ``query``: equal keys, equal matches

    @classmethod
    def of(cls, subscription: Subscription) -> CompiledSubscription:
        query = compile_query(subscription.query, subscription.filters)
        return cls(
            subscription=subscription,
            query=query,
            prefilter=StructuredPrefilter.of(subscription.filters, subscription.query),
            key=json.dumps(query, sort_keys=True, ensure_ascii=False),
        )


@dataclass(frozen=True)
class QueryGroup:
    """One distinct query and the subscriptions that share it."""

    query: dict[str, Any]
    subscriptions: tuple[Subscription, ...]


def group_queries(compiled: Sequence[CompiledSubscription]) -> list[QueryGroup]:
    groups: dict[str, tuple[dict[str, Any], list[Subscription]]] = {}
    for c in compiled:
        groups.setdefault(c.key, (c.query, []))[1].append(c.subscription)
    return [QueryGroup(query, tuple(subs)) for query, subs in groups.values()]


@dataclass(frozen=True)
class ClusterInfo:
    outlets_count: int
    first_source: Source


@dataclass
class BatchMatch:
    """Subscription id → ids of the batch statements it matched."""

    matches: dict[str, set[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # subscription id → error
    searched: int = 0  # subscriptions sent to Elasticsearch after the prefilter
    queries: int = 0  # distinct queries among them
    # The statements index's answer about the batch's clusters (``cluster_search``), for
    # ``parse_clusters`` over the statements that are finally alerted.
    cluster_response: Mapping[str, Any] = field(default_factory=dict)


def candidates(
    compiled: Sequence[CompiledSubscription],
    docs: Sequence[Mapping[str, Any]],
    facts: Sequence[DocFacts] | None = None,
) -> list[CompiledSubscription]:
    """The enabled subscriptions whose structured filters some statement of the batch passes."""
    facts = [DocFacts.of(d) for d in docs] if facts is None else facts
    union = union_facts(facts)
    return [c for c in compiled if c.subscription.enabled and c.prefilter.admits_any(facts, union)]


def matchable(
    admitted: Sequence[CompiledSubscription],
    docs: Sequence[Mapping[str, Any]],
    facts: Sequence[DocFacts],
) -> list[Mapping[str, Any]]:
    """The statements that pass the prefilter of at least one of ``admitted``: the others can
    match no subscription, so they need not be staged and searched."""
    prefilters = {c.prefilter for c in admitted}
    if any(p.admits_all for p in prefilters):
        return list(docs)
    # Each prefilter looks only at the statements no earlier one admitted, so thousands of
    # subscriptions cost little once the batch's statements are all admitted.
    rejected = list(range(len(docs)))
    for prefilter in prefilters:
        rejected = [i for i in rejected if not prefilter.admits(facts[i])]
        if not rejected:
            return list(docs)
    unmatchable = set(rejected)
    return [doc for i, doc in enumerate(docs) if i not in unmatchable]


MAX_OUTLETS = 1000


def cluster_search(cluster_ids: Sequence[str]) -> dict[str, Any]:
    """Per cluster: the outlets and the earliest published statement (the first source)."""
    return {
        "size": 0,
        "query": {"terms": {"cluster_id": list(cluster_ids)}},
        "aggs": {
            "clusters": {
                "terms": {"field": "cluster_id", "size": max(1, len(cluster_ids))},
                "aggs": {
                    "outlets": {"terms": {"field": "outlet", "size": MAX_OUTLETS}},
                    "first": {
                        "top_hits": {
                            "size": 1,
                            "sort": [
                                {"published_at": {"order": "asc", "missing": "_last"}},
                                {"seen_at": {"order": "asc", "missing": "_last"}},
                            ],
                            "_source": ["outlet", "url", "title", "article_id", "published_at"],
                        }
                    },
                },
            }
        },
    }


def parse_clusters(
    response: Mapping[str, Any], docs: Sequence[Mapping[str, Any]]
) -> dict[str, ClusterInfo]:
    """Clusters as the statements index knows them, merged with the batch (which that index may
    not show yet: it is not refreshed for matching)."""
    outlets: dict[str, set[str]] = defaultdict(set)
    first: dict[str, Source] = {}
    for bucket in response.get("aggregations", {}).get("clusters", {}).get("buckets", []):
        key = str(bucket["key"])
        outlets[key].update(str(b["key"]) for b in bucket["outlets"]["buckets"])
        hits = bucket["first"]["hits"]["hits"]
        if hits:
            first[key] = Source.model_validate(hits[0]["_source"])
    for doc in docs:
        key = cluster_of(doc)
        if doc.get("outlet"):
            outlets[key].add(str(doc["outlet"]))
        candidate = Source.model_validate(doc)
        if key not in first or _earlier(candidate, first[key]):
            first[key] = candidate
    return {
        key: ClusterInfo(outlets_count=max(1, len(outlets[key])), first_source=source)
        for key, source in first.items()
    }


def _earlier(a: Source, b: Source) -> bool:
    if a.published_at is None:
        return False
    return b.published_at is None or a.published_at < b.published_at


def matching_index_body(statements_index: str) -> dict[str, Any]:
    """Settings and mappings of the matching index: those of the statements index (same
    analysis and default fields), one shard, refreshed only when a batch is staged, no
    per-request translog fsync."""
    template = index_template("statements", statements_index)["template"]
    settings = {
        **template["settings"],
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "refresh_interval": "-1",
        # Staged documents live for one search and are re-staged if anything fails, so they
        # need no fsync per request (the statements themselves are durable in their index).
        "translog": {"durability": "async"},
    }
    return {"settings": settings, "mappings": template["mappings"]}


def _name(position: int) -> str:
    return f"s{position}"


class BatchMatcher:
    def __init__(
        self,
        client: Elasticsearch,
        statements_index: str,
        matching_index: str,
        chunk_size: int = 20,
    ) -> None:
        self.client = client
        self.statements_index = statements_index
        self.index = matching_index
        self.chunk_size = chunk_size
        self._index_ready = False
        self._leftovers: list[str] = []  # staged ids to delete with the next staging request

    def ensure_index(self) -> None:
        if self._index_ready:
            return
        if not self.client.indices.exists(index=self.index):
            try:
                self.client.indices.create(
                    index=self.index, **matching_index_body(self.statements_index)
                )
            except BadRequestError as exc:  # another worker created it first
                if exc.error != "resource_already_exists_exception":
                    raise
        else:  # created by an older version: the dynamic settings follow this one
            translog = matching_index_body(self.statements_index)["settings"]["translog"]
            self.client.indices.put_settings(index=self.index, settings={"translog": translog})
        self._index_ready = True

    def match(
        self, compiled: Sequence[CompiledSubscription], docs: Sequence[Mapping[str, Any]]
    ) -> tuple[BatchMatch, dict[str, ClusterInfo], list[str]]:
        """Returns the matches, the clusters, and the staged ids to ``unstage`` afterwards."""
        result = BatchMatch()
        term_fields = {name for c in compiled for name, _ in c.prefilter.terms}
        facts = [DocFacts.of(d, term_fields) for d in docs]
        admitted = candidates(compiled, docs, facts)
        todo = group_queries(admitted)
        result.searched, result.queries = len(admitted), len(todo)
        if not todo:  # no subscription can match: no round trip at all
            return result, {}, []
        # Only what some subscription can match is staged, and only its clusters are asked
        # about: most statements of a busy stream concern no subscription.
        docs = matchable(admitted, docs, facts)
        cluster_ids = sorted({cluster_of(d) for d in docs})
        staged = self._stage(docs)
        chunks = [todo[i : i + self.chunk_size] for i in range(0, len(todo), self.chunk_size)]
        searches: list[dict[str, Any]] = [
            {"index": self.statements_index},
            cluster_search(cluster_ids),
        ]
        for chunk in chunks:
            searches += self._chunk_search(chunk, staged)
        responses = self._msearch(searches)
        result.cluster_response = self._ok(responses[0])
        clusters = parse_clusters(result.cluster_response, docs)
        retry: list[list[QueryGroup]] = []
        for chunk, response in zip(chunks, responses[1:], strict=True):
            self._collect(chunk, response, result, retry)
        while retry:  # isolate the subscriptions Elasticsearch refuses, one split at a time
            halves = [h for c in retry for h in (c[: len(c) // 2], c[len(c) // 2 :]) if h]
            retry = []
            searches = [line for h in halves for line in self._chunk_search(h, staged)]
            for chunk, response in zip(halves, self._msearch(searches), strict=True):
                self._collect(chunk, response, result, retry)
        return result, clusters, staged

    def _stage(self, docs: Sequence[Mapping[str, Any]]) -> list[str]:
        """Index the batch into the matching index (refreshed); returns the staged ``_id``s."""
        self.ensure_index()
        batch = uuid.uuid4().hex[:12]
        leftovers, self._leftovers = self._leftovers, []
        operations: list[Mapping[str, Any]] = [
            {"delete": {"_index": self.index, "_id": i}} for i in leftovers
        ]
        staged = []
        for doc in docs:
            staged.append(f"{batch}:{doc['statement_id']}")
            operations.append({"index": {"_index": self.index, "_id": staged[-1]}})
            operations.append(doc)
        try:
            response = self.client.bulk(operations=operations, refresh=True)
        except Exception as exc:
            self._index_ready = False  # deleted meanwhile? check again next time
            self._leftovers = leftovers + self._leftovers
            raise MatchingError(f"staging the batch failed: {exc}") from exc
        # Only the staged documents count: a leftover that could not be deleted stays
        # (harmless: no search looks at another batch's ids).
        failed = [i["index"] for i in response["items"] if i.get("index", {}).get("error")]
        if failed:
            statuses = [int(f.get("status", 500)) for f in failed]
            if any(status == 429 or status >= 500 for status in statuses):
                raise MatchingUnavailableError(f"staging the batch failed: {failed[0]['error']}")
            # A statement the matching index refuses (its own mapping): that statement's fault.
            raise ValueError(f"statement refused by the matching index: {failed[0]['error']}")
        return staged

    def unstage_later(self, staged: Sequence[str]) -> None:
        """Delete a matched batch with the next staging request (``unstage`` for the rest)."""
        self._leftovers.extend(staged)

    def unstage_leftovers(self) -> None:
        """Delete what ``unstage_later`` kept, now (on close)."""
        leftovers, self._leftovers = self._leftovers, []
        self.unstage(leftovers)

    def unstage(self, staged: Sequence[str]) -> None:
        """Delete a matched batch from the matching index (leftovers are harmless: every search
        is restricted to its own batch's ids)."""
        if not staged:
            return
        operations = [{"delete": {"_index": self.index, "_id": i}} for i in staged]
        self.client.bulk(operations=operations)

    def _chunk_search(
        self, chunk: Sequence[QueryGroup], staged: Sequence[str]
    ) -> list[dict[str, Any]]:
        queries = [named(c.query, _name(i)) for i, c in enumerate(chunk)]
        return [{"index": self.index}, multi_match_search(queries, staged)]

    def _msearch(self, searches: list[dict[str, Any]]) -> list[Mapping[str, Any]]:
        try:
            response = self.client.msearch(searches=searches)
        except Exception as exc:
            raise MatchingError(f"msearch failed: {exc}") from exc
        return list(response["responses"])

    @staticmethod
    def _ok(response: Mapping[str, Any]) -> Mapping[str, Any]:
        if "error" in response:
            status = int(response.get("status", 500))
            kind = (
                MatchingError if 400 <= status < 500 and status != 429 else MatchingUnavailableError
            )
            raise kind(f"search failed ({status}): {_reason(response)}")
        return response

    def _collect(
        self,
        chunk: Sequence[QueryGroup],
        response: Mapping[str, Any],
        result: BatchMatch,
        retry: list[list[QueryGroup]],
    ) -> None:
        if "error" in response:
            status = int(response.get("status", 500))
            if status != 400:
                raise MatchingUnavailableError(f"search failed ({status}): {_reason(response)}")
            if len(chunk) > 1:
                retry.append(list(chunk))
                return
            for sub in chunk[0].subscriptions:
                result.skipped[sub.subscription_id] = _reason(response)
                log.error(
                    "subscription_query_failed",
                    subscription_id=sub.subscription_id,
                    error=_reason(response),
                )
            return
        for hit in response["hits"]["hits"]:
            statement = str(hit["_source"]["statement_id"])
            for name in hit.get("matched_queries", []):
                for sub in chunk[int(name[1:])].subscriptions:
                    result.matches.setdefault(sub.subscription_id, set()).add(statement)


def _reason(response: Mapping[str, Any]) -> str:
    error = response.get("error", {})
    if isinstance(error, Mapping):
        root = error.get("root_cause") or [error]
        first = root[0] if root else error
        caused = error.get("caused_by", {})
        parts = [str(first.get("type", "")), str(first.get("reason", ""))]
        if isinstance(caused, Mapping) and caused.get("reason"):
            parts.append(str(caused["reason"]))
        return ": ".join(p for p in parts if p)
    return str(error)


def cluster_of(doc: Mapping[str, Any]) -> str:
    # A statement without a cluster is its own cluster.
    return str(doc.get("cluster_id") or doc["statement_id"])


def _published(doc: Mapping[str, Any]) -> str:
    value = doc.get("published_at") or doc.get("seen_at")
    return str(value) if value else "9999"


@dataclass(frozen=True)
class UnbuildableAlert:
    """A match whose alert could not be built (a statement the alert model refuses)."""

    subscription_id: str
    statement: Mapping[str, Any]
    error: Exception


def build_alerts(
    batch: BatchMatch,
    subscriptions: Mapping[str, Subscription],
    docs: Iterable[Mapping[str, Any]],
    clusters: Mapping[str, ClusterInfo],
    now: datetime | None = None,
    unbuildable: list[UnbuildableAlert] | None = None,
) -> list[Alert]:
    """One alert per (subscription, cluster): the earliest published matching statement of the
    batch represents the cluster; ``first_source`` is the earliest in the whole index.  With
    ``unbuildable``, an alert that cannot be built is reported there instead of raising, so
    one statement does not stop the others' alerts."""
    now = now or utcnow()
    by_id = {str(d["statement_id"]): d for d in docs}
    alerts: list[Alert] = []
    for sub_id, statement_ids in sorted(batch.matches.items()):
        sub = subscriptions[sub_id]
        per_cluster: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for sid in statement_ids:
            per_cluster[cluster_of(by_id[sid])].append(by_id[sid])
        for cluster_id, members in sorted(per_cluster.items()):
            doc = min(members, key=lambda d: (_published(d), str(d["statement_id"])))
            info = clusters.get(cluster_id)
            try:
                alerts.append(alert_for(sub, doc, cluster_id, info, now))
            except Exception as exc:
                if unbuildable is None:
                    raise
                unbuildable.append(UnbuildableAlert(sub_id, doc, exc))
    return alerts


def alert_for(
    sub: Subscription,
    doc: Mapping[str, Any],
    cluster_id: str,
    info: ClusterInfo | None,
    now: datetime,
) -> Alert:
    triggers = matched_triggers(doc.get("triggers") or [], sub.filters)
    outlets = {d for d in [doc.get("outlet")] if d}
    first = info.first_source if info is not None else Source.model_validate(doc)
    return Alert(
        alert_id=alert_id(sub.subscription_id, cluster_id),
        subscription_id=sub.subscription_id,
        subscription_name=sub.name,
        owner=sub.owner,
        query=sub.query,
        filters=sub.filters,
        cluster_id=cluster_id,
        statement_id=str(doc["statement_id"]),
        article_id=doc.get("article_id"),
        kind=doc.get("kind"),
        quote=Span.model_validate(doc.get("quote") or {}),
        speaker=Speaker.model_validate(doc.get("speaker") or {}),
        triggers=triggers,
        trigger_categories=sorted({t.category for t in triggers}),
        stances=sorted({t.stance for t in triggers}),
        url=doc.get("url"),
        title=doc.get("title"),
        outlet=doc.get("outlet"),
        language=doc.get("language"),
        published_at=doc.get("published_at"),
        first_source=first,
        outlets_count=info.outlets_count if info is not None else max(1, len(outlets)),
        channels=[c.type for c in sub.channels],
        delivery_mode=sub.delivery.mode,
        statement_indexed_at=doc.get("indexed_at"),
        created_at=now,
    )
