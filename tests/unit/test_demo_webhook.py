"""The demo webhook receiver accepts only correctly signed alerts and records them."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from parley.demo import create_receiver_app, ensure_secret_file
from sinks.alerts.signing import signed_headers

PAYLOAD = {
    "schema": "parley.webhook.v1",
    "type": "alert",
    "subscription": {"id": "demo-officials-on-talks", "name": "Officials on talks"},
    "alert": {
        "speaker": {"name": "Pavel Voronin", "country": "RU", "official": True},
        "quote": {"text": "We are ready to continue the talks"},
        "url": "http://127.0.0.1:8765/articles/x",
    },
}


def test_signed_alert_is_appended_and_bad_signatures_are_refused(tmp_path: Path) -> None:
    secret = ensure_secret_file(tmp_path / "run" / "demo.secret").read_text()
    output = tmp_path / "demo-alerts.jsonl"
    client = TestClient(create_receiver_app(secret, output))
    body = json.dumps(PAYLOAD).encode()

    good = client.post(
        "/alerts",
        content=body,
        headers={**signed_headers(secret, body), "X-Parley-Delivery": "d1"},
    )
    assert good.status_code == 204
    (line,) = output.read_text().splitlines()
    record = json.loads(line)
    assert record["payload"] == PAYLOAD
    assert record["delivery_id"] == "d1"
    assert record["signature_verified"] is True

    forged = client.post("/alerts", content=body, headers=signed_headers("other-key", body))
    assert forged.status_code == 401
    tampered = client.post(
        "/alerts",
        content=body.replace(b"Voronin", b"Someone"),
        headers=signed_headers(secret, body),
    )
    assert tampered.status_code == 401
    unsigned = client.post("/alerts", content=body)
    assert unsigned.status_code == 401
    assert len(output.read_text().splitlines()) == 1


def test_secret_file_is_private_random_and_kept(tmp_path: Path) -> None:
    path = ensure_secret_file(tmp_path / "demo.secret")
    first = path.read_text()
    assert len(first) == 64
    assert path.stat().st_mode & 0o777 == 0o600
    assert ensure_secret_file(path).read_text() == first
    assert ensure_secret_file(tmp_path / "other.secret").read_text() != first
