"""``parley services`` (local Kafka and Elasticsearch) and ``parley setup`` (topics, templates)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Annotated

import typer

from parley.config import REPO_ROOT, Settings, get_settings

SERVICES_SCRIPT = REPO_ROOT / "deploy" / "local" / "services.sh"

app = typer.Typer(
    help=(
        "Run Kafka and Elasticsearch on 127.0.0.1 for a local parley (downloaded from Maven "
        "Central on first use into the cache directory)."
    ),
    no_args_is_help=True,
)

Service = Annotated[
    str | None, typer.Argument(help="kafka or elasticsearch (default: both).", show_default=False)
]


def services_env(settings: Settings) -> dict[str, str]:
    """The environment the shell scripts read, derived from the one configuration model."""
    s = settings.services
    env = dict(os.environ)
    env.update(
        {
            "PARLEY_SERVICES__KAFKA_PORT": str(s.kafka_port),
            "PARLEY_SERVICES__KAFKA_CONTROLLER_PORT": str(s.kafka_controller_port),
            "PARLEY_SERVICES__ELASTICSEARCH_PORT": str(s.elasticsearch_port),
            "PARLEY_SERVICES__ELASTICSEARCH_TRANSPORT_PORT": str(s.elasticsearch_transport_port),
            "PARLEY_SERVICES__DATA_DIR": str(s.data_dir),
            "PARLEY_SERVICES__CACHE_DIR": str(s.cache_dir),
            "PARLEY_SERVICES__ELASTICSEARCH_HEAP": s.elasticsearch_heap,
            "PARLEY_SERVICES__KAFKA_HEAP": s.kafka_heap,
            "PARLEY_KAFKA__TOPICS__PARTITIONS": str(settings.kafka.topics.partitions),
            "PYTHON": sys.executable,
        }
    )
    return env


def run_services_script(
    action: str, service: str | None, settings: Settings, *, quiet: bool = False
) -> int:
    if not SERVICES_SCRIPT.exists():
        typer.echo(f"missing {SERVICES_SCRIPT}: run parley from its source checkout", err=True)
        return 2
    args = ["bash", str(SERVICES_SCRIPT), action, *([service] if service else [])]
    output = subprocess.DEVNULL if quiet else None
    return subprocess.call(args, env=services_env(settings), stdout=output, stderr=output)


@app.command()
def up(service: Service = None) -> None:
    """Start Kafka and/or Elasticsearch (no-op when already running), then wait until healthy."""
    raise typer.Exit(run_services_script("up", service, get_settings()))


@app.command()
def down(service: Service = None) -> None:
    """Stop the local services; leaves no process behind."""
    raise typer.Exit(run_services_script("down", service, get_settings()))


@app.command()
def status(service: Service = None) -> None:
    """Show each local service: running or not, pid, port, health, log file."""
    raise typer.Exit(run_services_script("status", service, get_settings()))


def setup(
    language_analyzers: Annotated[
        str | None,
        typer.Option(
            help=(
                "Comma-separated Elasticsearch language analyzers to add as sub-fields "
                "(e.g. english,russian); needs a full Elasticsearch distribution."
            )
        ),
    ] = None,
    skip_kafka: Annotated[bool, typer.Option(help="Do not create Kafka topics.")] = False,
) -> None:
    """Create the Kafka topics and install the Elasticsearch index templates (idempotent)."""
    from parley.kafka_admin import ensure_topics
    from sinks.elasticsearch.client import make_client
    from sinks.elasticsearch.setup import install_templates

    settings = get_settings()
    if not skip_kafka:
        for name, created in ensure_topics(settings.kafka):
            typer.echo(f"topic  {name:<28} {'created' if created else 'exists'}")
    client = make_client(settings.elasticsearch)
    langs = [x.strip() for x in language_analyzers.split(",")] if language_analyzers else None
    for result in install_templates(client, settings.elasticsearch, language_subfields=langs):
        state = "created" if result.index_created else "exists"
        template = "template updated" if result.template_changed else "template unchanged"
        typer.echo(f"index  {result.index:<28} {state}, {template}")
