"""The API with its Elasticsearch away (a closed port on 127.0.0.1): a 503 saying so, with
Retry-After, not a 500 with the client's internals."""

from __future__ import annotations

import socket

from fastapi.testclient import TestClient

from parley.config import load_settings
from sinks.alerts.api import create_app


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_elasticsearch_away_is_a_503_in_parley_s_words() -> None:
    settings = load_settings(
        elasticsearch={"hosts": f"http://127.0.0.1:{closed_port()}", "request_timeout": 2},
        alerts={"api": {"token": {"value": "admin-token-0123456789"}}},
    )
    with TestClient(create_app(settings)) as client:
        response = client.get(
            "/v1/subscriptions", headers={"Authorization": "Bearer admin-token-0123456789"}
        )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "detail": {
            "code": "unavailable",
            "message": "the index is unavailable or overloaded; retry later",
        }
    }
