"""A small authenticated HTTP API for subscriptions and alerts (FastAPI; OpenAPI at /openapi.json).

Authentication: ``Authorization: Bearer <token>``.  Tokens come from the ``alerts.api`` settings
(environment variables or files, see ``sinks.alerts.config``); each token belongs to an owner, and a
non-admin token sees and changes only its owner's subscriptions.  Responses never contain secrets:
subscriptions hold only the *names* of signing secrets, and target URLs (which may embed a token,
as Slack's do) come back with their path and query masked.

Limits: a request body over ``alerts.api.max_body_bytes`` (256 KiB) is refused with 413 before it
is read, authenticated or not (``sinks.alerts.bodylimit``); an id that cannot be a subscription
id is a 404 without a lookup; every failed authentication is logged with the client's address
(never the token) and counted (``parley_api_auth_failures_total{reason}``).
"""

# No ``from __future__ import annotations`` here: FastAPI reads the endpoint annotations at
# runtime, and the dependency aliases are local to ``create_app``.
import hmac
import threading
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

import uvicorn
from elasticsearch import ApiError, Elasticsearch, TransportError
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from parley.config import Settings
from parley.logs import get_logger
from parley.metrics import serve_metrics
from parley.netguard import NetGuard
from parley.poison import describe, is_transient
from sinks.alerts.apimetrics import RequestMetricsMiddleware
from sinks.alerts.bodylimit import BodyLimitMiddleware
from sinks.alerts.config import AlertsSettings, ApiToken, alerts_settings
from sinks.alerts.metrics import API_AUTH_FAILURES
from sinks.alerts.models import (
    SUBSCRIPTION_ID,
    Alert,
    Subscription,
    SubscriptionSpec,
    SubscriptionUpdate,
)
from sinks.alerts.query import compile_query
from sinks.alerts.store import (
    ConcurrentUpdateError,
    SubscriptionError,
    SubscriptionNotFoundError,
    SubscriptionStore,
)
from sinks.elasticsearch.client import make_client

log = get_logger(__name__)


class ErrorBody(BaseModel):
    code: str
    message: str


class SubscriptionList(BaseModel):
    subscriptions: list[Subscription]


class StatementHit(BaseModel):
    statement_id: str
    quote: str | None = None
    speaker: str | None = None
    url: str | None = None
    published_at: str | None = None


class TestResult(BaseModel):
    total: int
    statements: list[StatementHit]


class AlertList(BaseModel):
    alerts: list[Alert]


def redact_url(url: str) -> str:
    """Scheme and host only: the path or query of a Slack or webhook URL is often a credential."""
    parts = urlsplit(url)
    masked_path = "/…" if parts.path not in ("", "/") else parts.path
    return urlunsplit((parts.scheme, parts.netloc, masked_path, "…" if parts.query else "", ""))


def public_view(sub: Subscription) -> Subscription:
    channels: list[Any] = []
    for channel in sub.channels:
        if channel.type in ("webhook", "slack"):
            channels.append(channel.model_copy(update={"url": redact_url(channel.url)}))
        else:
            channels.append(channel)
    return sub.model_copy(update={"channels": channels})


def _error(code: int, kind: str, message: str) -> HTTPException:
    return HTTPException(status_code=code, detail={"code": kind, "message": message})


