"""The ``pipeline`` section of parley's settings (``settings.pipeline``, ``PARLEY_PIPELINE__*``)."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from parley.config import Settings


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Kafka consumer group whose committed offsets say what has been stored.
    group_id: str = "parley-pipeline"
    # Topic to read; default: settings.kafka.topics.articles.
    topic: str | None = None
    # Where to start a partition: the group's committed offset ("committed", falling back to
    # the oldest record when the group has none), or ignore it ("earliest", "latest").
    start_from: Literal["committed", "earliest", "latest"] = "committed"
    # Stop at the partition ends seen at start-up (tests, backfills) instead of running forever.
    bounded: bool = False
    # How long one read waits for new records; the embedded runner re-runs the source as fast as
    # it can, so this is also the idle pacing.
    poll_timeout_ms: int = Field(50, ge=1, le=10_000)
    # Adaptive batching: after a bundle that carried records, the next bundle starts reading no
    # sooner than this after that one began; records arriving meanwhile join it.  A quiet
    # stream (an empty last bundle) is read at once; a busy one gets fewer, larger batches
    # (less Elasticsearch and Kafka work per article) for at most this much more latency.
    bundle_linger_ms: int = Field(250, ge=0, le=10_000)
    max_poll_records: int = Field(500, ge=1)
    max_partition_fetch_bytes: int = Field(32 * 1024 * 1024, ge=1024)
    # Records larger than this are dead-lettered unparsed ("too_large").
    max_record_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    # Bulk batching: whichever limit is hit first (plus the end of every bundle).
    batch_max_documents: int = Field(1000, ge=1)
    batch_max_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    batch_max_seconds: float = Field(1.0, gt=0)
    # Bulk retries on 429/5xx/connection errors: capped exponential backoff; None = retry until
    # Elasticsearch is back (backpressure: nothing is read meanwhile, nothing committed).
    bulk_initial_backoff: float = Field(0.2, gt=0)
    bulk_max_backoff: float = Field(5.0, gt=0)
    bulk_retry_deadline: float | None = None
    # After SIGTERM, keep retrying a failing Elasticsearch this long before giving up (then the
    # records stay uncommitted and are read again on the next start).
    shutdown_grace_seconds: float = Field(30.0, ge=0)
    # When to commit offsets (always after Elasticsearch acknowledged): at bundle finalization
    # (after the runner made the bundle durable), or right after each successful flush.  "auto"
    # picks finalization on runners known to finalize fused downstream DoFns (FnApiRunner,
    # Flink, Dataflow) and "after_flush" elsewhere (Prism 2.77 never finalizes them).
    commit_offsets: Literal["auto", "bundle_finalization", "after_flush"] = "auto"
    # A hook failing with an error that is not an infrastructure error is tried this often, then
    # statement by statement; what still fails is dead-lettered ("hook_failed").
    hook_attempts: int = Field(3, ge=1)
    # Extra post-index hooks as "module:factory" (factory(settings) -> hook).
    hooks: list[str] = Field(default_factory=list)
    # How this process finds its partitions.  "group": it joins the consumer group and reads
    # only the partitions Kafka assigns to it, so several `parley pipeline` processes split the
    # topic and take over a dead one's partitions (embedded runner, streaming, starting from
    # the committed offsets).  "all": it reads every partition itself (a single process, or a
    # distributed runner that spreads them over its workers).  "auto": "group" where it
    # applies, else "all".  See docs/scaling.md.
    assignment: Literal["auto", "group", "all"] = "auto"
    # Static group membership (Kafka's group.instance.id), unique per worker, e.g. the pod
    # name: a worker that comes back with the same id within the session timeout keeps its
    # partitions, and the others are not disturbed.  "{hostname}" is replaced by the host
    # name.  Unset: a dynamic member (every restart rebalances the group).
    instance_id: str | None = Field(None, pattern=r"^[A-Za-z0-9._{}-]{1,200}$")
    # A member whose heartbeats stop (crash, SIGKILL, lost machine) is replaced after this
    # long: its partitions move to the others.  The broker bounds it
    # (group.min.session.timeout.ms, 6 s by default).
    session_timeout_ms: int = Field(10_000, ge=1_000, le=1_800_000)
    heartbeat_interval_ms: int = Field(3_000, ge=100)

    @model_validator(mode="after")
    def _heartbeat_within_session(self) -> Self:
        if self.heartbeat_interval_ms >= self.session_timeout_ms:
            raise ValueError("heartbeat_interval_ms must be below session_timeout_ms")
        return self

    @classmethod
    def from_settings(cls, settings: Settings) -> PipelineConfig:
        return cls.model_validate(settings.pipeline)

    def topic_name(self, settings: Settings) -> str:
        return self.topic or settings.kafka.topics.articles

    def resolved_assignment(self, runner: str) -> Literal["group", "all"]:
        """``assignment`` for a job on ``runner`` (a Beam runner name, possibly dotted)."""
        problems = []
        if runner.rsplit(".", 1)[-1] != "FnApiRunner":
            problems.append(f"the {runner} runner assigns partitions to its own workers")
        if self.bounded:
            problems.append("a bounded run reads up to the ends it saw at start-up")
        if self.start_from != "committed":
            problems.append(f"start_from={self.start_from} would apply to every rebalance")
        if self.assignment == "auto":
            return "all" if problems else "group"
        if self.assignment == "group" and problems:
            raise ValueError("pipeline.assignment=group does not apply: " + "; ".join(problems))
        return self.assignment
