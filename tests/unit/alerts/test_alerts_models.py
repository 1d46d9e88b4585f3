"""Subscription validation and alert ids."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from sinks.alerts.models import Alert, Span, SubscriptionSpec, SubscriptionUpdate, alert_id

WEBHOOK = {"type": "webhook", "url": "https://hooks.example.org/parley"}


def spec(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "talks", "query": "negotiations", "channels": [WEBHOOK]}
    data.update(over)
    return data


def test_alert_id_is_deterministic_and_separates_its_parts() -> None:
    assert alert_id("sub", "cluster") == alert_id("sub", "cluster")
    assert alert_id("ab", "c") != alert_id("a", "bc")
    assert len(alert_id("sub", "cluster")) == 32


def test_a_subscription_needs_a_query_or_a_filter() -> None:
    with pytest.raises(ValidationError, match="query or at least one filter"):
        SubscriptionSpec.model_validate(spec(query="  "))
    SubscriptionSpec.model_validate(spec(query=None, filters={"officials_only": True}))


def test_a_subscription_needs_a_channel() -> None:
    with pytest.raises(ValidationError, match="channels"):
        SubscriptionSpec.model_validate(spec(channels=[]))


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/x", "not a url", "https://user:pw@example.org/hook", "file:///etc/passwd"],
)
def test_webhook_urls_must_be_plain_http(url: str) -> None:
    with pytest.raises(ValidationError):
        SubscriptionSpec.model_validate(spec(channels=[{"type": "webhook", "url": url}]))


def test_email_addresses_are_checked_and_filters_normalised() -> None:
    with pytest.raises(ValidationError, match="not an e-mail address: nobody"):
        SubscriptionSpec.model_validate(spec(channels=[{"type": "email", "to": ["nobody"]}]))
    sub = SubscriptionSpec.model_validate(
        spec(filters={"countries": [" ru "], "languages": ["EN"], "categories": ["ceasefire"]})
    )
    assert sub.filters.countries == ["RU"]
    assert sub.filters.languages == ["en"]
    with pytest.raises(ValidationError):
        SubscriptionSpec.model_validate(spec(filters={"categories": ["weather"]}))


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        SubscriptionSpec.model_validate(spec(colour="red"))


def test_update_keeps_what_it_does_not_mention() -> None:
    from sinks.alerts.models import Subscription

    sub = Subscription.model_validate(spec(filters={"countries": ["RU"]}))
    changed = SubscriptionUpdate(name="renamed").apply(sub)
    assert changed.name == "renamed"
    assert changed.query == sub.query and changed.filters == sub.filters
    assert changed.subscription_id == sub.subscription_id
    assert changed.updated_at >= sub.updated_at
    with pytest.raises(ValidationError):
        SubscriptionUpdate(query=None, filters=None).model_copy(update={"query": ""}).apply(
            Subscription.model_validate(spec())
        )


def test_alert_document_round_trips() -> None:
    alert = Alert(
        alert_id="a" * 32,
        subscription_id="s",
        subscription_name="n",
        owner="o",
        cluster_id="c",
        statement_id="st",
        quote=Span(text="q"),
    )
    doc = alert.to_document()
    assert doc["schema"] == "parley.alerts.v1"
    assert doc["@timestamp"] == doc["created_at"]
    assert Alert.model_validate(doc) == alert
    assert Alert.model_validate_json(alert.to_bytes()) == alert
