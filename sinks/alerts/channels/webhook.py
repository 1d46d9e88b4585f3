"""Signed JSON webhooks.

Each attempt is signed afresh (timestamp + HMAC-SHA256, see ``sinks.alerts.signing``) and carries
``X-Parley-Delivery`` (stable across retries) so that receivers can drop duplicates.  Redirects are
not followed: a webhook that moved must be updated by its owner, and a redirect is the classic way
around an SSRF check.  The httpx client uses the SSRF guard's transport, so every connection goes
to an address the guard checked — the refusal happens before any connection is attempted.
"""

from __future__ import annotations

import httpx

from sinks.alerts.channels.base import (
    DeliveryError,
    HostLimiter,
    classify_http,
    transport_error,
)
from sinks.alerts.config import AlertsSettings
from sinks.alerts.models import Channel, WebhookChannel
from sinks.alerts.render import Delivery, json_body, webhook_payload
from sinks.alerts.signing import signed_headers

USER_AGENT = "parley-webhook/1"


class WebhookSender:
    def __init__(
        self, client: httpx.AsyncClient, settings: AlertsSettings, limiter: HostLimiter
    ) -> None:
        self.client = client
        self.settings = settings
        self.limiter = limiter

    async def send(self, channel: Channel, delivery: Delivery, attempt: int) -> None:
        assert isinstance(channel, WebhookChannel)
        secret = self.settings.signing_key(channel.secret)
        if not secret:
            raise DeliveryError("no signing secret configured for this webhook", permanent=True)
        body = json_body(webhook_payload(delivery, self.settings.kibana_url))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Parley-Event": delivery.kind,
            "X-Parley-Delivery": delivery.delivery_id,
            "X-Parley-Attempt": str(attempt),
            **signed_headers(secret, body),
        }
        try:
            async with self.limiter.slot(channel.url):
                response = await self.client.post(
                    channel.url,
                    content=body,
                    headers=headers,
                    timeout=self.settings.retry.timeout,
                    follow_redirects=False,
                )
        except Exception as exc:  # every transport failure is classified, none escapes
            raise transport_error(exc) from exc
        classify_http(response)
