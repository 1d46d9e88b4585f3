"""Subscriptions in Elasticsearch (``parley-subscriptions``) and the matcher's cached view of them.

Every write validates first, so a broken subscription never reaches the matcher:

- its fields pass the intake checks (``sinks.alerts.intake``: no control characters, bounded
  lengths and counts) and its query is not too expensive to run on every batch;
- the compiled query (Lucene string + filters) passes ``indices.validate_query`` against
  ``parley-statements`` — the same check Kibana's Lucene mode would fail on;
- webhook and Slack targets pass the SSRF guard (private addresses refused unless allow-listed);
- a webhook has a signing secret configured (webhooks are always signed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ConflictError, Elasticsearch, NotFoundError, helpers
from pydantic import ValidationError

from parley.config import ElasticsearchSettings
from parley.logs import get_logger
from parley.netguard import NetGuard, NetGuardError
from parley.poison import describe
from parley.query_errors import explain_query_error
from sinks.alerts.config import AlertsSettings
from sinks.alerts.intake import intake_problems, query_cost_problems
from sinks.alerts.matching import CompiledSubscription
from sinks.alerts.models import (
    EmailChannel,
    Subscription,
    SubscriptionSpec,
    SubscriptionUpdate,
)
from sinks.alerts.query import compile_query

log = get_logger(__name__)


class SubscriptionError(ValueError):
    """A subscription cannot be stored as written; the message says why."""

    code = "invalid_subscription"


class InvalidQueryError(SubscriptionError):
    code = "invalid_query"


class ExpensiveQueryError(SubscriptionError):
    code = "expensive_query"


class RefusedTargetError(SubscriptionError):
    code = "refused_target"


class MissingSecretError(SubscriptionError):
    code = "missing_signing_secret"


class SubscriptionNotFoundError(KeyError):
    pass


class ConcurrentUpdateError(RuntimeError):
    """Someone else changed the subscription between our read and our write; retry."""


class SubscriptionStore:
    def __init__(
        self,
        client: Elasticsearch,
        es_settings: ElasticsearchSettings,
        alerts: AlertsSettings,
        guard: NetGuard,
    ) -> None:
        self.client = client
        self.alerts = alerts
        self.guard = guard
        self.index = es_settings.index("subscriptions")
        self.statements_index = es_settings.index("statements")

    # -- validation ----------------------------------------------------------------------------

    def validate(self, sub: SubscriptionSpec) -> None:
        problems = intake_problems(sub, self.alerts.subscriptions)
        if problems:
            raise SubscriptionError("; ".join(problems))
        costly = query_cost_problems(sub, self.alerts.subscriptions)
        if costly:
            raise ExpensiveQueryError(f"query too expensive: {'; '.join(costly)}")
        self.validate_query(sub)
        for position, channel in enumerate(sub.channels):
            if isinstance(channel, EmailChannel):
                continue
            try:
                self.guard.check_url(channel.url)
            except NetGuardError as exc:
                raise RefusedTargetError(
                    f"channels[{position}] ({channel.type}): target refused: {exc}"
                ) from exc
            if channel.type == "webhook" and not self.alerts.signing_key(channel.secret):
                which = (
                    f"alerts.signing_secrets[{channel.secret!r}]"
                    if channel.secret
                    else "alerts.signing_secret"
                )
                raise MissingSecretError(
                    f"channels[{position}] (webhook): no signing secret configured in {which}"
                )

    def validate_query(self, sub: SubscriptionSpec) -> None:
        query = compile_query(sub.query, sub.filters)
        response = self.client.indices.validate_query(
            index=self.statements_index, query=query, explain=True
        )
        if response.get("valid"):
            return
        errors = [e.get("error") for e in response.get("explanations", []) if e.get("error")]
        if response.get("error"):
            errors.append(response["error"])
        detail = "; ".join(dict.fromkeys(explain_query_error(str(e)) for e in errors))
        raise InvalidQueryError(f"invalid query {sub.query!r}: {detail or 'refused'}")

    # -- CRUD ----------------------------------------------------------------------------------

    def create(self, spec: SubscriptionSpec, owner: str) -> Subscription:
        sub = Subscription.model_validate({**spec.model_dump(), "owner": spec.owner or owner})
        self.validate(sub)
        self.client.create(
            index=self.index,
            id=sub.subscription_id,
            document=sub.to_document(),
            refresh="wait_for",
        )
        return sub

    def put(self, sub: Subscription, *, validate: bool = True) -> Subscription:
        """Store ``sub`` as it is (import, restore); overwrites an existing one with the id."""
        if validate:
            self.validate(sub)
        self.client.index(
            index=self.index, id=sub.subscription_id, document=sub.to_document(), refresh="wait_for"
        )
        return sub

    def get(self, subscription_id: str) -> Subscription:
        return self._get(subscription_id)[0]

    def _get(self, subscription_id: str) -> tuple[Subscription, tuple[int, int]]:
        try:
            response = self.client.get(index=self.index, id=subscription_id)
        except NotFoundError as exc:
            raise SubscriptionNotFoundError(subscription_id) from exc
        version = (int(response["_seq_no"]), int(response["_primary_term"]))
        return Subscription.model_validate(response["_source"]), version

    def update(self, subscription_id: str, update: SubscriptionUpdate) -> Subscription:
        current, version = self._get(subscription_id)
        new = update.apply(current)
        self.validate(new)
        try:
            self.client.index(
                index=self.index,
                id=subscription_id,
                document=new.to_document(),
                refresh="wait_for",
                if_seq_no=version[0],
                if_primary_term=version[1],
            )
        except ConflictError as exc:
            raise ConcurrentUpdateError(
                f"subscription {subscription_id} changed meanwhile; retry"
            ) from exc
        return new

    def delete(self, subscription_id: str) -> None:
        try:
            self.client.delete(index=self.index, id=subscription_id, refresh="wait_for")
        except NotFoundError as exc:
            raise SubscriptionNotFoundError(subscription_id) from exc

    def list_subscriptions(
        self, owner: str | None = None, *, enabled_only: bool = False
    ) -> list[Subscription]:
        return list(self.iter_all(owner=owner, enabled_only=enabled_only))

    def iter_all(
        self, owner: str | None = None, *, enabled_only: bool = False, page: int = 5000
    ) -> Iterator[Subscription]:
        filters: list[dict[str, Any]] = []
        if owner is not None:
            filters.append({"term": {"owner": owner}})
        if enabled_only:
            filters.append({"term": {"enabled": True}})
        query = {"bool": {"filter": filters}} if filters else {"match_all": {}}
        search_after: list[Any] | None = None
        while True:
            kwargs: dict[str, Any] = {"search_after": search_after} if search_after else {}
            response = self.client.search(
                index=self.index,
                query=query,
                size=page,
                sort=[{"subscription_id": "asc"}],
                track_total_hits=False,
                **kwargs,
            )
            hits = response["hits"]["hits"]
            for hit in hits:
                try:
                    yield Subscription.model_validate(hit["_source"])
                except ValidationError as exc:
                    # Written around this store (another tool, an older version): one such
                    # document must not take every other subscription's alerts with it.
                    log.error(
                        "subscription_unreadable",
                        subscription_id=hit.get("_id"),
                        problems=len(exc.errors()),
                        error=describe(exc, 500),
                    )
            if len(hits) < page:
                return
            search_after = hits[-1]["sort"]

    def bulk_put(self, subs: list[Subscription], *, validate: bool = True) -> None:
        """Store many subscriptions at once (imports, benchmarks)."""
        if validate:
            for sub in subs:
                self.validate(sub)
        helpers.bulk(
            self.client,
            (
                {"_index": self.index, "_id": s.subscription_id, "_source": s.to_document()}
                for s in subs
            ),
            refresh="wait_for",
            chunk_size=2000,
        )


@dataclass(frozen=True)
class SubscriptionSnapshot:
    by_id: Mapping[str, Subscription] = field(default_factory=dict)
    compiled: tuple[CompiledSubscription, ...] = ()
    loaded_at: float = 0.0

    @classmethod
    def of(
        cls, subs: list[Subscription], loaded_at: float, *, compile_queries: bool = True
    ) -> SubscriptionSnapshot:
        """``compile_queries=False``: subscriptions by id only, for readers that match nothing (the
        dispatcher); compiling 10,000 queries costs about half a second of CPU per reload."""
        return cls(
            by_id={s.subscription_id: s for s in subs},
            compiled=tuple(CompiledSubscription.of(s) for s in subs) if compile_queries else (),
            loaded_at=loaded_at,
        )


class SubscriptionCache:
    """The enabled subscriptions, compiled, reloaded every ``ttl`` seconds.

    The first call loads inline; afterwards a stale snapshot is served while one background
    thread reloads it, so a batch never waits for 10,000 subscriptions to be parsed.
    """

    def __init__(
        self,
        load: Callable[[], list[Subscription]],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        compile_queries: bool = True,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._compile_queries = compile_queries
        self._snapshot: SubscriptionSnapshot | None = None
        self._lock = threading.Lock()
        self._first_load = threading.Lock()
        self._refreshing = False

    @classmethod
    def for_store(
        cls, store: SubscriptionStore, ttl: float, *, compile_queries: bool = True
    ) -> SubscriptionCache:
        return cls(
            lambda: store.list_subscriptions(enabled_only=True),
            ttl,
            compile_queries=compile_queries,
        )

    def refresh(self) -> SubscriptionSnapshot:
        started = self._clock()
        snapshot = SubscriptionSnapshot.of(
            self._load(), started, compile_queries=self._compile_queries
        )
        self._snapshot = snapshot
        return snapshot

    @property
    def loaded(self) -> bool:
        return self._snapshot is not None

    def get(self) -> SubscriptionSnapshot:
        snapshot = self._snapshot
        if snapshot is None:
            with self._first_load:  # concurrent first callers share one load
                return self._snapshot or self.refresh()
        if self._clock() - snapshot.loaded_at >= self._ttl:
            self._refresh_in_background()
        return snapshot

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True

        def run() -> None:
            try:
                self.refresh()
            except Exception as exc:  # noqa: BLE001 - serve the old snapshot; the next call retries
                log.warning("subscription_reload_failed", error=str(exc))
            finally:
                with self._lock:
                    self._refreshing = False

        threading.Thread(target=run, name="subscription-cache", daemon=True).start()

    def invalidate(self) -> None:
        self._snapshot = None
