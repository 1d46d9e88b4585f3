"""``parley pipeline``: Kafka ``parley.articles.v1`` -> statements and triggers -> Elasticsearch.

Beam-example style: ``run(argv)`` splits parley's own options from Beam's pipeline options
(``parse_known_args``), builds the pipeline and returns the ``PipelineResult``.

Runners (see docs/pipeline.md):

- default, embedded: ``--runner=FnApiRunner --streaming`` in this process.  Named explicitly
  because Beam's ``DirectRunner`` first tries to download the Prism binary at run time.
- ``--runner=PrismRunner --prism_location=PATH`` (a locally built ``prism`` binary);
- ``--runner=FlinkRunner --flink_master=HOST:PORT|[local] --environment_type=LOOPBACK|...``;
- ``--runner=DataflowRunner --project ... --region ... --temp_location gs://...``.

With the embedded runner ``run`` returns when the job has finished: in bounded mode at the
partition ends, otherwise after SIGTERM/SIGINT (clean stop, see ``pipeline.lifecycle``).
Streaming on the embedded runner, the process is a member of the consumer group and runs the
job over the partitions assigned to it, once per assignment (``pipeline.beam.group_run``).
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.runner import PipelineResult
from pydantic import TypeAdapter

from parley.config import Settings, configure, get_settings
from parley.logs import get_logger
from parley.metrics import serve_metrics
from pipeline import group, lifecycle
from pipeline.beam.source import KafkaReadConfig, ReadFromKafka, always_read
from pipeline.beam.transforms import (
    HookFactory,
    ImportedHookFactory,
    ProcessArticleFn,
    WriteToElasticsearchFn,
)
from pipeline.config import PipelineConfig
from pipeline.processing import ExtractFn, statement_extractor

log = get_logger(__name__)

DEFAULT_RUNNER = "FnApiRunner"
# Runners that call bundle finalizers of a DoFn fused behind the source (checked by the
# integration tests for FnApiRunner; Flink and Dataflow implement finalization for portable SDFs).
FINALIZING_RUNNERS = ("FnApiRunner", "FlinkRunner", "DataflowRunner")
ALERT_HOOK = "sinks.alerts.hook:alert_hook"


def alerts_enabled(settings: Settings) -> bool:
    # From YAML this is a bool, from PARLEY_ALERTS__ENABLED a string: parse both the same way.
    return bool(TypeAdapter(bool).validate_python(settings.alerts.get("enabled", True)))


def default_hook_factories(settings: Settings, config: PipelineConfig) -> list[HookFactory]:
    """Alerting (when installed and not disabled) plus the configured ``pipeline.hooks``."""
    factories: list[HookFactory] = []
    if alerts_enabled(settings) and _importable(ALERT_HOOK.partition(":")[0]):
        factories.append(ImportedHookFactory(ALERT_HOOK, drop_alerts_keys=("enabled",)))
    factories.extend(ImportedHookFactory(path) for path in config.hooks)
    return factories


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def build_pipeline(
    pipeline: beam.Pipeline,
    settings: Settings,
    config: PipelineConfig,
    *,
    hook_factories: Sequence[HookFactory] = (),
    extractor_factory: Callable[[], ExtractFn] = statement_extractor,
    partitions: Sequence[int] | None = None,
) -> None:
    """The job; ``partitions``: only these (the group's assignment), else all of the topic."""
    group_member = config.assignment == "group"
    read_config = KafkaReadConfig(
        client_kwargs=settings.kafka.client_kwargs(),
        group_id=config.group_id,
        start_from=config.start_from,
        bounded=config.bounded,
        poll_timeout_ms=config.poll_timeout_ms,
        bundle_linger_ms=config.bundle_linger_ms,
        max_poll_records=config.max_poll_records,
        max_partition_fetch_bytes=config.max_partition_fetch_bytes,
        partitions=tuple(sorted(partitions)) if partitions is not None else None,
        turn=group.turn if group_member else always_read,
    )
    (
        pipeline
        | "ReadArticles" >> ReadFromKafka(read_config, config.topic_name(settings))
        | "ExtractStatements"
        >> beam.ParDo(ProcessArticleFn(config.max_record_bytes, extractor_factory))
        | "WriteToElasticsearch"
        >> beam.ParDo(WriteToElasticsearchFn(settings, config, hook_factories))
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parley pipeline",
        description="Kafka articles -> statements and triggers -> Elasticsearch. "
        "Unknown options are Beam pipeline options (--runner, --streaming, ...).",
    )
    parser.add_argument("--config", help="parley YAML configuration file")
    parser.add_argument("--topic", help="articles topic (default from settings)")
    parser.add_argument("--group-id", help="consumer group for committed offsets")
    parser.add_argument(
        "--instance-id",
        help="static member id in the consumer group, unique per worker (pipeline.instance_id)",
    )
    parser.add_argument(
        "--start-from", choices=("committed", "earliest", "latest"), help="where to start"
    )
    parser.add_argument(
        "--bounded",
        action="store_true",
        default=None,
        help="stop at the partition ends seen at start-up instead of running forever",
    )
    parser.add_argument(
        "--hook", action="append", default=[], help="extra post-index hook 'module:factory'"
    )
    parser.add_argument("--no-metrics", action="store_true", help="do not serve /metrics")
    return parser


def beam_args_with_defaults(beam_args: Sequence[str], config: PipelineConfig) -> list[str]:
    """Name the embedded runner unless one was given, and stream unless bounded."""
    args = list(beam_args)
    if not any(a == "--runner" or a.startswith("--runner=") for a in args):
        args.append(f"--runner={DEFAULT_RUNNER}")
    if not config.bounded and "--streaming" not in args and "--no-streaming" not in args:
        args.append("--streaming")
    if not any(a.startswith("--job_name") for a in args):
        args.append("--job_name=parley-pipeline")
    return args


def run(
    argv: Sequence[str] | None = None,
    *,
    settings: Settings | None = None,
    hook_factories: Sequence[HookFactory] | None = None,
    extractor_factory: Callable[[], ExtractFn] = statement_extractor,
    install_signals: bool = True,
) -> PipelineResult:
    known, beam_args = _parser().parse_known_args(list(argv) if argv is not None else None)
    if settings is None:
        settings = configure(known.config) if known.config else get_settings()
    overrides: dict[str, Any] = {
        key: value
        for key, value in {
            "topic": known.topic,
            "group_id": known.group_id,
            "instance_id": known.instance_id,
            "start_from": known.start_from,
            "bounded": known.bounded,
        }.items()
        if value is not None
    }
    config = PipelineConfig.model_validate({**settings.pipeline, **overrides})
    factories = list(
        hook_factories if hook_factories is not None else default_hook_factories(settings, config)
    )
    factories.extend(ImportedHookFactory(path) for path in known.hook)

    options = PipelineOptions(beam_args_with_defaults(beam_args, config))
    runner = str(options.view_as(StandardOptions).runner or "")
    config = config.model_copy(update={"assignment": config.resolved_assignment(runner)})
    if config.commit_offsets == "auto":
        finalizes = runner.rsplit(".", 1)[-1] in FINALIZING_RUNNERS
        config = config.model_copy(
            update={"commit_offsets": "bundle_finalization" if finalizes else "after_flush"}
        )
    if install_signals:
        lifecycle.install_signal_handlers()
    if not known.no_metrics:
        serve_metrics(settings.metrics, "pipeline")
    log.info(
        "pipeline starting",
        runner=runner,
        commit_offsets=config.commit_offsets,
        topic=config.topic_name(settings),
        group_id=config.group_id,
        assignment=config.assignment,
        instance_id=config.instance_id,
        bounded=config.bounded,
        hooks=[repr(f) for f in factories],
    )
    if config.assignment == "group":
        from pipeline.beam.group_run import run_as_group_member

        return run_as_group_member(
            options, settings, config, hook_factories=factories, extractor_factory=extractor_factory
        )
    pipeline = beam.Pipeline(options=options)
    build_pipeline(
        pipeline, settings, config, hook_factories=factories, extractor_factory=extractor_factory
    )
    return pipeline.run()
