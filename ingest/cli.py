"""``parley poll`` and ``parley feeds import|list|status|publish``."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ingest.config import IngestSettings, ingest_settings
from ingest.feeds import FeedListError, load_feeds, merge_feeds, parse_opml, save_feeds
from ingest.store import IngestStore
from parley.config import get_settings
from parley.redact import redact

feeds_app = typer.Typer(
    help="The feed list: import OPML, list, publish, per-feed health.", no_args_is_help=True
)
console = Console()


def _config() -> IngestSettings:
    return ingest_settings(get_settings())


def _feeds_file(config: IngestSettings, override: Path | None) -> Path:
    path = override or config.feeds_file
    if path is None:
        raise typer.BadParameter("no feed file: set ingest.feeds_file or pass --feeds-file")
    return path


FeedsFileOption = Annotated[
    Path | None, typer.Option("--feeds-file", help="YAML feed list (default: ingest.feeds_file).")
]


def poll(
    once: Annotated[bool, typer.Option("--once", help="Poll every feed once, then exit.")] = False,
) -> None:
    """Poll feeds and produce article records to Kafka, until stopped (SIGTERM/Ctrl-C)."""
    from ingest.runner import run_poller

    raise typer.Exit(run_poller(get_settings(), once=once))


@feeds_app.command("import")
def import_opml(
    opml: Annotated[Path, typer.Argument(help="OPML file (e.g. exported from a feed reader).")],
    feeds_file: FeedsFileOption = None,
) -> None:
    """Add the feeds of an OPML file to the YAML feed list (existing entries are kept)."""
    config = _config()
    target = _feeds_file(config, feeds_file)
    try:
        imported, problems = parse_opml(opml.read_bytes(), str(opml))
        existing = load_feeds(target) if target.exists() else []
    except (FeedListError, OSError) as exc:
        console.print(f"[red]error:[/red] {escape(redact(str(exc)))}")
        raise typer.Exit(2) from exc
    merged, added = merge_feeds(existing, imported)
    save_feeds(target, merged)
    for problem in problems:
        console.print(f"[yellow]skipped:[/yellow] {problem}")
    console.print(f"{added} feeds added, {len(imported) - added} already listed → {target}")


@feeds_app.command("list")
def list_feeds(feeds_file: FeedsFileOption = None) -> None:
    """The feeds of the YAML feed list."""
    target = _feeds_file(_config(), feeds_file)
    try:
        feeds = load_feeds(target)
    except FeedListError as exc:
        console.print(f"[red]error:[/red] {escape(redact(str(exc)))}")
        raise typer.Exit(2) from exc
    table = Table("id", "url", "outlet", "country", "language", "tags")
    for feed in feeds:
        table.add_row(
            feed.id,
            feed.url,
            feed.outlet or "",
            feed.country or "",
            feed.language or "",
            ",".join(feed.tags),
        )
    console.print(table)


@feeds_app.command("publish")
def publish(feeds_file: FeedsFileOption = None) -> None:
    """Write the feed list into the Kafka feeds topic shared by the poller workers."""
    from ingest.assignment import FeedPublisher

    settings = get_settings()
    feeds = load_feeds(_feeds_file(_config(), feeds_file))
    publisher = FeedPublisher(settings.kafka.client_kwargs(), settings.kafka.topics.feeds)
    try:
        count = publisher.publish(feeds)
    finally:
        publisher.close()
    console.print(f"{count} feeds published to {settings.kafka.topics.feeds}")


def _ago(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    seconds = max(0, now - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit} ago"
    return f"{seconds:.0f}s ago"


@feeds_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per feed.")] = False,
) -> None:
    """Per-feed health from the poller state: last success, interval, failures, items seen."""
    config = _config()
    if not config.state_db.exists():
        console.print(f"no poller state yet ({config.state_db})")
        raise typer.Exit(1)
    store = IngestStore(config.state_db)
    try:
        states = list(store.states())
    finally:
        store.close()
    now = time.time()
    if as_json:
        for s in states:
            row = {
                "feed_id": s.feed_id,
                "url": s.url,
                "status": s.status,
                "last_success_at": _iso(s.last_success_at),
                "interval_s": round(s.interval, 1),
                "next_poll_at": _iso(s.next_poll_at),
                "failures": s.consecutive_failures,
                "last_outcome": s.last_outcome,
                "last_error": s.last_error,
                "items_seen": s.items_seen,
                "polls": s.polls,
            }
            typer.echo(json.dumps(row))
        return
    table = Table("feed", "status", "last success", "interval", "failures", "items", "last")
    for s in states:
        style = {"failing": "red", "disabled": "red", "silent": "yellow"}.get(s.status, "")
        table.add_row(
            s.url,
            f"[{style}]{s.status}[/{style}]" if style else s.status,
            _ago(s.last_success_at, now),
            f"{s.interval:.0f}s",
            str(s.consecutive_failures),
            str(s.items_seen),
            (s.last_error or s.last_outcome or "")[:60],
        )
    console.print(table)


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else None
