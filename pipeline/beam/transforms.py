"""The pipeline's DoFns: thin wrappers around ``pipeline.processing`` and ``pipeline.writer``.

When offsets are committed (the sink, ``WriteToElasticsearchFn``):

1. ``process`` buffers each ``ProcessedRecord`` and flushes when the batch is due (count, bytes,
   age); ``finish_bundle`` flushes the rest.  A flush returns only after Elasticsearch stored
   the documents, Kafka stored the dead letters and the post-index hooks succeeded.
2. The first element of a bundle registers a bundle-finalization callback that commits the
   offsets flushed in that bundle.  Runners call it only after the bundle completed and its
   results (and the source's checkpoint) are durable; a bundle that fails never finalizes, and
   is retried from its restriction or, after a crash, re-read from the committed offsets.
   Where a runner does not finalize this DoFn (Prism 2.77 only finalizes stages whose *input*
   transform requests it, and the sink is fused behind the source), ``commit_offsets =
   "after_flush"`` commits right after each flush instead.  That is equally safe for "nothing
   committed before it is stored": the flush has returned; the only difference is that Kafka
   may then be ahead of the runner's own checkpoint, which costs nothing because the source
   resumes from its checkpointed restriction, not from Kafka, while the job lives.

So a committed offset always stands for documents already in Elasticsearch; the reverse (stored
but not committed: crash between 1 and 2) only causes a re-read that deterministic ids absorb.

In a process that is a member of the consumer group (``pipeline.assignment = "group"``), the
commits go through the member (``pipeline.group``), which carries its generation and commits
only partitions it still owns.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import apache_beam as beam

from parley.config import Settings
from parley.logs import get_logger
from pipeline import group, lifecycle, metrics
from pipeline.config import PipelineConfig
from pipeline.kafka_io import DeadLetterProducer, OffsetCommitter
from pipeline.processing import (
    ExtractFn,
    KafkaMessage,
    ProcessedRecord,
    process_message,
    statement_extractor,
)
from pipeline.writer import BatchLimits, BatchWriter, PostIndexHook
from sinks.elasticsearch.bulk import BulkIndexer, RetryPolicy
from sinks.elasticsearch.client import make_client

log = get_logger(__name__)

#: Builds a post-index hook inside the worker (clients are not picklable; factories are).
HookFactory = Callable[[Settings], PostIndexHook]


class ImportedHookFactory:
    """A hook factory named ``"package.module:function"``, imported in the worker.

    ``drop_alerts_keys`` removes keys of ``settings.alerts`` that only the pipeline reads
    (``enabled``) before the factory validates that section with its own strict model.
    """

    def __init__(self, path: str, drop_alerts_keys: Sequence[str] = ()) -> None:
        if ":" not in path:
            raise ValueError(f"hook {path!r}: expected 'module:function'")
        self.path = path
        self.drop_alerts_keys = tuple(drop_alerts_keys)

    def __call__(self, settings: Settings) -> PostIndexHook:
        module, _, name = self.path.partition(":")
        factory: HookFactory = getattr(importlib.import_module(module), name)
        if self.drop_alerts_keys:
            alerts = {k: v for k, v in settings.alerts.items() if k not in self.drop_alerts_keys}
            settings = settings.model_copy(update={"alerts": alerts})
        return factory(settings)

    def __repr__(self) -> str:
        return f"ImportedHookFactory({self.path!r})"


class ProcessArticleFn(beam.DoFn):  # type: ignore[misc]
    """Kafka record -> ``ProcessedRecord`` (documents or dead letters); never raises per record."""

    def __init__(
        self,
        max_record_bytes: int,
        extractor_factory: Callable[[], ExtractFn] = statement_extractor,
    ) -> None:
        self._max_record_bytes = max_record_bytes
        self._extractor_factory = extractor_factory

    def setup(self) -> None:
        self._extract = self._extractor_factory()

    def process(self, message: KafkaMessage) -> Iterator[ProcessedRecord]:
        yield process_message(
            message, extract=self._extract, max_record_bytes=self._max_record_bytes
        )


class WriteToElasticsearchFn(beam.DoFn):  # type: ignore[misc]
    """Bulk-index, dead-letter, run hooks; commit offsets at bundle finalization (see above)."""

    def __init__(
        self,
        settings: Settings,
        config: PipelineConfig,
        hook_factories: Sequence[HookFactory] = (),
    ) -> None:
        self._settings = settings
        self._config = config
        self._hook_factories = list(hook_factories)

    def setup(self) -> None:
        settings, config = self._settings, self._config
        # The indexer owns retries (with metrics and a shutdown check), not the HTTP client.
        self._client = make_client(settings.elasticsearch, max_retries=0)
        indexer = BulkIndexer(
            self._client,
            op_type="create",
            max_actions=config.batch_max_documents,
            max_bytes=config.batch_max_bytes,
            retry=RetryPolicy(
                initial_backoff=config.bulk_initial_backoff,
                max_backoff=config.bulk_max_backoff,
                deadline=config.bulk_retry_deadline,
            ),
            should_abort=self._should_abort,
            on_retry=lambda reason: metrics.BULK_RETRIES.labels(reason).inc(),
        )
        client_kwargs = settings.kafka.client_kwargs()
        self._dead_letters = DeadLetterProducer(client_kwargs, settings.kafka.topics.deadletter)
        self._committer: OffsetCommitter | group.GroupMember
        if config.assignment == "group":
            self._committer = group.current()  # owned by the run loop, not closed here
        else:
            self._committer = OffsetCommitter(client_kwargs, config.group_id)
        hooks = [factory(settings) for factory in self._hook_factories]
        self._writer = BatchWriter(
            indexer,
            settings.elasticsearch.index,
            self._dead_letters,
            hooks,
            limits=BatchLimits(
                config.batch_max_documents, config.batch_max_bytes, config.batch_max_seconds
            ),
            hook_retry=RetryPolicy(config.bulk_initial_backoff, config.bulk_max_backoff),
            hook_attempts=config.hook_attempts,
            should_abort=self._should_abort,
        )
        self._bundle_offsets: dict[tuple[str, int], int] | None = None

    def _should_abort(self) -> bool:
        return (
            lifecycle.stop_requested()
            and lifecycle.stop_requested_for() > self._config.shutdown_grace_seconds
        )

    def start_bundle(self) -> None:
        self._bundle_offsets = None

    def process(
        self, record: ProcessedRecord, finalizer: Any = beam.DoFn.BundleFinalizerParam
    ) -> Iterable[Any]:
        # A sink emits nothing; Beam (>= 2.78) requires process's declared return type to be
        # iterable, so the empty tuple is returned rather than None.
        if self._bundle_offsets is None:
            offsets: dict[tuple[str, int], int] = {}
            self._bundle_offsets = offsets
            if self._config.commit_offsets == "bundle_finalization":
                finalizer.register(lambda: self._commit(offsets))
        self._writer.add(record)
        if self._writer.due():
            self._flush()
        return ()

    def finish_bundle(self) -> None:
        if self._bundle_offsets is not None and len(self._writer):
            self._flush()

    def _flush(self) -> None:
        result = self._writer.flush()
        assert self._bundle_offsets is not None
        for key, offset in result.offsets.items():
            self._bundle_offsets[key] = max(self._bundle_offsets.get(key, 0), offset)
        if self._config.commit_offsets == "after_flush":
            self._commit(result.offsets)
        log.debug(
            "batch stored",
            records=result.records,
            created=result.created,
            existing=result.existing,
            failed=result.failed,
            dead_letters=result.dead_letters,
        )

    def _commit(self, offsets: dict[tuple[str, int], int]) -> None:
        try:
            committed = self._committer.commit(offsets)
        except Exception as exc:  # noqa: BLE001 - a lost commit only means a re-read later; keep streaming
            metrics.COMMIT_FAILURES.inc()
            log.warning("offset commit failed; the records will be read again", error=str(exc))
            return
        for (topic, partition), offset in committed.items():
            metrics.OFFSETS_COMMITTED.labels(topic, str(partition)).set(offset)

    def teardown(self) -> None:
        names = ["_writer", "_dead_letters", "_client"]
        if isinstance(getattr(self, "_committer", None), OffsetCommitter):
            names.append("_committer")
        for name in names:
            resource = getattr(self, name, None)
            if resource is not None:
                try:
                    resource.close()
                except Exception as exc:  # noqa: BLE001 - closing at exit must not mask the real outcome
                    log.debug("close failed", resource=name, error=str(exc))