def create_app(
    settings: Settings,
    *,
    client: Elasticsearch | None = None,
    config: AlertsSettings | None = None,
) -> FastAPI:
    config = config or alerts_settings(settings)
    client = client or make_client(settings.elasticsearch)
    store = SubscriptionStore(
        client, settings.elasticsearch, config, NetGuard.from_settings(settings.http)
    )
    statements_index = settings.elasticsearch.index("statements")
    alerts_index = settings.elasticsearch.index("alerts")
    bearer = HTTPBearer(auto_error=False, description="an API token from alerts.api")

    app = FastAPI(
        title="parley alerts API",
        version="1.0",
        description="Subscriptions to parley's statement alerts, and the alerts they produced. "
        f"Request bodies are limited to {config.api.max_body_bytes} bytes.",
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=config.api.max_body_bytes)
    # Outermost, so that bodies refused before routing are counted too.
    app.add_middleware(RequestMetricsMiddleware)

    def elasticsearch_failed(request: Request, exc: Exception) -> JSONResponse:
        # In parley's words: what happened and whether a retry can help, not the cluster's
        # internals (they go to the log).
        log.error("api_elasticsearch_error", path=request.url.path[:200], error=describe(exc))
        if is_transient(exc):
            return JSONResponse(
                {
                    "detail": {
                        "code": "unavailable",
                        "message": "the index is unavailable or overloaded; retry later",
                    }
                },
                status_code=503,
                headers={"Retry-After": "5"},
            )
        return JSONResponse(
            {"detail": {"code": "internal_error", "message": "the index refused the request"}},
            status_code=500,
        )

    app.add_exception_handler(ApiError, elasticsearch_failed)
    app.add_exception_handler(TransportError, elasticsearch_failed)

    def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiToken:
        if credentials is not None:
            presented = credentials.credentials.encode()
            # Resolved per request so that rotated token files take effect without a restart.
            for value, entry in config.api.resolved_tokens().items():
                if hmac.compare_digest(value.encode(), presented):
                    return entry
        reason = "missing" if credentials is None else "invalid"
        API_AUTH_FAILURES.labels(reason).inc()
        log.warning(
            "api_auth_failed",
            reason=reason,
            client=request.client.host if request.client else None,
            method=request.method,
            path=request.url.path[:200],
        )
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail={"code": "unauthorized", "message": "a valid bearer token is required"},
            headers={"WWW-Authenticate": "Bearer"},
        )

    Caller = Annotated[ApiToken, Depends(caller)]

    def owned(subscription_id: str, who: ApiToken) -> Subscription:
        if not SUBSCRIPTION_ID.match(subscription_id):  # never a stored id: no lookup at all
            raise _error(404, "not_found", "no such subscription")
        try:
            sub = store.get(subscription_id)
        except SubscriptionNotFoundError:
            sub = None
        if sub is None or (not who.admin and sub.owner != who.owner):
            raise _error(404, "not_found", f"no subscription {subscription_id}")
        return sub

    errors: dict[int | str, dict[str, Any]] = {
        401: {"model": ErrorBody, "description": "missing or invalid token"},
        404: {"model": ErrorBody, "description": "no such subscription for this token"},
    }

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/subscriptions", response_model=SubscriptionList, tags=["subscriptions"])
    def list_subscriptions(
        who: Caller, owner: Annotated[str | None, Query(max_length=100)] = None
    ) -> SubscriptionList:
        scope = owner if who.admin else who.owner
        return SubscriptionList(
            subscriptions=[public_view(s) for s in store.list_subscriptions(scope)]
        )

    @app.post(
        "/v1/subscriptions",
        status_code=201,
        response_model=Subscription,
        tags=["subscriptions"],
        responses={422: {"description": "invalid query, refused target or missing secret"}},
    )
    def create_subscription(spec: SubscriptionSpec, who: Caller) -> Subscription:
        if spec.owner is not None and not who.admin and spec.owner != who.owner:
            raise _error(403, "forbidden", "only an admin token may create for another owner")
        try:
            sub = store.create(spec, owner=who.owner)
        except SubscriptionError as exc:
            raise _error(422, exc.code, str(exc)) from exc
        log.info("subscription_created", subscription_id=sub.subscription_id, owner=sub.owner)
        return public_view(sub)

    @app.get(
        "/v1/subscriptions/{subscription_id}",
        response_model=Subscription,
        tags=["subscriptions"],
        responses=errors,
    )
    def get_subscription(subscription_id: str, who: Caller) -> Subscription:
        return public_view(owned(subscription_id, who))

    @app.patch(
        "/v1/subscriptions/{subscription_id}",
        response_model=Subscription,
        tags=["subscriptions"],
        responses=errors,
    )
    def update_subscription(
        subscription_id: str, update: SubscriptionUpdate, who: Caller
    ) -> Subscription:
        owned(subscription_id, who)
        if update.owner is not None and not who.admin and update.owner != who.owner:
            raise _error(403, "forbidden", "only an admin token may change the owner")
        try:
            sub = store.update(subscription_id, update)
        except SubscriptionError as exc:
            raise _error(422, exc.code, str(exc)) from exc
        except ValidationError as exc:
            raise _error(422, "invalid_subscription", str(exc)) from exc
        except ConcurrentUpdateError as exc:
            raise _error(409, "conflict", str(exc)) from exc
        return public_view(sub)

    @app.delete(
        "/v1/subscriptions/{subscription_id}",
        status_code=204,
        tags=["subscriptions"],
        responses=errors,
    )
    def delete_subscription(subscription_id: str, who: Caller) -> Response:
        owned(subscription_id, who)
        try:
            store.delete(subscription_id)
        except SubscriptionNotFoundError as exc:
            raise _error(404, "not_found", f"no subscription {subscription_id}") from exc
        return Response(status_code=204)

    @app.post(
        "/v1/subscriptions/{subscription_id}/test",
        response_model=TestResult,
        tags=["subscriptions"],
        responses=errors,
    )
    def test_subscription(
        subscription_id: str, who: Caller, size: Annotated[int, Query(ge=1, le=100)] = 10
    ) -> TestResult:
        """Run the subscription over the statements already indexed (newest first)."""
        sub = owned(subscription_id, who)
        return run_test(client, statements_index, sub, size)

    @app.get("/v1/alerts", response_model=AlertList, tags=["alerts"])
    def list_alerts(
        who: Caller,
        subscription_id: Annotated[str | None, Query(max_length=128)] = None,
        alert_status: Annotated[str | None, Query(alias="status", max_length=32)] = None,
        size: Annotated[int, Query(ge=1, le=1000)] = 50,
    ) -> AlertList:
        return AlertList(
            alerts=search_alerts(
                client,
                alerts_index,
                owner=None if who.admin else who.owner,
                subscription_id=subscription_id,
                status=alert_status,
                size=size,
            )
        )

    return app


