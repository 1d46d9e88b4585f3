"""Webhook signatures: what a receiver verifies."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from sinks.alerts.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    signed_headers,
    verify,
)

BODY = b'{"type":"alert"}'


def test_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    headers = signed_headers("k3y", BODY, now=1_700_000_000)
    expected = hmac.new(b"k3y", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert headers[TIMESTAMP_HEADER] == "1700000000"
    assert headers[SIGNATURE_HEADER] == f"v1={expected}"
    verify("k3y", BODY, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now=1_700_000_010)


@pytest.mark.parametrize(
    ("secret", "body", "now", "message"),
    [
        ("other", BODY, 1_700_000_000, "mismatch"),
        ("k3y", BODY + b" ", 1_700_000_000, "mismatch"),
        ("k3y", BODY, 1_700_001_000, "tolerance"),
    ],
)
def test_wrong_key_tampered_body_or_replay_is_refused(
    secret: str, body: bytes, now: int, message: str
) -> None:
    headers = signed_headers("k3y", BODY, now=1_700_000_000)
    with pytest.raises(SignatureError, match=message):
        verify(secret, body, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], now=now)


def test_missing_headers_are_refused() -> None:
    with pytest.raises(SignatureError, match="missing"):
        verify("k3y", BODY, None, None)
