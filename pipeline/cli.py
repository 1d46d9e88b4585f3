"""``parley pipeline``: run the streaming Beam job until SIGTERM/SIGINT stops it cleanly."""

from __future__ import annotations

import typer

from parley.logs import get_logger

log = get_logger(__name__)

CONTEXT_SETTINGS = {
    # Everything after `parley pipeline` goes to pipeline.beam.app.run: parley's pipeline options
    # and Beam's own (--runner, --streaming, --flink_master, ...), including --help.
    "allow_extra_args": True,
    "ignore_unknown_options": True,
    "help_option_names": [],
}


def pipeline(ctx: typer.Context) -> None:
    """Kafka articles -> statements and triggers -> Elasticsearch (see `parley pipeline --help`)."""
    from pipeline.beam.app import run
    from pipeline.group import MembershipError

    try:
        result = run(ctx.args)
    except MembershipError as exc:  # already logged with its cause
        log.error("pipeline stopped", error=str(exc))
        raise typer.Exit(1) from exc
    state = result.wait_until_finish()
    log.info("pipeline stopped", state=str(state))
    if str(state) not in ("DONE", "PipelineState.DONE"):
        raise typer.Exit(1)
