"""Subscriptions and alerts: the two records of the alerting sink, defined once here.

A ``Subscription`` is stored in ``parley-subscriptions``; an ``Alert`` is written to
``parley-alerts`` and produced to ``parley.alerts.v1`` (key = alert id).  The alert id is derived
from the subscription id and the statement *cluster* id, so one statement carried by many outlets
gives one alert per subscription, however often the pipeline re-runs (DESIGN.md: ids).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ALERT_SCHEMA = "parley.alerts.v1"

TriggerCategory = Literal[
    "negotiations",
    "ceasefire",
    "peace_plan",
    "agreement",
    "prisoner_exchange",
    "security_guarantees",
    "conflict_end",
]
Stance = Literal["positive", "negative", "neutral"]
AlertStatus = Literal[
    "new",  # written by the matcher, not yet produced to Kafka
    "queued",  # produced to parley.alerts.v1, waiting for a dispatcher
    "delivered",
    "failed",  # every retry failed; the delivery is in the dead-letter topic
    "partial",  # some channels delivered, the others dead-lettered
    "digest_pending",  # waits for the subscription's next digest
    "deferred",  # over the rate limit; goes out in a catch-up digest
    "digest_sending",  # claimed by one dispatcher for a digest
    "cancelled",  # the subscription was deleted or disabled before delivery
]
FINAL_STATUSES: frozenset[str] = frozenset({"delivered", "failed", "partial", "cancelled"})


#: Subscription ids: generated ones are 32 hex digits; imported ones may be any such token.
SUBSCRIPTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def alert_id(subscription_id: str, cluster_id: str) -> str:
    """128-bit hex id; the separator keeps ``("ab", "c")`` and ``("a", "bc")`` apart."""
    raw = f"{subscription_id}\x1f{cluster_id}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def _http_url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    if parts.username or parts.password:
        raise ValueError("credentials in the URL are not allowed; use a signing secret")
    return value


_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class WebhookChannel(BaseModel):
    """POST of the alert as JSON, signed with HMAC-SHA256 (see ``sinks.alerts.signing``)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["webhook"] = "webhook"
    url: str
    secret: str | None = Field(
        None,
        description="name of a signing secret configured in alerts.signing_secrets; "
        "empty = the global alerts.signing_secret",
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _http_url(value)


class SlackChannel(BaseModel):
    """A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat accept ``text``)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["slack"] = "slack"
    url: str

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _http_url(value)


class EmailChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["email"] = "email"
    to: list[str] = Field(min_length=1)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        out = [v.strip() for v in value]
        bad = [v for v in out if not _EMAIL.match(v)]
        if bad:
            raise ValueError(f"not an e-mail address: {', '.join(bad)}")
        return out


Channel = Annotated[WebhookChannel | SlackChannel | EmailChannel, Field(discriminator="type")]


class SubscriptionFilters(BaseModel):
    """Structured filters; every non-empty one must hold (AND), values inside one are OR."""

    model_config = ConfigDict(extra="forbid")

    speakers: list[str] = Field(default_factory=list, description="phrase in speaker.name")
    countries: list[str] = Field(default_factory=list, description="speaker.country, ISO alpha-2")
    officials_only: bool = False
    categories: list[TriggerCategory] = Field(default_factory=list)
    stances: list[Stance] = Field(default_factory=list)
    outlets: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list, description="ISO 639-1")

    @field_validator("countries")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [v.strip().upper() for v in value if v.strip()]

    @field_validator("languages")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value if v.strip()]

    @field_validator("speakers", "outlets")
    @classmethod
    def _strip(cls, value: list[str]) -> list[str]:
        return [v.strip() for v in value if v.strip()]

    def is_empty(self) -> bool:
        return not (
            self.speakers
            or self.countries
            or self.officials_only
            or self.categories
            or self.stances
            or self.outlets
            or self.languages
        )


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_alerts: int = Field(ge=1)
    period_seconds: int = Field(3600, ge=1)


class DeliveryOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["immediate", "digest"] = "immediate"
    digest: Literal["hourly", "daily"] = "hourly"
    rate_limit: RateLimit | None = Field(
        None, description="immediate mode: alerts above the limit go out in a catch-up digest"
    )


class SubscriptionSpec(BaseModel):
    """What a user writes to subscribe."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    query: str | None = Field(
        None, description="Lucene query string, as in Kibana's Lucene mode, on parley-statements"
    )
    filters: SubscriptionFilters = SubscriptionFilters()
    channels: list[Channel] = Field(min_length=1)
    delivery: DeliveryOptions = DeliveryOptions()
    enabled: bool = True
    owner: str | None = Field(None, description="set from the API token unless the caller is admin")

    @field_validator("query")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value if value is not None and value.strip() else None

    @model_validator(mode="after")
    def _something_to_match(self) -> SubscriptionSpec:
        if self.query is None and self.filters.is_empty():
            raise ValueError("a subscription needs a query or at least one filter")
        return self


