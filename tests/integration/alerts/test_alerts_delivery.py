"""Delivery by the dispatcher to real receivers on 127.0.0.1: retries, dead letters, the SSRF
guard, e-mail (STARTTLS + AUTH), Slack-compatible webhooks, digests and the rate limit."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import time
import typing
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpcore
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from elasticsearch import Elasticsearch
from kafka import KafkaProducer
from support.alerting import (
    PESKOV_TALKS,
    Mailbox,
    WebhookReceiver,
    free_port,
    index_statements,
    iter_records,
    seed_text,
    statement_docs,
    wait_until,
)

from parley.config import Settings
from parley.deadletter import DeadLetter
from sinks.alerts.hook import AlertHook
from sinks.alerts.metrics import CONSUMER_LAG
from sinks.alerts.models import Alert, Subscription, SubscriptionSpec
from sinks.alerts.store import RefusedTargetError, SubscriptionStore

RUSSIAN_OFFICIALS_ON_ANYTHING = {"countries": ["RU"], "officials_only": True}  # 8 statements


def alert_doc(es: Elasticsearch, settings: Settings, alert_id: str) -> dict[str, Any]:
    return dict(es.get(index=settings.elasticsearch.index("alerts"), id=alert_id)["_source"])


def run_seed(
    settings: Settings,
    es: Elasticsearch,
    hook_for: Callable[[Settings], AlertHook],
) -> list[Alert]:
    docs = statement_docs(seed_text())
    index_statements(es, settings.elasticsearch.index("statements"), docs)
    return hook_for(settings).process(docs)


def dead_letters(settings: Settings, timeout: float = 3.0) -> list[DeadLetter]:
    return [
        DeadLetter.model_validate_json(r.value)
        for r in iter_records(settings, settings.kafka.topics.deadletter, timeout=timeout)
    ]


def test_receiver_down_is_retried_then_delivered(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    es_client: Elasticsearch,
) -> None:
    settings = make_settings(retry={"max_attempts": 8, "backoff_base": 0.25, "backoff_max": 1.0})
    port = free_port()  # nothing listens there yet: connections are refused
    url = f"http://127.0.0.1:{port}/hook"
    store_for(settings).create(
        SubscriptionSpec(
            name="Peskov on talks", filters=PESKOV_TALKS, channels=[{"type": "webhook", "url": url}]
        ),
        owner="desk",
    )
    start_dispatcher(settings)
    alerts = run_seed(settings, es_client, hook_for)
    assert len(alerts) == 2

    time.sleep(1.5)  # a few refused attempts
    receiver = WebhookReceiver(port=port).start()
    try:
        received = receiver.wait_for(2, timeout=20)
        assert len(received) == 2
        assert {r.json()["alert"]["alert_id"] for r in received} == {a.alert_id for a in alerts}
        assert all(int(r.headers["x-parley-attempt"]) >= 2 for r in received)
        for alert in alerts:
            stored = wait_until(
                lambda a=alert: (
                    (d := alert_doc(es_client, settings, a.alert_id))["status"] == "delivered" and d
                )
            )
            assert stored, "the delivery state was not stored"
            assert stored["attempts"] >= 2
            assert stored["deliveries"][0]["outcome"] == "delivered"
    finally:
        receiver.stop()
    assert dead_letters(settings, timeout=1.0) == []
    # Every alert record was read: the partitions that delivered them report no lag.
    lag = consumer_lag(settings.kafka.topics.alerts)
    assert lag and set(lag.values()) == {0.0}


def consumer_lag(topic: str) -> dict[str, float]:
    """The dispatcher's reported lag per partition of ``topic``."""
    return {
        s.labels["partition"]: s.value
        for family in CONSUMER_LAG.collect()
        for s in family.samples
        if s.labels["topic"] == topic
    }


