"""Untrusted text (a subscription's name, an article's quote) cannot break a message, and a
channel that cannot build a message ends that delivery alone, without stopping anything."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sinks.alerts.channels.base import deliver_with_retries
from sinks.alerts.channels.email import EmailSender
from sinks.alerts.config import RetrySettings, SmtpSettings
from sinks.alerts.models import (
    Alert,
    EmailChannel,
    Span,
    Speaker,
    Subscription,
    WebhookChannel,
)
from sinks.alerts.render import (
    Delivery,
    header,
    inline,
    json_body,
    slack_payload,
    subject,
    text_body,
    webhook_payload,
)

# Everything a mail parser or str.splitlines treats as a line break, plus NUL and bidi
# overrides.  (Lone surrogates never reach a message: the models refuse them.)
NASTY = "\r\n\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e\x1f\x00\u202e\u2066\t"
HOSTILE_NAME = "hi\r\nBcc: evil@example.org"


def make_delivery(name: str, quote: str, speaker: str = "Dmitry Peskov") -> Delivery:
    sub = Subscription(name=name, query="talks", channels=[EmailChannel(to=["desk@example.org"])])
    alert = Alert(
        alert_id="a" * 32,
        subscription_id=sub.subscription_id,
        subscription_name=name,
        owner="admin",
        cluster_id="c1",
        statement_id="s1",
        quote=Span(text=quote),
        speaker=Speaker(name=speaker, role="spokesman"),
        url="https://example.org/a",
    )
    return Delivery.single(sub, alert)


def parsed_headers(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


@pytest.mark.parametrize("char", list(NASTY))
def test_no_character_can_add_a_header(char: str) -> None:
    delivery = make_delivery(f"hi{char}Bcc: evil@example.org", f"open{char}X-Evil: 1 to talks")
    raw = EmailSender(SmtpSettings()).build(EmailChannel(to=["desk@example.org"]), delivery)
    message = parsed_headers(raw.as_bytes())
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "Bcc: evil@example.org" in str(message["Subject"])
    assert message.get_all("Subject") and len(message.get_all("Subject")) == 1


def test_the_issue_s_subscription_name_gives_one_encoded_folded_subject() -> None:
    quote = "Россия «остаётся открытой для переговоров» " * 5
    delivery = make_delivery(HOSTILE_NAME, quote)
    raw = EmailSender(SmtpSettings()).build(EmailChannel(to=["desk@example.org"]), delivery)
    data = raw.as_bytes()
    assert all(len(line) <= 78 for line in data.split(b"\n") if line.startswith(b"Subject"))
    assert b"=?utf-8?" in data  # RFC 2047: non-ASCII encoded, not raw
    assert subject(delivery) == header(subject(delivery))
    assert len(subject(delivery)) <= 200


@settings(max_examples=300, deadline=None)
@given(name=st.text(min_size=1, max_size=200), quote=st.text(max_size=500))
def test_any_text_renders_in_every_channel(name: str, quote: str) -> None:
    delivery = make_delivery(name, quote, speaker=quote[:40] or "x")
    raw = EmailSender(SmtpSettings(), "https://kibana.example.org").build(
        EmailChannel(to=["desk@example.org"]), delivery
    )
    message = parsed_headers(raw.as_bytes())
    assert set(message.keys()) == {
        "From", "To", "Subject", "Date", "Message-ID", "X-Parley-Delivery",
        "X-Parley-Subscription", "Content-Type", "Content-Transfer-Encoding", "MIME-Version",
    }  # fmt: skip
    for text in (subject(delivery), *text_body(delivery).split("\n")):
        assert text == "" or not any(c in NASTY.replace("\t", "") for c in text)
    for payload in (webhook_payload(delivery), slack_payload(delivery)):
        json.loads(json_body(payload).decode("utf-8"))


def test_line_breaks_become_spaces_and_the_quote_stays_one_line() -> None:
    assert inline("a\u2028b\r\nc\x85d\x00e\u202ef  g") == "a b c d e f g"
    assert inline("lone \ud800 surrogate") == "lone \ufffd surrogate"
    assert header("x" * 500) == "x" * 199 + "…"
    body = text_body(make_delivery("n", "first line\nsecond line"))
    assert "“first line second line”" in body


def test_slack_text_cannot_mention_everyone_or_hide_a_link() -> None:
    text = slack_payload(make_delivery("<!channel> & co", "see <https://evil.example|here>"))[
        "text"
    ]
    assert "<!channel>" not in text and "<https://" not in text
    assert "&lt;!channel&gt; &amp; co" in text


def test_webhook_json_keeps_the_text_as_extracted() -> None:
    quote = "line one\u2028line two"
    payload = webhook_payload(make_delivery("n", quote))
    assert payload["alert"]["quote"]["text"] == quote
    assert json.loads(json_body(payload))["alert"]["quote"]["text"] == quote
    assert json.loads(json_body({"t": "\ud800"})) == {"t": "\ud800"}


class RaisingSender:
    def __init__(self, error: Exception, times: int = 1) -> None:
        self.error, self.times, self.calls = error, times, 0

    async def send(self, channel: Any, delivery: Delivery, attempt: int) -> None:
        self.calls += 1
        if self.calls <= self.times:
            raise self.error


async def _no_sleep(seconds: float) -> None:
    return None


def _run(sender: RaisingSender) -> Any:
    delivery = make_delivery("n", "q")
    channel = WebhookChannel(url="https://example.org/hook")
    return asyncio.run(
        deliver_with_retries(
            sender, channel, 0, delivery, RetrySettings(max_attempts=4), sleep=_no_sleep
        )
    )


def test_a_message_the_channel_cannot_build_is_invalid_at_once() -> None:
    sender = RaisingSender(ValueError("Header values may not contain linefeed"), times=9)
    outcome = _run(sender)
    assert (outcome.outcome, outcome.attempts, sender.calls) == ("invalid", 1, 1)
    assert "ValueError: Header values may not contain linefeed" in (outcome.error or "")


def test_an_infrastructure_error_inside_a_sender_is_retried() -> None:
    sender = RaisingSender(ConnectionResetError("reset"), times=2)
    outcome = _run(sender)
    assert (outcome.outcome, outcome.attempts) == ("delivered", 3)
