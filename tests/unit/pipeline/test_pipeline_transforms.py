"""PCollection-level tests of the pipeline's transforms on the embedded runner (no services).

The Kafka source reads in-memory partition logs through its ``reader_factory`` seam, so its
splittable-DoFn logic (start at the committed offset, claim each offset once, stop at the
bounded end or on a stop request, self-checkpoint between reads) runs on the real runner.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to
from support import pipeline_fakes as fakes
from support.pipeline_fakes import MemoryLog, memory_config, message

from ingest.ids import article_id
from ingest.records import ArticleRecord
from pipeline import lifecycle
from pipeline.beam.source import ReadFromKafka
from pipeline.beam.transforms import ProcessArticleFn
from pipeline.group import Turn

SEED = (Path(__file__).resolve().parents[2] / "fixtures" / "seed-article.txt").read_text("utf-8")


def embedded(streaming: bool = False) -> BeamTestPipeline:
    # The runner is named: Beam's default DirectRunner would first try to download Prism.
    # (TestPipeline's argv only carries --test-pipeline-options, hence options=.)
    options = PipelineOptions(["--streaming"] if streaming else [])
    return BeamTestPipeline(runner="FnApiRunner", options=options, blocking=True)


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    fakes.clear()
    lifecycle.reset()
    yield
    fakes.clear()
    lifecycle.reset()


def offsets(topic: str, partition: int, wanted: list[int]) -> MemoryLog:
    return MemoryLog(
        {o: message(topic, partition, o, f"v{partition}-{o}".encode()) for o in wanted}
    )


def test_bounded_read_claims_every_record_once_from_the_committed_offset() -> None:
    # Partition 0 has gaps (compaction), partition 1 a committed offset, partition 2 is empty.
    fakes.add_partition("t", 0, offsets("t", 0, [0, 1, 4, 5, 9]))
    log1 = offsets("t", 1, list(range(7)))
    log1.committed = 3
    fakes.add_partition("t", 1, log1)
    fakes.add_partition("t", 2, MemoryLog())
    expected = [(0, o) for o in (0, 1, 4, 5, 9)] + [(1, o) for o in range(3, 7)]
    with embedded() as p:
        read = p | ReadFromKafka(memory_config(bounded=True), "t")
        assert_that(read | beam.Map(lambda m: (m.partition, m.offset)), equal_to(expected))
    # max_poll_records=2: the source checkpointed between reads instead of reading all at once.
    assert fakes.get_log("t", 0).reads >= 3


def test_once_a_bundle_has_records_the_other_partitions_are_read_without_waiting() -> None:
    # The embedded runner reads every partition in one bundle, one after the other.  The first
    # read of a bundle may wait for records; once one returned some, waiting on the next
    # partitions would only delay what was read (the bundle is stored when it ends).
    for partition in (0, 1, 2):
        fakes.add_partition("w", partition, offsets("w", partition, list(range(6))))
    with embedded() as p:
        read = p | ReadFromKafka(memory_config(bounded=True, poll_timeout_ms=7), "w")
        assert_that(read | beam.Map(lambda m: m.partition), equal_to([0, 1, 2] * 6))
    waits = [w for pt in (0, 1, 2) for w in fakes.get_log("w", pt).waits_ms]
    # Three bundles of three reads (two records each): one read per bundle waited.
    assert sorted(waits) == [0] * 6 + [7] * 3


def test_a_busy_stream_lingers_between_bundles_a_quiet_one_does_not() -> None:
    # One partition, two records per read: every bundle carries records, so each next bundle
    # reads no sooner than the linger after the previous one began (records that arrive
    # meanwhile join it).  Only a lower bound is checked: a busy machine only adds time.
    fakes.add_partition("l", 0, offsets("l", 0, list(range(6))))
    with embedded() as p:
        read = p | ReadFromKafka(memory_config(bounded=True, bundle_linger_ms=150), "l")
        assert_that(read | beam.Map(lambda m: m.offset), equal_to(list(range(6))))
    times = fakes.get_log("l", 0).read_at
    assert len(times) == 3
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 0.14 for gap in gaps), gaps


def test_record_timestamps_become_element_timestamps() -> None:
    fakes.add_partition("t", 0, offsets("t", 0, [0, 1]))
    with embedded() as p:
        read = p | ReadFromKafka(memory_config(bounded=True), "t")
        stamped = read | beam.Map(
            lambda m, ts=beam.DoFn.TimestampParam: (m.offset, int(ts.micros // 1000))
        )
        assert_that(stamped, equal_to([(0, 1_700_000_000_000), (1, 1_700_000_000_001)]))


@pytest.mark.timeout(120)
def test_unbounded_read_runs_until_a_stop_is_requested() -> None:
    # The fake log requests the stop once it has been drained: the job must then end cleanly
    # (Pipeline.run returns) having emitted every record exactly once.
    for partition in (0, 1):
        log = offsets("u", partition, list(range(5)))
        log.stop_when_drained = True
        fakes.add_partition("u", partition, log)
    with embedded(streaming=True) as p:
        read = p | ReadFromKafka(memory_config(bounded=False), "u")
        assert_that(
            read | beam.Map(lambda m: (m.partition, m.offset)),
            equal_to([(pt, o) for pt in (0, 1) for o in range(5)]),
        )
    assert lifecycle.stop_requested()


@pytest.mark.timeout(120)
def test_a_group_member_reads_only_its_partitions_and_waits_out_a_rebalance() -> None:
    # Partition 1 is in a rebalance (WAIT) until partition 0 has been drained, partition 2
    # was given to another member (END): the run reads 0, then 1 from where it was, never 2.
    log0 = offsets("g", 0, list(range(4)))
    log1 = offsets("g", 1, list(range(3)))
    reads_of_1_when_settled: list[int] = []

    def settle() -> None:
        reads_of_1_when_settled.append(log1.reads)
        fakes.set_turn("g", 1, Turn.READ)

    log0.on_drained = settle
    log1.stop_when_drained = True
    log2 = offsets("g", 2, list(range(5)))
    for partition, log in enumerate((log0, log1, log2)):
        fakes.add_partition("g", partition, log)
    fakes.set_turn("g", 1, Turn.WAIT)
    fakes.set_turn("g", 2, Turn.END)
    with embedded(streaming=True) as p:
        read = p | ReadFromKafka(memory_config(bounded=False, partitions=(0, 1, 2)), "g")
        assert_that(
            read | beam.Map(lambda m: (m.partition, m.offset)),
            equal_to([(0, o) for o in range(4)] + [(1, o) for o in range(3)]),
        )
    assert log2.reads == 0
    assert reads_of_1_when_settled[0] == 0  # nothing was read during the rebalance


def test_start_from_latest_skips_the_backlog() -> None:
    fakes.add_partition("t", 0, offsets("t", 0, [0, 1, 2]))
    with embedded() as p:
        read = p | ReadFromKafka(memory_config(bounded=True, start_from="latest"), "t")
        assert_that(read, equal_to([]))


def test_process_articles_transform() -> None:
    url = "https://example.org/peskov"
    good = ArticleRecord(id=article_id(url), url=url, title="Peskov", text=SEED).to_bytes()
    missing = json.dumps({"url": url}).encode()
    huge = b'{"text": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    messages = [
        message("t", 0, 0, good),
        message("t", 0, 1, b"{not json"),
        message("t", 1, 0, missing),
        message("t", 1, 1, huge),
    ]
    with embedded() as p:
        processed = (
            p
            | beam.Create(messages)
            | beam.ParDo(ProcessArticleFn(max_record_bytes=8 * 1024 * 1024))
        )
        summary = processed | beam.Map(
            lambda r: (
                tuple(r.position),
                sorted({d.index for d in r.documents}),
                [dl.reason for dl in r.dead_letters],
            )
        )
        assert_that(
            summary,
            equal_to(
                [
                    (("t", 0, 0), ["articles", "statements"], []),
                    (("t", 0, 1), [], ["invalid_json"]),
                    (("t", 1, 0), [], ["schema"]),
                    (("t", 1, 1), [], ["too_large"]),
                ]
            ),
            label="reasons",
        )
        statements = (
            processed
            | beam.FlatMap(lambda r: [d for d in r.documents if d.index == "statements"])
            | beam.Map(
                lambda d: (d.id.startswith(article_id(url) + "-"), bool(d.source["speaker"]))
            )
            | beam.combiners.Count.PerElement()
        )
        assert_that(
            statements | beam.Map(lambda kv: kv[0]), equal_to([(True, True)]), label="speakers"
        )
