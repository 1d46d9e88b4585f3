"""What a subscriber receives, as JSON (webhook) and as text (e-mail, Slack) — pure functions.

Every message says why it fired: the subscription, the trigger(s) and stance that matched, the
quote, the speaker with role, the link, the first source and how many outlets carried it.

Everything in a message that comes from outside — the article's quote, speaker, title and URL,
the subscriber's name for the subscription — is untrusted text, and each channel renders it so
that it cannot break the message:

- text lines (``parley.safe_text.inline``): control characters, line and paragraph separators
  (U+2028/U+2029, U+0085, VT, FF, the C0 "information separators") and bidirectional overrides
  become spaces, runs of whitespace one space, lone surrogates U+FFFD — a quote is one line;
- e-mail headers (``header``): the same, bounded in length; the e-mail channel then encodes
  (RFC 2047) and folds them, so no value can add a header;
- Slack text: ``&``, ``<`` and ``>`` escaped as Slack asks, so a quote cannot mention
  ``<!channel>`` or hide a link;
- webhook and Slack bodies are JSON (``json_body``), always valid UTF-8.

The stored documents and the webhook's JSON keep the article's text as extracted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import orjson

from parley.safe_text import inline
from sinks.alerts.models import Alert, Subscription

WEBHOOK_SCHEMA = "parley.webhook.v1"
SUBJECT_MAX_CHARS = 200


def header(value: str | None, limit: int = SUBJECT_MAX_CHARS) -> str:
    """Untrusted text for an e-mail header: one line, at most ``limit`` characters."""
    text = inline(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_escape(text: str) -> str:
    """Slack's three control characters in message text (its formatting reference)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def json_body(payload: Any) -> bytes:
    """A JSON request body, UTF-8 whatever the payload holds (a lone surrogate is escaped).
    orjson first: the standard library's encoder costs a burst's dispatcher several times
    more for each webhook."""
    try:
        return orjson.dumps(payload)
    except orjson.JSONEncodeError:  # a lone surrogate, which orjson refuses
        return json.dumps(payload).encode()


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
    line = f"{who} ({', '.join(details)})" if details else who
    return inline(line)


def trigger_line(alert: Alert) -> str:
    if not alert.triggers:
        return "query match"
    return inline("; ".join(f"{t.category} / {t.stance}: “{t.text}”" for t in alert.triggers))


def alert_text(alert: Alert, kibana_url: str | None = None) -> str:
    """The alert as text lines; every untrusted value is one line (``inline``)."""
    first = alert.first_source
    source = inline(f"{first.outlet or '-'} {first.url or ''}".rstrip())
    lines = [
        f"{speaker_line(alert)}:",
        f"  “{inline(alert.quote.text)}”",
        f"Why: subscription “{inline(alert.subscription_name)}” — {trigger_line(alert)}",
        f"Link: {inline(alert.url) or '-'}",
        f"First source: {source}"
        + (f" ({_iso(first.published_at)})" if first.published_at else ""),
        f"Carried by {alert.outlets_count} outlet{'s' if alert.outlets_count != 1 else ''}",
    ]
    if kibana_url:
        lines.append(f"Kibana: {kibana_link(kibana_url, alert)}")
    return "\n".join(lines)


def subject(delivery: Delivery) -> str:
    """The e-mail subject: one line of at most ``SUBJECT_MAX_CHARS`` characters."""
    name = inline(delivery.subscription.name)
    if delivery.kind == "digest":
        n = len(delivery.alerts)
        return header(f"[parley] {name}: {n} alert{'s' if n != 1 else ''}")
    alert = delivery.alerts[0]
    quote_text = inline(alert.quote.text)
    quote_text = quote_text if len(quote_text) <= 80 else quote_text[:77] + "…"
    who = inline(alert.speaker.name or alert.speaker.organization) or "statement"
    return header(f"[parley] {name}: {who}: “{quote_text}”")


def text_body(delivery: Delivery, kibana_url: str | None = None) -> str:
    parts = [alert_text(a, kibana_url) for a in delivery.alerts]
    top = ""
    if delivery.kind == "digest":
        top = (
            f"{len(delivery.alerts)} alerts for “{inline(delivery.subscription.name)}”"
            f" ({_iso(delivery.window_start) or '…'} – {_iso(delivery.window_end) or '…'})\n\n"
        )
    footer = f"\n\n— parley subscription {inline(delivery.subscription.subscription_id)}"
    return top + "\n\n".join(parts) + footer


def slack_payload(delivery: Delivery, kibana_url: str | None = None) -> dict[str, Any]:
    """Slack incoming-webhook JSON; ``text`` alone is what Slack-compatible servers accept."""
    body = slack_escape(text_body(delivery, kibana_url))
    return {"text": f"*{slack_escape(subject(delivery))}*\n{body}"}
