"""The subscriptions HTTP API, served by uvicorn on 127.0.0.1 against the real Elasticsearch."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.alerting import (
    SIGNING_SECRET,
    free_port,
    index_statements,
    seed_text,
    statement_docs,
    wait_until,
)

from parley.config import Settings
from sinks.alerts.api import run_api
from sinks.alerts.hook import AlertHook

ADMIN = "admin-token-for-tests"
NEWSROOM = "newsroom-token-for-tests"
SLACK_URL = "http://127.0.0.1:9/services/T000/B000/verysecretpath"


@pytest.fixture
def api(make_settings: Callable[..., Settings]) -> Iterator[tuple[httpx.Client, Settings]]:
    port = free_port()
    settings = make_settings(
        api={
            "host": "127.0.0.1",
            "port": port,
            "token": {"value": ADMIN},
            "tokens": [{"owner": "newsroom", "token": {"value": NEWSROOM}}],
        }
    )
    stop = threading.Event()
    thread = threading.Thread(target=run_api, args=(settings, stop), daemon=True)
    thread.start()
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def up() -> bool:
        try:
            return client.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    assert wait_until(up, timeout=20), "the API did not start"
    yield client, settings
    client.close()
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def talks_spec(**over: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": "talks by Russian officials",
        "filters": {"countries": ["RU"], "officials_only": True, "categories": ["negotiations"]},
        "channels": [{"type": "webhook", "url": "http://127.0.0.1:9/parley"}],
    }
    spec.update(over)
    return spec


def test_every_endpoint_needs_a_valid_token(api: tuple[httpx.Client, Settings]) -> None:
    client, _ = api
    for method, path in [
        ("GET", "/v1/subscriptions"),
        ("POST", "/v1/subscriptions"),
        ("GET", "/v1/subscriptions/x"),
        ("PATCH", "/v1/subscriptions/x"),
        ("DELETE", "/v1/subscriptions/x"),
        ("POST", "/v1/subscriptions/x/test"),
        ("GET", "/v1/alerts"),
    ]:
        for headers in ({}, auth("wrong-token")):
            response = client.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["www-authenticate"] == "Bearer"


def test_openapi_document_describes_the_api(api: tuple[httpx.Client, Settings]) -> None:
    client, _ = api
    document = client.get("/openapi.json").json()
    assert document["info"]["title"] == "parley alerts API"
    assert set(document["paths"]) >= {
        "/v1/subscriptions",
        "/v1/subscriptions/{subscription_id}",
        "/v1/subscriptions/{subscription_id}/test",
        "/v1/alerts",
    }
    assert any(
        s.get("scheme") == "bearer" for s in document["components"]["securitySchemes"].values()
    )
    assert "SubscriptionSpec" in document["components"]["schemas"]


def test_an_invalid_query_is_rejected_with_a_clear_error(
    api: tuple[httpx.Client, Settings],
) -> None:
    client, _ = api
    response = client.post(
        "/v1/subscriptions",
        headers=auth(NEWSROOM),
        json=talks_spec(query="speaker.name:(Putin AND"),
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["code"] == "invalid_query"
    assert detail["message"] == (
        "invalid query 'speaker.name:(Putin AND': syntax error at column 23: the query ends too "
        "early (an unclosed parenthesis or range, or an operator without a term?)"
    )  # in parley's words: no index name or UUID, no Java exception class
    assert client.get("/v1/subscriptions", headers=auth(ADMIN)).json()["subscriptions"] == []


def test_a_webhook_to_a_private_address_is_refused(api: tuple[httpx.Client, Settings]) -> None:
    client, _ = api
    response = client.post(
        "/v1/subscriptions",
        headers=auth(NEWSROOM),
        json=talks_spec(channels=[{"type": "webhook", "url": "http://10.0.0.1/hook"}]),
    )
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "refused_target"
    assert "10.0.0.1" in response.json()["detail"]["message"]


def test_create_list_update_delete_scoped_by_owner_without_secrets(
    api: tuple[httpx.Client, Settings],
) -> None:
    client, _ = api
    created = client.post(
        "/v1/subscriptions",
        headers=auth(NEWSROOM),
        json=talks_spec(
            channels=[
                {"type": "webhook", "url": "http://127.0.0.1:9/parley?token=abc"},
                {"type": "slack", "url": SLACK_URL},
            ]
        ),
    )
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["owner"] == "newsroom"
    assert "verysecretpath" not in created.text and "token=abc" not in created.text
    assert SIGNING_SECRET not in created.text
    other = client.post(
        "/v1/subscriptions", headers=auth(ADMIN), json=talks_spec(name="desk", owner="desk")
    )
    assert other.status_code == 201 and other.json()["owner"] == "desk"
    forbidden = client.post(
        "/v1/subscriptions", headers=auth(NEWSROOM), json=talks_spec(owner="desk")
    )
    assert forbidden.status_code == 403

    mine = client.get("/v1/subscriptions", headers=auth(NEWSROOM)).json()["subscriptions"]
    assert [s["subscription_id"] for s in mine] == [sub["subscription_id"]]
    everyone = client.get("/v1/subscriptions", headers=auth(ADMIN)).json()["subscriptions"]
    assert len(everyone) == 2
    theirs = other.json()["subscription_id"]
    assert client.get(f"/v1/subscriptions/{theirs}", headers=auth(NEWSROOM)).status_code == 404
    assert client.delete(f"/v1/subscriptions/{theirs}", headers=auth(NEWSROOM)).status_code == 404

    path = f"/v1/subscriptions/{sub['subscription_id']}"
    patched = client.patch(path, headers=auth(NEWSROOM), json={"name": "renamed", "enabled": False})
    assert patched.status_code == 200
    assert patched.json()["name"] == "renamed" and patched.json()["enabled"] is False
    assert patched.json()["filters"] == sub["filters"]
    bad = client.patch(path, headers=auth(NEWSROOM), json={"query": "(", "filters": {}})
    assert bad.status_code == 422
    assert client.get(path, headers=auth(NEWSROOM)).json()["name"] == "renamed"

    assert client.delete(path, headers=auth(NEWSROOM)).status_code == 204
    assert client.get(path, headers=auth(NEWSROOM)).status_code == 404


def test_test_endpoint_and_alert_listing(
    api: tuple[httpx.Client, Settings],
    es_client: Elasticsearch,
    hook_for: Callable[[Settings], AlertHook],
) -> None:
    client, settings = api
    docs = statement_docs(seed_text())
    index_statements(es_client, settings.elasticsearch.index("statements"), docs)
    es_client.indices.refresh(index=settings.elasticsearch.index("statements"))
    sub = client.post("/v1/subscriptions", headers=auth(NEWSROOM), json=talks_spec()).json()
    path = f"/v1/subscriptions/{sub['subscription_id']}/test"
    result = client.post(path, headers=auth(NEWSROOM)).json()
    assert result["total"] == 4
    assert {s["speaker"] for s in result["statements"]} == {"Dmitry Peskov", "Vladimir Putin"}

    alerts = hook_for(settings).process(docs)
    assert len(alerts) == 4
    es_client.indices.refresh(index=settings.elasticsearch.index("alerts"))
    listed = client.get(
        "/v1/alerts", headers=auth(NEWSROOM), params={"subscription_id": sub["subscription_id"]}
    ).json()["alerts"]
    assert {a["alert_id"] for a in listed} == {a.alert_id for a in alerts}
    assert client.get("/v1/alerts", headers=auth(ADMIN)).json()["alerts"]
