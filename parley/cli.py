"""The ``parley`` command line.  Each area registers its own sub-commands here."""

from __future__ import annotations

import difflib
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context


def _function(module: str, attr: str, **settings: Any) -> Callable[[str], Command]:
    """A sub-command that is a function of ``module``."""

    def load(name: str) -> Command:
        single = typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)
        single.command(name, **settings)(getattr(importlib.import_module(module), attr))
        return typer.main.get_command(single)

    return load


def _group(module: str, attr: str) -> Callable[[str], Command]:
    """A sub-command group that is a ``typer.Typer`` of ``module``."""

    def load(name: str) -> Command:
        group = typer.main.get_group(getattr(importlib.import_module(module), attr))
        group.name = name
        return group

    return load


def _pipeline(name: str) -> Command:
    """``parley pipeline`` passes its arguments on to Beam (its own settings, no --help)."""
    from pipeline import cli as pipeline_cli

    settings = {"context_settings": pipeline_cli.CONTEXT_SETTINGS, "add_help_option": False}
    return _function("pipeline.cli", "pipeline", **settings)(name)


#: Every sub-command, in help order (commands, then groups).  Each is imported only when it
#: is run (or listed by ``parley --help``): the areas import Elasticsearch, FastAPI, Beam …,
#: which would add seconds to the start of every command, e.g. ``parley extract`` in a batch.
_COMMANDS: dict[str, Callable[[str], Command]] = {
    "setup": _function("parley.services_cli", "setup"),
    "poll": _function("ingest.cli", "poll"),
    "up": _function("parley.up_cli", "up"),
    "down": _function("parley.up_cli", "down"),
    "status": _function("parley.status", "status"),
    "search": _function("parley.search", "search"),
    "pipeline": _pipeline,
    "extract": _function("pipeline.extract.cli", "extract"),
    "train": _group("pipeline.extract.train_cli", "app"),
    "services": _group("parley.services_cli", "app"),
    "feeds": _group("ingest.cli", "feeds_app"),
    "subscribe": _group("sinks.alerts.cli", "subscribe_app"),
    "alerts": _group("sinks.alerts.cli", "alerts_app"),
}


class _LazyGroup(TyperGroup):
    """The root group: built-in commands plus ``_COMMANDS``, each loaded on first use."""

    def list_commands(self, ctx: Context) -> list[str]:
        return [*_COMMANDS, *(n for n in super().list_commands(ctx) if n not in _COMMANDS)]

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            # Typer suggests among loaded commands only: suggest among all of them.
            matches = difflib.get_close_matches(name, self.list_commands(ctx))
            if matches:
                suggestions = ", ".join(repr(m) for m in matches)
                ctx.fail(f"No such command {name!r}. Did you mean {suggestions}?")
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _COMMANDS:
            command = _COMMANDS[cmd_name](cmd_name)
            self.commands[cmd_name] = command
        return command


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
    cls=_LazyGroup,
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
    # Imported here, not at the top: ``parley extract`` below runs without them.
    from parley.config import configure
    from parley.logs import setup_logging

    settings = configure(config)
    setup_logging(settings.log.level, log_format or settings.log.format)


def main() -> None:
    try:
        if sys.argv[1:2] == ["extract"]:
            # Plain batch runs never get here (parley/entry.py); the rest of ``parley extract``
            # (a table, --help, usage errors) needs neither the configuration model nor the
            # structured logging that the root callback sets up (~0.1 s of imports).
            _COMMANDS["extract"]("extract").main(sys.argv[2:], prog_name="parley extract")
            return
        app()
    except Exception as exc:  # noqa: BLE001 - the last stop before the terminal or a log file
        sys.exit(_report_crash(exc))


def _report_crash(exc: Exception) -> int:
    """Print what went wrong without any secret: an invalid configuration as a list of
    problems (exit 2), anything else as a redacted traceback (exit 1)."""
    import traceback

    from pydantic import ValidationError

    from parley.config import describe_validation_error
    from parley.redact import redact

    if isinstance(exc, ValidationError):
        print(redact(f"error: {describe_validation_error(exc)}"), file=sys.stderr)
        return 2
    print(redact("".join(traceback.format_exception(exc))), file=sys.stderr, end="")
    return 1
