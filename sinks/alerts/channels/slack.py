"""Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat, Discord's /slack URL).

The URL itself is the credential, so it goes through the same SSRF-guarded client as webhooks and
is never logged.
"""

from __future__ import annotations

import httpx

from sinks.alerts.channels.base import HostLimiter, classify_http, transport_error
from sinks.alerts.config import AlertsSettings
from sinks.alerts.models import Channel, SlackChannel
from sinks.alerts.render import Delivery, json_body, slack_payload


class SlackSender:
    def __init__(
        self, client: httpx.AsyncClient, settings: AlertsSettings, limiter: HostLimiter
    ) -> None:
        self.client = client
        self.settings = settings
        self.limiter = limiter

    async def send(self, channel: Channel, delivery: Delivery, attempt: int) -> None:
        assert isinstance(channel, SlackChannel)
        body = json_body(slack_payload(delivery, self.settings.kibana_url))
        try:
            async with self.limiter.slot(channel.url):
                response = await self.client.post(
                    channel.url,
                    content=body,
                    headers={"Content-Type": "application/json"},
                    timeout=self.settings.retry.timeout,
                    follow_redirects=False,
                )
        except Exception as exc:
            raise transport_error(exc) from exc
        classify_http(response)
