"""``parley subscribe …`` (subscriptions) and ``parley alerts …`` (alerts, dispatcher, API)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError

from parley.config import get_settings
from parley.netguard import NetGuard
from parley.redact import redact
from parley.safe_text import inline
from sinks.alerts.api import redact_url, run_test, search_alerts
from sinks.alerts.config import alerts_settings
from sinks.alerts.models import Subscription, SubscriptionSpec, SubscriptionUpdate
from sinks.alerts.store import (
    SubscriptionError,
    SubscriptionNotFoundError,
    SubscriptionStore,
)
from sinks.elasticsearch.client import make_client

subscribe_app = typer.Typer(
    help="Create, list, change, test and delete alert subscriptions.", no_args_is_help=True
)
alerts_app = typer.Typer(
    help="Alerts: list them, run the dispatcher (delivery) or the HTTP API.", no_args_is_help=True
)


def _store() -> SubscriptionStore:
    settings = get_settings()
    return SubscriptionStore(
        make_client(settings.elasticsearch),
        settings.elasticsearch,
        alerts_settings(settings),
        NetGuard.from_settings(settings.http),
    )


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {redact(message)}", err=True)
    return typer.Exit(code)


def _print_sub(sub: Subscription, as_json: bool) -> None:
    data = sub.model_dump(mode="json")
    for channel in data["channels"]:
        if "url" in channel:
            channel["url"] = redact_url(channel["url"])
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    channels = ", ".join(
        c["url"] if "url" in c else ",".join(c.get("to", [])) for c in data["channels"]
    )
    filters = {k: v for k, v in data["filters"].items() if v}
    mode = data["delivery"]["mode"]
    typer.echo(
        f"{sub.subscription_id}  {sub.name!r}  owner={sub.owner}  "
        f"{'enabled' if sub.enabled else 'disabled'}  {mode}\n"
        f"    query={sub.query!r} filters={json.dumps(filters)}\n    channels: {channels}"
    )


def _spec_dict(
    *,
    name: str | None,
    query: str | None,
    speaker: list[str] | None,
    country: list[str] | None,
    officials_only: bool | None,
    category: list[str] | None,
    stance: list[str] | None,
    outlet: list[str] | None,
    language: list[str] | None,
    webhook: list[str] | None,
    webhook_secret: str | None,
    email: list[str] | None,
    slack: list[str] | None,
    digest: str | None,
    max_per_hour: int | None,
) -> dict[str, Any]:
    """Only the options given on the command line (an update keeps the others)."""
    out: dict[str, Any] = {}
    if name is not None:
        out["name"] = name
    if query is not None:
        out["query"] = query
    filters: dict[str, Any] = {}
    for key, value in (
        ("speakers", speaker),
        ("countries", country),
        ("categories", category),
        ("stances", stance),
        ("outlets", outlet),
        ("languages", language),
    ):
        if value:
            filters[key] = value
    if officials_only is not None:
        filters["officials_only"] = officials_only
    if filters:
        out["filters"] = filters
    channels: list[dict[str, Any]] = [
        {"type": "webhook", "url": u, "secret": webhook_secret} for u in webhook or []
    ]
    channels += [{"type": "slack", "url": u} for u in slack or []]
    if email:
        channels.append({"type": "email", "to": email})
    if channels:
        out["channels"] = channels
    delivery: dict[str, Any] = {}
    if digest is not None:
        delivery = (
            {"mode": "immediate"} if digest == "off" else {"mode": "digest", "digest": digest}
        )
    if max_per_hour is not None:
        delivery["rate_limit"] = (
            {"max_alerts": max_per_hour, "period_seconds": 3600} if max_per_hour > 0 else None
        )
    if delivery:
        out["delivery"] = delivery
    return out


NameOpt = Annotated[str | None, typer.Option("--name", "-n", help="a name for humans")]
QueryOpt = Annotated[
    str | None,
    typer.Option("--query", "-q", help="Lucene query string (Kibana's Lucene syntax)"),
]
SpeakerOpt = Annotated[
    list[str] | None, typer.Option("--speaker", help="phrase in the speaker name")
]
CountryOpt = Annotated[
    list[str] | None, typer.Option("--country", help="speaker country, ISO alpha-2")
]
OfficialsOpt = Annotated[
    bool | None, typer.Option("--officials-only/--anyone", help="only government speakers")
]
CategoryOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--category",
        help="trigger category: negotiations, ceasefire, peace_plan, agreement, "
        "prisoner_exchange, security_guarantees, conflict_end",
    ),
]
StanceOpt = Annotated[
    list[str] | None, typer.Option("--stance", help="positive, negative, neutral")
]
OutletOpt = Annotated[list[str] | None, typer.Option("--outlet")]
LanguageOpt = Annotated[list[str] | None, typer.Option("--language")]
WebhookOpt = Annotated[list[str] | None, typer.Option("--webhook", help="signed JSON webhook URL")]
SecretOpt = Annotated[
    str | None,
    typer.Option("--webhook-secret", help="name of a secret in alerts.signing_secrets"),
]
EmailOpt = Annotated[list[str] | None, typer.Option("--email", help="recipient address")]
SlackOpt = Annotated[list[str] | None, typer.Option("--slack", help="incoming-webhook URL")]
DigestOpt = Annotated[
    str | None, typer.Option("--digest", help="hourly, daily, or off (deliver immediately)")
]
RateOpt = Annotated[
    int | None, typer.Option("--max-per-hour", help="rate limit; 0 removes it", min=0)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON output")]


@subscribe_app.command("create")
def create(
    name: NameOpt = None,
    query: QueryOpt = None,
    speaker: SpeakerOpt = None,
    country: CountryOpt = None,
    officials_only: OfficialsOpt = None,
    category: CategoryOpt = None,
    stance: StanceOpt = None,
    outlet: OutletOpt = None,
    language: LanguageOpt = None,
    webhook: WebhookOpt = None,
    webhook_secret: SecretOpt = None,
    email: EmailOpt = None,
    slack: SlackOpt = None,
    digest: DigestOpt = None,
    max_per_hour: RateOpt = None,
    owner: Annotated[str, typer.Option(help="who the subscription belongs to")] = "admin",
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="YAML/JSON subscription; options override")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a subscription; the query is validated against parley-statements first."""
    data: dict[str, Any] = {}
    if from_file is not None:
        loaded = yaml.safe_load(from_file.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise _fail(f"{from_file}: expected a mapping")
        data = loaded
    data.update(
        _spec_dict(
            name=name,
            query=query,
            speaker=speaker,
            country=country,
            officials_only=officials_only,
            category=category,
            stance=stance,
            outlet=outlet,
            language=language,
            webhook=webhook,
            webhook_secret=webhook_secret,
            email=email,
            slack=slack,
            digest=digest,
            max_per_hour=max_per_hour,
        )
    )
    try:
        spec = SubscriptionSpec.model_validate(data)
        sub = _store().create(spec, owner=owner)
    except ValidationError as exc:
        raise _fail(_validation_message(exc)) from exc
    except SubscriptionError as exc:
        raise _fail(str(exc)) from exc
    _print_sub(sub, as_json)


@subscribe_app.command("list")
def list_(
    owner: Annotated[str | None, typer.Option(help="only this owner's")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List subscriptions."""
    for sub in _store().list_subscriptions(owner):
        _print_sub(sub, as_json)


@subscribe_app.command("show")
def show(subscription_id: str, as_json: JsonOpt = False) -> None:
    """Show one subscription (target URLs masked)."""
    try:
        _print_sub(_store().get(subscription_id), as_json)
    except SubscriptionNotFoundError as exc:
        raise _fail(f"no subscription {subscription_id}", 1) from exc


@subscribe_app.command("update")
def update(
    subscription_id: str,
    name: NameOpt = None,
    query: QueryOpt = None,
    speaker: SpeakerOpt = None,
    country: CountryOpt = None,
    officials_only: OfficialsOpt = None,
    category: CategoryOpt = None,
    stance: StanceOpt = None,
    outlet: OutletOpt = None,
    language: LanguageOpt = None,
    webhook: WebhookOpt = None,
    webhook_secret: SecretOpt = None,
    email: EmailOpt = None,
    slack: SlackOpt = None,
    digest: DigestOpt = None,
    max_per_hour: RateOpt = None,
    enabled: Annotated[bool | None, typer.Option("--enable/--disable")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a subscription: given filters replace the old ones, given channels replace all."""
    store = _store()
    try:
        current = store.get(subscription_id)
        data = _spec_dict(
            name=name,
            query=query,
            speaker=speaker,
            country=country,
            officials_only=officials_only,
            category=category,
            stance=stance,
            outlet=outlet,
            language=language,
            webhook=webhook,
            webhook_secret=webhook_secret,
            email=email,
            slack=slack,
            digest=digest,
            max_per_hour=max_per_hour,
        )
        if "filters" in data:  # merge: an option given replaces that filter only
            data["filters"] = {**current.filters.model_dump(), **data["filters"]}
        if "delivery" in data:
            data["delivery"] = {**current.delivery.model_dump(), **data["delivery"]}
        if enabled is not None:
            data["enabled"] = enabled
        sub = store.update(subscription_id, SubscriptionUpdate.model_validate(data))
    except SubscriptionNotFoundError as exc:
        raise _fail(f"no subscription {subscription_id}", 1) from exc
    except ValidationError as exc:
        raise _fail(_validation_message(exc)) from exc
    except SubscriptionError as exc:
        raise _fail(str(exc)) from exc
    _print_sub(sub, as_json)


@subscribe_app.command("delete")
def delete(subscription_id: str) -> None:
    """Delete a subscription; its past alerts stay in parley-alerts."""
    try:
        _store().delete(subscription_id)
    except SubscriptionNotFoundError as exc:
        raise _fail(f"no subscription {subscription_id}", 1) from exc
    typer.echo(f"deleted {subscription_id}")


@subscribe_app.command("test")
def test(
    subscription_id: str,
    size: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Run a subscription over the statements already indexed (newest first)."""
    store = _store()
    try:
        sub = store.get(subscription_id)
    except SubscriptionNotFoundError as exc:
        raise _fail(f"no subscription {subscription_id}", 1) from exc
    result = run_test(store.client, store.statements_index, sub, size)
    if as_json:
        typer.echo(result.model_dump_json())
        return
    plural = "" if result.total == 1 else "s"
    typer.echo(f"{result.total} statement{plural} match")
    for hit in result.statements:  # article text: one safe line each (parley.safe_text)
        typer.echo(
            f"  {hit.published_at or '-'}  {inline(hit.speaker) or '?'}: “{inline(hit.quote)}”"
            f"  {inline(hit.url)}"
        )


@alerts_app.command("list")
def list_alerts(
    subscription: Annotated[str | None, typer.Option(help="subscription id")] = None,
    status: Annotated[str | None, typer.Option(help="new, delivered, failed, …")] = None,
    size: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The newest alerts."""
    settings = get_settings()
    alerts = search_alerts(
        make_client(settings.elasticsearch),
        settings.elasticsearch.index("alerts"),
        subscription_id=subscription,
        status=status,
        size=size,
    )
    for alert in alerts:
        if as_json:
            typer.echo(alert.model_dump_json(by_alias=True))
            continue
        who = inline(alert.speaker.name or alert.speaker.organization) or "?"
        typer.echo(
            f"{alert.created_at:%Y-%m-%d %H:%M:%S}  {alert.status:<14} {alert.subscription_name!r}"
            f"  {who}: “{inline(alert.quote.text)}”"
            f"  ({alert.outlets_count} outlets)  {inline(alert.url)}"
        )


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


@alerts_app.command("dispatch")
def dispatch() -> None:
    """Run the dispatcher: deliver alerts from parley.alerts.v1 until SIGTERM/SIGINT."""
    from sinks.alerts.dispatcher import run_dispatcher

    run_dispatcher(get_settings(), _stop_on_signals())


@alerts_app.command("api")
def api(
    host: Annotated[str | None, typer.Option(help="default: alerts.api.host")] = None,
    port: Annotated[int | None, typer.Option(help="default: alerts.api.port")] = None,
) -> None:
    """Serve the subscriptions HTTP API (OpenAPI document at /openapi.json, UI at /docs)."""
    from sinks.alerts.api import NoApiTokenError, run_api

    settings = get_settings()
    api_section = dict(settings.alerts.get("api") or {})
    if host is not None:
        api_section["host"] = host
    if port is not None:
        api_section["port"] = port
    settings = settings.model_copy(update={"alerts": {**settings.alerts, "api": api_section}})
    try:
        run_api(settings, _stop_on_signals())
    except NoApiTokenError as exc:
        raise _fail(str(exc)) from exc


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "subscription"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
