"""`parley pipeline` as a real process: SIGKILL mid-stream, restart, nothing lost or duplicated;
the restart resumes from the committed offsets; SIGTERM stops it cleanly with all committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.pipeline_env import (
    PipelineEnv,
    environment,
    free_port,
    seed_article,
    wait_until,
)

from parley.config import REPO_ROOT

TOTAL = 240


def start(
    env: PipelineEnv, metrics_port: int, log: Path, marker: Path | None = None
) -> subprocess.Popen[bytes]:
    proc_env = environment(env.settings)
    hook: list[str] = []
    if marker is not None:
        # tests/ on the path for the marker hook, which lets the test kill at a known point,
        # and the repository for what the hook's module imports (benchmarks.harness).
        proc_env["PYTHONPATH"] = os.pathsep.join((str(REPO_ROOT / "tests"), str(REPO_ROOT)))
        proc_env["PARLEY_TEST_HOOK_MARKER"] = str(marker)
        hook = ["--hook", "support.pipeline_env:marker_hook"]
    # Small reads and batches: many flushes and commits, so the kill lands between some.
    proc_env.update(
        {
            "PARLEY_PIPELINE__MAX_POLL_RECORDS": "10",
            "PARLEY_PIPELINE__BATCH_MAX_DOCUMENTS": "60",
            "PARLEY_METRICS__ENABLED": "true",
            "PARLEY_METRICS__PORT": str(metrics_port),
        }
    )
    parley = Path(sys.executable).parent / "parley"
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(parley), "--log-format", "json", "pipeline", *hook],
            env=proc_env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def records_read(port: int) -> float:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("parley_pipeline_records_total{")
    )


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(10)


@pytest.mark.timeout(420)
def test_sigkill_mid_stream_then_restart(
    env: PipelineEnv, procs: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    produced = env.produce([seed_article(i) for i in range(TOTAL)])
    articles, statements = env.expected_documents()
    assert len(articles) == TOTAL
    log = tmp_path / "pipeline.log"

    marker = tmp_path / "in-hook"
    first = start(env, free_port(), log, marker)
    procs.append(first)
    progressed = wait_until(lambda: env.count("articles") >= TOTAL // 4, timeout=120)
    assert progressed, log.read_text()[-3000:]
    # Kill inside a post-index hook: that batch is in Elasticsearch, its offsets not committed.
    marker.unlink(missing_ok=True)
    assert wait_until(marker.exists, timeout=30), log.read_text()[-3000:]
    first.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL

    # Nothing committed that is not stored: every record below a committed offset is indexed.
    committed = {p: o or 0 for p, o in env.committed().items()}
    stored = set(env.documents("articles"))
    below = {p.record.id for p in produced if p.record and p.offset < committed[p.partition]}
    assert below <= stored
    # ... and some stored documents are not committed: the restart must meet them again.
    assert stored - below
    assert len(stored) < TOTAL, "the kill came too late to test anything; produce more"
    end = env.end_offsets()
    backlog = sum(end[p] - committed[p] for p in end)

    port = free_port()
    second = start(env, port, log)
    procs.append(second)
    done = wait_until(
        lambda: env.count("articles") == TOTAL and env.committed() == end, timeout=180
    )
    assert done, log.read_text()[-3000:]
    # The restart read exactly what was not committed: it resumed from the committed offsets.
    assert records_read(port) == backlog

    second.send_signal(signal.SIGTERM)
    assert second.wait(60) == 0, log.read_text()[-3000:]

    assert set(env.documents("articles")) == articles
    docs = env.documents("statements")
    assert set(docs) == statements  # all there, none twice (ids are unique per document)
    assert {d["_version"] for d in docs.values()} == {1}
    assert env.committed() == end