def test_a_receiver_that_keeps_failing_gets_n_tries_then_a_dead_letter(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    es_client: Elasticsearch,
) -> None:
    settings = make_settings(retry={"max_attempts": 3})
    receiver = WebhookReceiver(status_for=lambda n: 503).start()
    try:
        store_for(settings).create(
            SubscriptionSpec(
                name="Peskov on talks",
                filters=PESKOV_TALKS,
                channels=[{"type": "webhook", "url": receiver.url()}],
            ),
            owner="desk",
        )
        start_dispatcher(settings)
        alerts = run_seed(settings, es_client, hook_for)
        assert len(alerts) == 2
        for alert in alerts:
            assert wait_until(
                lambda a=alert: alert_doc(es_client, settings, a.alert_id)["status"] == "failed"
            )
        assert len(receiver.received) == 2 * 3
        letters = dead_letters(settings)
        assert sorted(d.source_key or "" for d in letters) == sorted(a.alert_id for a in alerts)
        for letter in letters:
            assert letter.reason == "delivery_failed"
            assert letter.attempts == 3
            assert "HTTP 503" in letter.detail
            # The original alert record, byte-exact, so that it can be replayed.
            replay = Alert.model_validate_json(letter.payload() or b"")
            assert replay.alert_id == letter.source_key
            assert letter.source_topic == settings.kafka.topics.alerts
    finally:
        receiver.stop()


