"""Delivery channels: signed webhook, e-mail over SMTP, Slack-compatible incoming webhook.

Each sender makes one attempt and raises ``DeliveryError`` (``permanent`` or retryable);
``deliver_with_retries`` owns the retry policy, so the senders stay small.
"""