class Subscription(SubscriptionSpec):
    subscription_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    owner: str = "admin"
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class SubscriptionUpdate(BaseModel):
    """A partial update: fields left out keep their value; ``channels`` replaces the list."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    query: str | None = None
    filters: SubscriptionFilters | None = None
    channels: list[Channel] | None = Field(None, min_length=1)
    delivery: DeliveryOptions | None = None
    enabled: bool | None = None
    owner: str | None = None

    def apply(self, current: Subscription) -> Subscription:
        data = current.model_dump()
        data.update(self.model_dump(exclude_unset=True))
        data["updated_at"] = utcnow()
        return Subscription.model_validate(data)


# -- alerts ------------------------------------------------------------------------------------


class Span(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = ""
    start: int | None = None
    end: int | None = None


class Speaker(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mention: Span | None = None
    name: str | None = None
    role: str | None = None
    organization: str | None = None
    country: str | None = None
    official: bool | None = None


class Trigger(BaseModel):
    model_config = ConfigDict(extra="ignore")

    category: str
    stance: str
    text: str = ""
    start: int | None = None
    end: int | None = None
    codes: list[str] = Field(default_factory=list)


class Source(BaseModel):
    """Where the statement was first published (earliest ``published_at`` in its cluster)."""

    model_config = ConfigDict(extra="ignore")

    outlet: str | None = None
    url: str | None = None
    title: str | None = None
    article_id: str | None = None
    published_at: datetime | None = None


class ChannelOutcome(BaseModel):
    channel: str  # "webhook", "email", "slack"
    index: int  # position in the subscription's channel list
    # refused: the SSRF guard refused the target; invalid: the message could not be built or
    # was refused by the channel's own validation (retrying cannot help).
    outcome: Literal["delivered", "failed", "refused", "invalid"]
    attempts: int
    error: str | None = None


class Alert(BaseModel):
    """One alert: a subscription matched a statement cluster."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    schema_: str = Field(ALERT_SCHEMA, alias="schema")
    alert_id: str
    subscription_id: str
    subscription_name: str
    owner: str
    # Why it fired: the subscription's query and filters, and the triggers that satisfied them.
    query: str | None = None
    filters: SubscriptionFilters = SubscriptionFilters()
    cluster_id: str
    statement_id: str
    article_id: str | None = None
    kind: str | None = None
    quote: Span
    speaker: Speaker = Speaker()
    triggers: list[Trigger] = Field(default_factory=list)
    trigger_categories: list[str] = Field(default_factory=list)
    stances: list[str] = Field(default_factory=list)
    url: str | None = None
    title: str | None = None
    outlet: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    first_source: Source = Source()
    outlets_count: int = 1
    channels: list[str] = Field(default_factory=list)
    delivery_mode: Literal["immediate", "digest"] = "immediate"
    status: AlertStatus = "new"
    attempts: int = 0
    deliveries: list[ChannelOutcome] = Field(default_factory=list)
    statement_indexed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    due_at: datetime | None = None
    claimed_at: datetime | None = None
    delivered_at: datetime | None = None

    def to_document(self) -> dict[str, Any]:
        doc = self.model_dump(mode="json", by_alias=True)
        doc["@timestamp"] = doc["created_at"]
        return doc

    def to_bytes(self) -> bytes:
        return self.model_dump_json(by_alias=True).encode()