class RecordingBackend(httpcore.AnyIOBackend):
    """The real network backend, recording every connection it is asked to open."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        return await super().connect_tcp(host, port, timeout, local_address, socket_options)


def test_a_webhook_aimed_at_a_private_address_is_refused_before_any_connection(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    receiver: WebhookReceiver,
    es_client: Elasticsearch,
) -> None:
    settings = make_settings()
    store = store_for(settings)
    private = "http://10.0.0.1/hook"
    # 1. When subscribing.
    with pytest.raises(RefusedTargetError, match=r"10\.0\.0\.1.*private"):
        store.create(
            SubscriptionSpec(
                name="internal",
                filters=PESKOV_TALKS,
                channels=[{"type": "webhook", "url": private}],
            ),
            owner="desk",
        )
    # 2. When delivering (a subscription stored before the allow-list changed): one channel to
    # the private address, one to an allowed receiver.
    sub = Subscription(
        name="internal",
        filters=PESKOV_TALKS,
        channels=[{"type": "webhook", "url": private}, {"type": "slack", "url": receiver.url()}],
    )
    store.put(sub, validate=False)
    backend = RecordingBackend()
    start_dispatcher(settings, network_backend=backend)
    alerts = run_seed(settings, es_client, hook_for)
    assert len(alerts) == 2
    for alert in alerts:
        assert wait_until(
            lambda a=alert: alert_doc(es_client, settings, a.alert_id)["status"] == "partial"
        )
        outcomes = alert_doc(es_client, settings, alert.alert_id)["deliveries"]
        assert [o["outcome"] for o in outcomes] == ["refused", "delivered"]
        assert outcomes[0]["attempts"] == 1  # never retried
        assert "10.0.0.1" in outcomes[0]["error"]
    assert len(receiver.received) == 2
    assert backend.connects  # the allowed receiver was reached through the same backend ...
    assert all(ipaddress.ip_address(h).is_loopback for h, _ in backend.connects)  # ... only it
    letters = dead_letters(settings)
    assert {d.reason for d in letters} == {"target_refused"}
    assert len(letters) == 2


# -- e-mail ---------------------------------------------------------------------------------------


def self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "parley test smtp")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "smtp.pem", tmp / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[Controller, Mailbox, Path, Path]]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    password_file = tmp_path / "smtp-password"
    password_file.write_text("correct horse\n")

    def authenticate(
        server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        ok = auth_data.login == b"parley" and auth_data.password == b"correct horse"
        mailbox.logins.append((auth_data.login, session.ssl is not None))
        return AuthResult(success=ok)

    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    yield controller, mailbox, cert, password_file
    controller.stop()


def test_email_over_starttls_with_auth_says_why_it_fired(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    smtp_server: tuple[Controller, Mailbox, Path, Path],
    es_client: Elasticsearch,
) -> None:
    controller, mailbox, cert, password_file = smtp_server
    settings = make_settings(
        smtp={
            "host": "127.0.0.1",
            "port": controller.port,
            "starttls": True,
            "ca_file": str(cert),
            "username": "parley",
            "password": {"file": str(password_file)},
            "sender": "parley <alerts@example.org>",
        }
    )
    store_for(settings).create(
        SubscriptionSpec(
            name="Putin on talks",
            query="speaker.name:Putin",
            filters={"categories": ["negotiations"]},
            channels=[{"type": "email", "to": ["desk@example.org", "editor@example.org"]}],
        ),
        owner="desk",
    )
    start_dispatcher(settings)
    alerts = run_seed(settings, es_client, hook_for)
    assert len(alerts) == 2
    assert wait_until(lambda: len(mailbox.messages) == 2)
    assert all(over_tls for _, over_tls in mailbox.logins)
    quotes = {a.quote.text for a in alerts}
    for envelope in mailbox.messages:
        assert sorted(envelope.rcpt_tos) == ["desk@example.org", "editor@example.org"]
        message = message_from_bytes(envelope.original_content or b"")
        assert message["Subject"].startswith("[parley] Putin on talks: Vladimir Putin:")
        body = message.get_payload(decode=True).decode()
        assert any(q in body for q in quotes)
        assert "Vladimir Putin (President, Government of Russia, RU)" in body
        assert "negotiations / " in body  # the matched trigger and its stance
        assert "Carried by 1 outlet" in body
        assert "https://www.rt.com/russia/kremlin-peskov-ukraine/" in body
    for alert in alerts:
        assert wait_until(
            lambda a=alert: alert_doc(es_client, settings, a.alert_id)["status"] == "delivered"
        )


def test_email_configuration_refuses_a_clear_text_password() -> None:
    from sinks.alerts.config import SmtpSettings

    with pytest.raises(ValueError, match="clear text"):
        SmtpSettings(username="parley", password={"value": "x"})


# -- Slack, digests, rate limit -------------------------------------------------------------------


def test_slack_compatible_webhook_gets_a_text_message(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    receiver: WebhookReceiver,
    es_client: Elasticsearch,
) -> None:
    settings = make_settings()
    store_for(settings).create(
        SubscriptionSpec(
            name="Peskov on talks",
            filters=PESKOV_TALKS,
            channels=[{"type": "slack", "url": receiver.url("/services/T0/B0/xyz")}],
        ),
        owner="desk",
    )
    start_dispatcher(settings)
    alerts = run_seed(settings, es_client, hook_for)
    received = receiver.wait_for(2)
    assert len(received) == 2
    texts = [r.json()["text"] for r in received]
    for alert in alerts:
        assert any(alert.quote.text in t for t in texts)
    assert all("Dmitry Peskov (spokesman, Kremlin, RU)" in t for t in texts)
    assert all(r.headers["content-type"] == "application/json" for r in received)


def test_hourly_digest_sends_one_message_at_the_end_of_the_hour(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    receiver: WebhookReceiver,
    es_client: Elasticsearch,
) -> None:
    settings = make_settings()
    store_for(settings).create(
        SubscriptionSpec(
            name="Russian officials, hourly",
            filters=RUSSIAN_OFFICIALS_ON_ANYTHING,
            channels=[{"type": "webhook", "url": receiver.url()}],
            delivery={"mode": "digest", "digest": "hourly"},
        ),
        owner="desk",
    )
    worker = start_dispatcher(settings)
    alerts = run_seed(settings, es_client, hook_for)
    assert len(alerts) == 8
    for alert in alerts:
        assert wait_until(
            lambda a=alert: alert_doc(es_client, settings, a.alert_id)["status"] == "digest_pending"
        )
    due = datetime.fromisoformat(alert_doc(es_client, settings, alerts[0].alert_id)["due_at"])
    assert due.minute == 0 and due.second == 0 and due > datetime.now(UTC)
    assert receiver.received == []

    assert worker.call(worker.dispatcher.flush_digests(due - timedelta(seconds=1))) == 0
    assert worker.call(worker.dispatcher.flush_digests(due + timedelta(seconds=1))) == 1
    (request,) = receiver.wait_for(1)
    payload = request.json()
    assert payload["type"] == "digest"
    assert payload["count"] == 8
    assert {a["alert_id"] for a in payload["alerts"]} == {a.alert_id for a in alerts}
    assert request.headers["x-parley-event"] == "digest"
    for alert in alerts:
        assert alert_doc(es_client, settings, alert.alert_id)["status"] == "delivered"
    # Sent once: a second look finds nothing due.
    assert worker.call(worker.dispatcher.flush_digests(due + timedelta(seconds=2))) == 0
    assert len(receiver.received) == 1


def test_rate_limit_defers_the_excess_to_a_catch_up_digest(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    receiver: WebhookReceiver,
    es_client: Elasticsearch,
) -> None:
    settings = make_settings()
    store_for(settings).create(
        SubscriptionSpec(
            name="Russian officials, at most 3 an hour",
            filters=RUSSIAN_OFFICIALS_ON_ANYTHING,
            channels=[{"type": "webhook", "url": receiver.url()}],
            delivery={"rate_limit": {"max_alerts": 3, "period_seconds": 3600}},
        ),
        owner="desk",
    )
    worker = start_dispatcher(settings)
    alerts = run_seed(settings, es_client, hook_for)
    assert len(alerts) == 8

    def states() -> list[str]:
        return sorted(alert_doc(es_client, settings, a.alert_id)["status"] for a in alerts)

    assert wait_until(lambda: states() == ["deferred"] * 5 + ["delivered"] * 3)
    assert len(receiver.wait_for(3)) == 3
    assert all(r.json()["type"] == "alert" for r in receiver.received)
    deferred = [
        alert_doc(es_client, settings, a.alert_id)
        for a in alerts
        if alert_doc(es_client, settings, a.alert_id)["status"] == "deferred"
    ]
    due = max(datetime.fromisoformat(d["due_at"]) for d in deferred)
    assert dt.timedelta(minutes=59) < due - datetime.now(UTC) <= dt.timedelta(hours=1)
    assert worker.call(worker.dispatcher.flush_digests(due + timedelta(seconds=1))) == 1
    digest = receiver.wait_for(4)[3].json()
    assert digest["type"] == "digest" and digest["count"] == 5
    assert states() == ["delivered"] * 8


def test_an_unreadable_alert_record_is_dead_lettered_and_the_dispatcher_goes_on(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    receiver: WebhookReceiver,
    es_client: Elasticsearch,
) -> None:
    settings = make_settings()
    store_for(settings).create(
        SubscriptionSpec(
            name="Peskov on talks",
            filters=PESKOV_TALKS,
            channels=[{"type": "webhook", "url": receiver.url()}],
        ),
        owner="desk",
    )
    producer = KafkaProducer(**settings.kafka.client_kwargs())
    try:
        producer.send(settings.kafka.topics.alerts, key=b"junk", value=b"{not json").get(30)
    finally:
        producer.close(5)
    start_dispatcher(settings)
    run_seed(settings, es_client, hook_for)
    assert len(receiver.wait_for(2)) == 2
    letters = dead_letters(settings)
    assert [(d.reason, d.payload(), d.source_key) for d in letters] == [
        ("invalid_alert", b"{not json", "junk")
    ]


def test_an_alert_interrupted_by_a_dispatcher_stop_is_delivered_after_the_restart(
    make_settings: Callable[..., Settings],
    store_for: Callable[[Settings], SubscriptionStore],
    hook_for: Callable[[Settings], AlertHook],
    start_dispatcher: Callable[..., Any],
    es_client: Elasticsearch,
) -> None:
    settings = make_settings(
        retry={"max_attempts": 50, "backoff_base": 0.2, "backoff_max": 0.5},
        dispatcher={"shutdown_grace": 0.5},
    )
    port = free_port()  # the receiver is down while the first dispatcher runs
    store_for(settings).create(
        SubscriptionSpec(
            name="Peskov on talks",
            filters=PESKOV_TALKS,
            channels=[{"type": "webhook", "url": f"http://127.0.0.1:{port}/hook"}],
        ),
        owner="desk",
    )
    first = start_dispatcher(settings)
    alerts = run_seed(settings, es_client, hook_for)
    assert len(alerts) == 2
    time.sleep(2.0)  # retrying
    first.close()  # stopped mid-retry: nothing stored, offsets not committed
    for alert in alerts:
        assert alert_doc(es_client, settings, alert.alert_id)["status"] in ("new", "queued")

    receiver = WebhookReceiver(port=port).start()
    try:
        start_dispatcher(settings)  # same consumer group: resumes from the committed offsets
        received = receiver.wait_for(2, timeout=30)
        assert {r.json()["alert"]["alert_id"] for r in received} == {a.alert_id for a in alerts}
        for alert in alerts:
            assert wait_until(
                lambda a=alert: alert_doc(es_client, settings, a.alert_id)["status"] == "delivered"
            )
        time.sleep(1.0)
        assert len(receiver.received) == 2
    finally:
        receiver.stop()
