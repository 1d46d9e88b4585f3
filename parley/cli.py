"""The ``parley`` command line.  Each area registers its own sub-commands here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from parley.config import configure
from parley.logs import setup_logging

app = typer.Typer(
    name="parley",
    help=(
        "parley: a streaming news monitor for official statements about talks, negotiations "
        "and ceasefires.\n\nStart with `parley up` (everything on this machine) or "
        "`parley services up` (only Kafka and Elasticsearch)."
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def _root(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            envvar="PARLEY_CONFIG",
            help="YAML configuration file; PARLEY_* environment variables override it.",
        ),
    ] = None,
    log_format: Annotated[
        str | None, typer.Option(help="Log format: json or console (default from config).")
    ] = None,
) -> None:
    settings = configure(config)
    setup_logging(settings.log.level, log_format or settings.log.format)


def _register() -> None:
    from parley import services_cli

    app.add_typer(services_cli.app, name="services")
    app.command("setup")(services_cli.setup)
    from ingest import cli as ingest_cli

    app.command("poll")(ingest_cli.poll)
    app.add_typer(ingest_cli.feeds_app, name="feeds")
    from parley import search, status, up_cli

    app.command("up")(up_cli.up)
    app.command("down")(up_cli.down)
    app.command("status")(status.status)
    app.command("search")(search.search)
    from sinks.alerts import cli as alerts_cli

    app.add_typer(alerts_cli.subscribe_app, name="subscribe")
    app.add_typer(alerts_cli.alerts_app, name="alerts")
    from pipeline import cli as pipeline_cli

    app.command("pipeline", context_settings=pipeline_cli.CONTEXT_SETTINGS, add_help_option=False)(
        pipeline_cli.pipeline
    )
    from pipeline.extract import cli as extract_cli

    app.command("extract")(extract_cli.extract)


_register()


def main() -> None:
    app()
