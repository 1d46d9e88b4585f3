"""Helpers of the fault tests (``tests/faults``): one run of the whole monitor against a local
newsroom, the accounting at both ends, and the report line of the README table."""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from benchmarks.harness.journey import Accounting, Journeys, Timeline, account
from benchmarks.harness.machine import commit, load_average, machine
from benchmarks.harness.newsroom import GeneratedPages, Newsroom, Story
from benchmarks.harness.receiver import WebhookReceiver
from benchmarks.harness.stack import Stack, StackOptions

# Nominal load of the fault tests: articles per second over FEEDS feeds.  Three articles a
# second is about ten thousand an hour, far above what a monitored feed list publishes.
RATE = 3.0
FEEDS = 4


@dataclass
class FaultRun:
    workdir: Path
    bootstrap: str
    es_hosts: str
    feeds: int = FEEDS
    window: int = 300
    options: StackOptions = field(default_factory=StackOptions)
    state_dir: Path | None = None
    # The supervisor restarts an exited worker after this long (systemd's RestartSec=).
    restart_delay: float = 2.0

    def __post_init__(self) -> None:
        self.name = "flt" + uuid.uuid4().hex[:10]
        self.newsroom = Newsroom(GeneratedPages(), self.feeds, window=self.window).start()
        self.receiver = WebhookReceiver(secrets.token_hex(16)).start()
        self.stack = Stack(
            self.workdir,
            self.name,
            bootstrap=self.bootstrap,
            es_hosts=self.es_hosts,
            newsroom=self.newsroom,
            receiver=self.receiver,
            options=self.options,
            state_dir=self.state_dir,
        )
        settings = self.stack.settings
        self.journeys = Journeys(
            self.newsroom,
            self.receiver,
            settings.kafka.client_kwargs(),
            settings.kafka.topics.articles,
            settings.elasticsearch.client_kwargs(),
            settings.elasticsearch.index("articles"),
            settings.elasticsearch.index("alerts"),
            search_interval=0.5,
        )
        self.measured_from = 0
        self.started_at = 0.0

    def start(self, warmup_timeout: float = 300) -> None:
        """Topics, indices, subscription, workers; then one article per feed all the way
        through, so that the measured part starts with every worker ready."""
        self.stack.prepare()
        self.journeys.start()
        self.stack.start_all()
        self.stack.supervise(restart_delay=self.restart_delay)
        warm = [self.newsroom.publish(feed=k) for k in range(self.feeds)]
        if not self.journeys.wait_complete(warm, timeout=warmup_timeout):
            pytest.fail(f"warm-up did not complete\n{self.logs()}", pytrace=False)
        self.measured_from = len(self.newsroom.snapshot())
        self.started_at = time.time()

    def measured(self) -> list[Story]:
        return self.newsroom.snapshot()[self.measured_from :]

    def settle(self, timeout: float) -> tuple[Accounting, list[Timeline], float | None]:
        """Wait until every measured article is searchable and alerted (or ``timeout``);
        returns the accounting, the timelines and when the last alert arrived."""
        stories = self.measured()
        self.journeys.wait_complete(stories, timeout=timeout)
        # Anything delivered twice shows up within a few seconds of the last delivery.
        time.sleep(3)
        lines = self.journeys.lines(stories)
        last = max((t.alert for t in lines if t.alert is not None), default=None)
        return account(lines, self.receiver), lines, last

    def logs(self, lines: int = 30) -> str:
        return "\n".join(self.stack.log_tail(role, lines) for role in self.stack.workers)

    def close(self) -> None:
        try:
            self.stack.stop_all(timeout=30)
        finally:
            self.journeys.stop()
            self.newsroom.stop()
            self.receiver.stop()
            self.stack.destroy()


def report(fault: str, acc: Accounting, run: FaultRun, **extra: Any) -> None:
    """One line of the fault table: printed, and appended to ``PARLEY_FAULTS_REPORT``."""
    row = {
        "fault": fault,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **commit(),
        "machine": machine(),
        "load_average": load_average(),
        **acc.as_dict(),
        "worker_restarts": [role for role, _, _ in run.stack.restarts],
        **extra,
    }
    print(json.dumps(row))
    path = os.environ.get("PARLEY_FAULTS_REPORT")
    if path:
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")


def assert_nothing_lost(
    acc: Accounting, lines: list[Timeline], run: FaultRun, *, redeliveries_allowed: bool = False
) -> None:
    lost = [t for t in lines if t.alert is None or t.searchable is None]
    detail = "\n".join(
        f"story {t.story.serial} feed {t.story.feed}: listed={t.story.listed_at} "
        f"fetched={t.story.fetched_at} kafka={t.kafka} searchable={t.searchable} alert={t.alert}"
        for t in lost[:15]
    )
    assert acc.published > 0
    assert not lost, f"{len(lost)} of {acc.published} articles lost:\n{detail}\n{run.logs()}"
    assert acc.indexed == acc.published == acc.alerted
    assert acc.duplicate_alerts == 0, run.logs()
    assert acc.bad_signatures == 0
    if not redeliveries_allowed:
        assert acc.redeliveries == 0, run.logs()
