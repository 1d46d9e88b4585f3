"""The demo alert path of ``parley up``: a subscription "Officials on talks" that delivers to a
local webhook receiver, which verifies each signature and appends the alerts to a JSON-lines
file, so a newcomer sees alerts arrive without configuring anything.

The receiver runs as a worker (``python -m parley.demo``) on 127.0.0.1; the signing secret is a
random key in a file only the current user can read, named ``demo`` in ``alerts.signing_secrets``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from parley.config import Settings
from parley.logs import get_logger

log = get_logger(__name__)

DEMO_SUBSCRIPTION_ID = "demo-officials-on-talks"
DEMO_SUBSCRIPTION_NAME = "Officials on talks"
DEMO_QUERY = "triggers.category:(negotiations OR ceasefire) AND speaker.official:true"
# The name of the signing key in alerts.signing_secrets (the key itself lives in a file).
DEMO_SECRET_NAME = "demo"  # noqa: S105
DEMO_OWNER = "demo"


def ensure_secret_file(path: Path) -> Path:
    """Create a random signing key readable by the owner only (kept across runs)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32))
    return path


def demo_subscription_id(edition: str | None) -> str:
    return f"{DEMO_SUBSCRIPTION_ID}-{edition}" if edition else DEMO_SUBSCRIPTION_ID


def ensure_demo_subscription(
    settings: Settings, webhook_url: str, edition: str | None = None
) -> str:
    """Create or refresh the demo subscription through the subscription store (which validates
    the query against the statements index and the webhook target against the SSRF guard).
    ``settings`` must already name the ``demo`` signing secret and allow 127.0.0.1.

    With an *edition* (one per ``parley up`` start) the subscription is a new one and the demo
    subscriptions of earlier editions are deleted.  A statement alerts once per subscription
    however often it is republished; the replayed newsroom republishes the same quotes on every
    start, so a renewed subscription is what lets a newcomer see alerts arrive again."""
    from elasticsearch import Elasticsearch

    from parley.netguard import NetGuard
    from sinks.alerts.config import alerts_settings
    from sinks.alerts.models import Subscription, WebhookChannel
    from sinks.alerts.store import SubscriptionStore

    client = Elasticsearch(**settings.elasticsearch.client_kwargs())
    try:
        store = SubscriptionStore(
            client,
            settings.elasticsearch,
            alerts_settings(settings),
            NetGuard.from_settings(settings.http),
        )
        subscription_id = demo_subscription_id(edition)
        for earlier in store.list_subscriptions(owner=DEMO_OWNER):
            if (
                earlier.subscription_id.startswith(DEMO_SUBSCRIPTION_ID)
                and earlier.subscription_id != subscription_id
            ):
                store.delete(earlier.subscription_id)
        subscription = Subscription(
            subscription_id=subscription_id,
            name=DEMO_SUBSCRIPTION_NAME,
            query=DEMO_QUERY,
            channels=[WebhookChannel(url=webhook_url, secret=DEMO_SECRET_NAME)],
            owner=DEMO_OWNER,
        )
        store.put(subscription)
    finally:
        client.close()
    return subscription_id


def create_receiver_app(secret: str, output: Path) -> FastAPI:
    """POST /alerts: verify ``X-Parley-Signature``, append the payload to ``output``."""
    from sinks.alerts.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify

    app = FastAPI(title="parley demo webhook receiver", docs_url=None, redoc_url=None)
    output.parent.mkdir(parents=True, exist_ok=True)

    @app.post("/alerts")
    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            verify(
                secret,
                body,
                request.headers.get(TIMESTAMP_HEADER),
                request.headers.get(SIGNATURE_HEADER),
            )
        except SignatureError as exc:
            log.warning("demo_webhook_rejected", reason=str(exc))
            return JSONResponse({"error": f"bad signature: {exc}"}, status_code=401)
        try:
            payload: Any = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        record = {
            "received_at": datetime.now(UTC).isoformat(),
            "delivery_id": request.headers.get("X-Parley-Delivery"),
            "signature_verified": True,
            "payload": payload,
        }
        with output.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        for alert in _alerts_of(payload):
            speaker = alert.get("speaker") or {}
            quote = alert.get("quote") or {}
            log.info(
                "demo_alert_received",
                subscription=(payload.get("subscription") or {}).get("name"),
                speaker=speaker.get("name") or (speaker.get("mention") or {}).get("text"),
                country=speaker.get("country"),
                quote=str(quote.get("text") if isinstance(quote, dict) else quote)[:300],
                url=alert.get("url"),
            )
        return Response(status_code=204)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _alerts_of(payload: Any) -> list[dict[str, Any]]:
    if not isinstance(payload, dict):
        return []
    if isinstance(payload.get("alert"), dict):
        return [payload["alert"]]
    return [a for a in payload.get("alerts") or [] if isinstance(a, dict)]


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from parley.config import get_settings
    from parley.logs import setup_logging

    parser = argparse.ArgumentParser(
        prog="python -m parley.demo", description="parley's demo webhook receiver"
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--secret-file", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True, help="JSON-lines file of alerts")
    args = parser.parse_args(argv)
    if not ipaddress.ip_address(args.host).is_loopback:
        parser.error(f"--host must be a loopback address, not {args.host}")
    settings = get_settings()
    setup_logging(settings.log.level, settings.log.format)
    secret = args.secret_file.read_text(encoding="utf-8").strip()
    log.info(
        "demo_webhook_serving",
        url=f"http://{args.host}:{args.port}/alerts",
        output=str(args.output),
    )
    uvicorn.run(
        create_receiver_app(secret, args.output),
        host=args.host,
        port=args.port,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