def run_test(
    client: Elasticsearch, statements_index: str, sub: Subscription, size: int
) -> TestResult:
    response = client.search(
        index=statements_index,
        query=compile_query(sub.query, sub.filters),
        size=size,
        sort=[{"@timestamp": {"order": "desc", "unmapped_type": "date"}}],
        track_total_hits=True,
    )
    hits = []
    for hit in response["hits"]["hits"]:
        src = hit["_source"]
        hits.append(
            StatementHit(
                statement_id=str(src.get("statement_id", hit["_id"])),
                quote=(src.get("quote") or {}).get("text"),
                speaker=(src.get("speaker") or {}).get("name"),
                url=src.get("url"),
                published_at=src.get("published_at"),
            )
        )
    return TestResult(total=int(response["hits"]["total"]["value"]), statements=hits)


def search_alerts(
    client: Elasticsearch,
    alerts_index: str,
    *,
    owner: str | None = None,
    subscription_id: str | None = None,
    status: str | None = None,
    size: int = 50,
) -> list[Alert]:
    filters: list[dict[str, Any]] = []
    for field, value in (
        ("owner", owner),
        ("subscription_id", subscription_id),
        ("status", status),
    ):
        if value is not None:
            filters.append({"term": {field: value}})
    response = client.search(
        index=alerts_index,
        query={"bool": {"filter": filters}},
        size=size,
        sort=[{"created_at": {"order": "desc"}}],
    )
    return [Alert.model_validate(h["_source"]) for h in response["hits"]["hits"]]


class NoApiTokenError(RuntimeError):
    pass


def run_api(
    settings: Settings,
    stop_event: threading.Event | None = None,
    *,
    log_level: Literal["info", "warning", "error"] = "warning",
) -> None:
    """Serve the API until ``stop_event`` is set (or forever); entry point for the supervisor."""
    config = alerts_settings(settings)
    if not config.api.resolved_tokens():
        raise NoApiTokenError(
            "no API token configured: set PARLEY_API_TOKEN, alerts.api.token or alerts.api.tokens"
        )
    serve_metrics(settings.metrics, "api")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, config=config),
            host=config.api.host,
            port=config.api.port,
            log_config=None,
            log_level=log_level,
        )
    )
    if stop_event is not None:

        def watch() -> None:
            stop_event.wait()
            server.should_exit = True

        threading.Thread(target=watch, name="api-stop", daemon=True).start()
    log.info("api_starting", host=config.api.host, port=config.api.port)
    server.run()
