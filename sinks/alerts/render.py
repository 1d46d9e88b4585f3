"""What a subscriber receives, as JSON (webhook) and as text (e-mail, Slack) — pure functions.

Every message says why it fired: the subscription, the trigger(s) and stance that matched, the
quote, the speaker with role, the link, the first source and how many outlets carried it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from sinks.alerts.models import Alert, Subscription

WEBHOOK_SCHEMA = "parley.webhook.v1"


@dataclass(frozen=True)
class Delivery:
    """One message to one subscription: a single alert, or a digest of several."""

    kind: Literal["alert", "digest"]
    delivery_id: str
    subscription: Subscription
    alerts: tuple[Alert, ...]
    window_start: datetime | None = None
    window_end: datetime | None = None

    @classmethod
    def single(cls, subscription: Subscription, alert: Alert) -> Delivery:
        return cls("alert", alert.alert_id, subscription, (alert,))

    @classmethod
    def digest(
        cls,
        subscription: Subscription,
        alerts: tuple[Alert, ...],
        window_start: datetime | None,
        window_end: datetime | None,
    ) -> Delivery:
        ids = "\x1f".join(sorted(a.alert_id for a in alerts))
        digest_id = hashlib.sha256(f"{subscription.subscription_id}\x1e{ids}".encode()).hexdigest()
        return cls("digest", digest_id[:32], subscription, alerts, window_start, window_end)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def alert_payload(alert: Alert, kibana_url: str | None = None) -> dict[str, Any]:
    speaker = alert.speaker
    payload: dict[str, Any] = {
        "alert_id": alert.alert_id,
        "created_at": _iso(alert.created_at),
        "why": {
            "subscription": {
                "id": alert.subscription_id,
                "name": alert.subscription_name,
                "query": alert.query,
                "filters": alert.filters.model_dump(exclude_defaults=True),
            },
            "triggers": [
                {"category": t.category, "stance": t.stance, "text": t.text, "codes": t.codes}
                for t in alert.triggers
            ],
        },
        "statement_id": alert.statement_id,
        "cluster_id": alert.cluster_id,
        "kind": alert.kind,
        "quote": {"text": alert.quote.text},
        "speaker": {
            "name": speaker.name,
            "role": speaker.role,
            "organization": speaker.organization,
            "country": speaker.country,
            "official": speaker.official,
            "mention": {"text": speaker.mention.text} if speaker.mention else None,
        },
        "url": alert.url,
        "title": alert.title,
        "outlet": alert.outlet,
        "language": alert.language,
        "published_at": _iso(alert.published_at),
        "first_source": {
            "outlet": alert.first_source.outlet,
            "url": alert.first_source.url,
            "published_at": _iso(alert.first_source.published_at),
        },
        "outlets_count": alert.outlets_count,
    }
    if kibana_url:
        payload["kibana_url"] = kibana_link(kibana_url, alert)
    return payload


def kibana_link(base: str, alert: Alert) -> str:
    query = quote(f'cluster_id:"{alert.cluster_id}"')
    return f"{base.rstrip('/')}/app/discover#/?_a=(query:(language:lucene,query:'{query}'))"


def webhook_payload(delivery: Delivery, kibana_url: str | None = None) -> dict[str, Any]:
    sub = delivery.subscription
    base: dict[str, Any] = {
        "schema": WEBHOOK_SCHEMA,
        "type": delivery.kind,
        "delivery_id": delivery.delivery_id,
        "subscription": {"id": sub.subscription_id, "name": sub.name, "owner": sub.owner},
    }
    if delivery.kind == "alert":
        base["alert"] = alert_payload(delivery.alerts[0], kibana_url)
    else:
        base["window"] = {
            "start": _iso(delivery.window_start),
            "end": _iso(delivery.window_end),
        }
        base["count"] = len(delivery.alerts)
        base["alerts"] = [alert_payload(a, kibana_url) for a in delivery.alerts]
    return base


def speaker_line(alert: Alert) -> str:
    s = alert.speaker
    who = s.name or (s.mention.text if s.mention else None) or s.organization or "unknown speaker"
    details = [d for d in (s.role, s.organization if s.name else None, s.country) if d]
    return f"{who} ({', '.join(details)})" if details else who


def trigger_line(alert: Alert) -> str:
    if not alert.triggers:
        return "query match"
    return "; ".join(f"{t.category} / {t.stance}: “{t.text}”" for t in alert.triggers)


def alert_text(alert: Alert, kibana_url: str | None = None) -> str:
    first = alert.first_source
    lines = [
        f"{speaker_line(alert)}:",
        f"  “{alert.quote.text}”",
        f"Why: subscription “{alert.subscription_name}” — {trigger_line(alert)}",
        f"Link: {alert.url or '-'}",
        f"First source: {first.outlet or '-'} {first.url or ''}".rstrip()
        + (f" ({_iso(first.published_at)})" if first.published_at else ""),
        f"Carried by {alert.outlets_count} outlet{'s' if alert.outlets_count != 1 else ''}",
    ]
    if kibana_url:
        lines.append(f"Kibana: {kibana_link(kibana_url, alert)}")
    return "\n".join(lines)


def subject(delivery: Delivery) -> str:
    if delivery.kind == "digest":
        n = len(delivery.alerts)
        return f"[parley] {delivery.subscription.name}: {n} alert{'s' if n != 1 else ''}"
    alert = delivery.alerts[0]
    quote_text = alert.quote.text if len(alert.quote.text) <= 80 else alert.quote.text[:77] + "…"
    who = alert.speaker.name or alert.speaker.organization or "statement"
    return f"[parley] {delivery.subscription.name}: {who}: “{quote_text}”"


def text_body(delivery: Delivery, kibana_url: str | None = None) -> str:
    parts = [alert_text(a, kibana_url) for a in delivery.alerts]
    header = ""
    if delivery.kind == "digest":
        header = (
            f"{len(delivery.alerts)} alerts for “{delivery.subscription.name}”"
            f" ({_iso(delivery.window_start) or '…'} – {_iso(delivery.window_end) or '…'})\n\n"
        )
    footer = f"\n\n— parley subscription {delivery.subscription.subscription_id}"
    return header + "\n\n".join(parts) + footer


def slack_payload(delivery: Delivery, kibana_url: str | None = None) -> dict[str, Any]:
    """Slack incoming-webhook JSON; ``text`` alone is what Slack-compatible servers accept."""
    return {"text": f"*{subject(delivery)}*\n{text_body(delivery, kibana_url)}"}
