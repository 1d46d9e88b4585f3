"""Webhook signatures: HMAC-SHA256 over ``"<timestamp>.<body>"``.

Headers sent with every webhook::

    X-Parley-Timestamp: 1767225600               (Unix seconds when this attempt was signed)
    X-Parley-Signature: v1=<hex HMAC-SHA256>

Signing the timestamp together with the body lets a receiver reject replays: verify the signature,
then refuse timestamps older than a few minutes.  ``verify`` is what a receiver in Python runs.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Parley-Timestamp"
SIGNATURE_HEADER = "X-Parley-Signature"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE = 300.0


class SignatureError(ValueError):
    pass


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={mac.hexdigest()}"


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    body: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Raise ``SignatureError`` unless the headers sign ``body`` with ``secret`` recently."""
    if not timestamp_header or not signature_header:
        raise SignatureError("missing signature headers")
    try:
        timestamp = int(timestamp_header)
    except ValueError as exc:
        raise SignatureError("malformed timestamp") from exc
    current = now if now is not None else time.time()
    if abs(current - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance window")
    expected = signature(secret, timestamp, body)
    # A header may carry several signatures (during a key rotation), comma-separated.
    candidates = [s.strip() for s in signature_header.split(",")]
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("signature mismatch")
