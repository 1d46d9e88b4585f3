"""The subscriptions API's request metrics: route templates, statuses, refused bodies."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from sinks.alerts.apimetrics import UNMATCHED, RequestMetricsMiddleware
from sinks.alerts.bodylimit import BodyLimitMiddleware


def _count(method: str, route: str, status: str) -> float:
    labels = {"method": method, "route": route, "status": status}
    return REGISTRY.get_sample_value("parley_api_requests_total", labels) or 0.0


def _observed(method: str, route: str) -> float:
    labels = {"method": method, "route": route}
    return REGISTRY.get_sample_value("parley_api_request_duration_seconds_count", labels) or 0.0


def _app() -> TestClient:
    app = FastAPI()

    @app.get("/v1/things/{thing_id}")
    def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise HTTPException(404)
        return {"id": thing_id}

    @app.post("/v1/things")
    def create() -> dict[str, str]:
        raise RuntimeError("the application failed")

    app.add_middleware(BodyLimitMiddleware, max_bytes=10)
    app.add_middleware(RequestMetricsMiddleware)
    return TestClient(app, raise_server_exceptions=False)


def test_requests_are_counted_by_route_template_and_status() -> None:
    client = _app()
    route = "/v1/things/{thing_id}"
    before_ok, before_404 = _count("GET", route, "200"), _count("GET", route, "404")
    before_seconds = _observed("GET", route)
    for thing_id in ("a", "b", "c", "missing"):
        client.get(f"/v1/things/{thing_id}")
    assert _count("GET", route, "200") == before_ok + 3  # one series, not one per id
    assert _count("GET", route, "404") == before_404 + 1
    assert _observed("GET", route) == before_seconds + 4
    assert (
        REGISTRY.get_sample_value(
            "parley_api_requests_total", {"method": "GET", "route": "/v1/things/a", "status": "200"}
        )
        is None
    )


def test_unknown_paths_refused_bodies_and_failures_are_counted() -> None:
    client = _app()
    before_unknown = _count("GET", UNMATCHED, "404")
    before_refused = _count("POST", UNMATCHED, "413")
    before_failed = _count("POST", "/v1/things", "500")
    assert client.get("/wp-login.php").status_code == 404
    assert client.post("/v1/things", content=b"x" * 100).status_code == 413
    assert client.post("/v1/things", content=b"{}").status_code == 500
    assert _count("GET", UNMATCHED, "404") == before_unknown + 1
    assert _count("POST", UNMATCHED, "413") == before_refused + 1
    assert _count("POST", "/v1/things", "500") == before_failed + 1
