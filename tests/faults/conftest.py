"""Fault tests: the whole monitor (``parley poll``, ``parley pipeline``, ``parley alerts
dispatch`` as processes) against a local newsroom, while something breaks.

Every test publishes articles that each carry one official statement about talks, breaks one
thing, lets it recover, and then counts at both ends: articles published, in Kafka, searchable
in Elasticsearch, alerts received by the signed-webhook receiver.  Nothing may be lost and no
article may reach the subscriber as two alerts.  The workers run under a small supervisor that
restarts a worker that exited (as systemd or Kubernetes would); restarts are reported.

Tests that kill Kafka or stop Elasticsearch use a private Kafka and Elasticsearch
(``deploy/local/services.sh`` with other ports and a data directory of their own), started
once per session; a lock file makes a second session wait instead of starting another private
Elasticsearch next to it.  The other tests use the shared services with their own topics and
indices.

Set ``PARLEY_FAULTS_REPORT=path.jsonl`` to collect one JSON line per test (the README table is
rendered from it by ``python -m benchmarks.fault_table``).
"""

from __future__ import annotations

import fcntl
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.faults import FaultRun

from benchmarks.harness.stack import LocalServices
from parley.config import REPO_ROOT

PRIVATE_LOCK = REPO_ROOT / "var" / ".faults-private-services.lock"
PRIVATE_LOCK_WAIT_S = 1200


@pytest.fixture
def fault_run(tmp_path: Path) -> Iterator[Callable[..., FaultRun]]:
    runs: list[FaultRun] = []

    def make(bootstrap: str, es_hosts: str, **kwargs: Any) -> FaultRun:
        run = FaultRun(tmp_path / f"run{len(runs)}", bootstrap, es_hosts, **kwargs)
        runs.append(run)
        return run

    yield make
    for run in runs:
        run.close()


@pytest.fixture(scope="session")
def private_services() -> Iterator[LocalServices]:
    """A private Kafka and Elasticsearch for this session (see the module docstring)."""
    PRIVATE_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with PRIVATE_LOCK.open("w") as lock:
        deadline = time.monotonic() + PRIVATE_LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"another session held {PRIVATE_LOCK} for {PRIVATE_LOCK_WAIT_S}s",
                        pytrace=False,
                    )
                time.sleep(2)
        data_dir = REPO_ROOT / "var" / f"faults-{uuid.uuid4().hex[:8]}"
        services = LocalServices(data_dir)
        try:
            services.up("kafka")
            services.up("elasticsearch")
            yield services
        finally:
            try:
                services.down("all")
            finally:
                shutil.rmtree(data_dir, ignore_errors=True)
                fcntl.flock(lock, fcntl.LOCK_UN)
