"""Each worker killed with SIGKILL (twice, mid-stream), the poller's state store out of space,
and ten times the nominal load for 60 s: nothing lost, nothing alerted twice.

These use the shared Kafka and Elasticsearch with their own topics and indices.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.faults import FEEDS, RATE, FaultRun, assert_nothing_lost, report

from benchmarks.harness.newsroom import Phase
from parley.config import Settings

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.slow]

SETTLE_S = 180


@pytest.mark.timeout(600)
@pytest.mark.parametrize("role", ["poller", "pipeline", "dispatcher"])
def test_worker_killed_with_sigkill(
    role: str,
    kafka_bootstrap: str,
    settings: Settings,
    es_client: object,
    fault_run: Callable[..., FaultRun],
) -> None:
    run = fault_run(kafka_bootstrap, settings.elasticsearch.hosts)
    run.start()
    run.newsroom.run_schedule([Phase(RATE, 45)])
    kills = 0
    for at in (10, 25):
        time.sleep(max(0.0, run.started_at + at - time.time()))
        for worker in run.stack.running(role):
            run.stack.kill(worker, signal.SIGKILL)
            kills += 1
    assert kills == 2
    assert run.newsroom.schedule_done(60)
    published_until = time.time()
    acc, lines, last_alert = run.settle(SETTLE_S)
    report(
        f"{role} killed with SIGKILL (twice)",
        acc,
        run,
        recovered_s=round(last_alert - published_until, 1) if last_alert else None,
    )
    # A dispatcher killed between a webhook POST and storing its outcome sends the alert once
    # more after the restart, with the same X-Parley-Delivery id (at-least-once delivery).
    assert_nothing_lost(acc, lines, run, redeliveries_allowed=role == "dispatcher")
    assert [r for r, _, _ in run.stack.restarts] == [role, role]


@contextlib.contextmanager
def tiny_tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> Path:
    """Write zeros into ``directory`` until the file system says ENOSPC."""
    filler = directory / "filler"
    chunk = b"\0" * 65536
    # Unbuffered: a buffered file would try to write its rest again when closed, and that
    # close would fail with ENOSPC as well.
    with filler.open("wb", buffering=0) as fh:
        while True:
            try:
                fh.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
    # Also the last partial pages, so that not even a small write fits.
    with contextlib.suppress(OSError), (directory / "filler-tail").open("wb", buffering=0) as fh:
        while True:
            fh.write(b"\0" * 512)
    return filler


@pytest.mark.timeout(600)
def test_poller_state_store_out_of_space(
    kafka_bootstrap: str,
    settings: Settings,
    es_client: object,
    fault_run: Callable[..., FaultRun],
    tmp_path: Path,
) -> None:
    with tiny_tmpfs(tmp_path / "state", "16m") as state:
        run = fault_run(kafka_bootstrap, settings.elasticsearch.hosts, state_dir=state)
        run.start()
        run.newsroom.run_schedule([Phase(RATE, 50)])
        time.sleep(10)
        filler = fill(state)
        full_at = time.time()
        time.sleep(20)
        for name in ("filler", "filler-tail"):
            (state / name).unlink(missing_ok=True)
        freed_at = time.time()
        assert filler.parent == state
        assert run.newsroom.schedule_done(60)
        published_until = time.time()
        acc, lines, last_alert = run.settle(SETTLE_S)
        logs = "\n".join(w.log.read_text(errors="replace") for w in run.stack.workers["poller"])
        report(
            "poller state store out of space (ENOSPC) for 20 s",
            acc,
            run,
            full_s=round(freed_at - full_at, 1),
            recovered_s=round(last_alert - published_until, 1) if last_alert else None,
        )
        # The fault must have happened: the store's writes failed while the disk was full.
        assert "full" in logs.lower() or "no space" in logs.lower(), logs[-3000:]
        assert_nothing_lost(acc, lines, run)
        assert os.path.ismount(state)


@pytest.mark.timeout(900)
def test_ten_times_the_load_for_60s(
    kafka_bootstrap: str,
    settings: Settings,
    es_client: object,
    fault_run: Callable[..., FaultRun],
) -> None:
    feeds = 2 * FEEDS
    run = fault_run(kafka_bootstrap, settings.elasticsearch.hosts, feeds=feeds)
    run.start()
    run.newsroom.run_schedule([Phase(RATE, 15), Phase(10 * RATE, 60), Phase(RATE, 15)])
    assert run.newsroom.schedule_done(200)
    published_until = time.time()
    acc, lines, last_alert = run.settle(SETTLE_S)
    listed_to_alert = [t.alert - t.story.listed_at for t in lines if t.alert and t.story.listed_at]
    report(
        f"10x the load ({10 * RATE:g} articles/s) for 60 s",
        acc,
        run,
        recovered_s=round(last_alert - published_until, 1) if last_alert else None,
        max_listed_to_alert_s=round(max(listed_to_alert), 1) if listed_to_alert else None,
    )
    assert_nothing_lost(acc, lines, run)
