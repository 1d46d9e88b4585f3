"""``parley pipeline`` as one member of the consumer group: the job over its own partitions.

The process joins the pipeline's consumer group (``pipeline.group.GroupMember``) and runs the
Beam job on the embedded runner over the partitions Kafka assigned to it.  When the
assignment changes (a worker joined, left or died), the run ends and a new one starts over the
new assignment:

1. the rebalance revokes the partitions: the source reads nothing more and waits;
2. the new assignment arrives.  Unchanged: the run goes on from where it was.  Changed: each
   partition's restriction ends at its next read; the bundle in flight is stored and its
   offsets committed if the partition is still this member's, and left uncommitted (read
   again by the new owner) otherwise;
3. a new run starts over the new assignment, from the committed offsets.

One run at a time, so no partition is read twice in this process.  SIGTERM ends the run the
same way and then the membership (a dynamic member leaves the group at once).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineResult, PipelineState

from parley.config import Settings
from parley.logs import get_logger
from pipeline import group, lifecycle, metrics
from pipeline.beam.transforms import HookFactory
from pipeline.config import PipelineConfig
from pipeline.group import GroupMember, expand_instance_id
from pipeline.processing import ExtractFn

log = get_logger(__name__)

ASSIGNMENT_WAIT_S = 0.5


class _Stopped(PipelineResult):  # type: ignore[misc]
    """The result when the process stopped before (or between) runs."""

    def __init__(self) -> None:
        super().__init__(PipelineState.DONE)

    def wait_until_finish(self, duration: int | None = None) -> str:
        return str(self.state)


def run_as_group_member(
    options: PipelineOptions,
    settings: Settings,
    config: PipelineConfig,
    *,
    hook_factories: Sequence[HookFactory],
    extractor_factory: Callable[[], ExtractFn],
) -> PipelineResult:
    from pipeline.beam.app import build_pipeline

    topic = config.topic_name(settings)
    member = GroupMember(
        settings.kafka.client_kwargs(),
        topic,
        config.group_id,
        instance_id=expand_instance_id(config.instance_id),
        session_timeout_ms=config.session_timeout_ms,
        heartbeat_interval_ms=config.heartbeat_interval_ms,
    )
    member.start()
    group.install(member)
    result: PipelineResult = _Stopped()
    idle_after = 0  # an empty assignment: wait for a newer one
    try:
        while not lifecycle.stop_requested():
            assignment = member.next_assignment(after=idle_after, timeout=ASSIGNMENT_WAIT_S)
            if assignment is None:
                continue
            metrics.ASSIGNED_PARTITIONS.set(len(assignment.partitions))
            if not assignment.partitions:
                idle_after = assignment.number
                log.info("no partitions assigned: more pipeline workers than partitions")
                continue
            paused = member.begin_run(assignment.partitions)
            if paused is not None:
                metrics.REBALANCE_PAUSE.observe(paused)
            log.info(
                "pipeline run starting",
                partitions=sorted(assignment.partitions),
                assignment=assignment.number,
                since_revocation_s=None if paused is None else round(paused, 3),
            )
            pipeline = beam.Pipeline(options=options)
            build_pipeline(
                pipeline,
                settings,
                config,
                hook_factories=hook_factories,
                extractor_factory=extractor_factory,
                partitions=sorted(assignment.partitions),
            )
            result = pipeline.run()
            state = result.wait_until_finish()
            log.info(
                "pipeline run ended", partitions=sorted(assignment.partitions), state=str(state)
            )
    finally:
        group.install(None)
        member.close()
        metrics.ASSIGNED_PARTITIONS.set(0)
    return result
