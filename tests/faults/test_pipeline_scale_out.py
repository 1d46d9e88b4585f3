"""Three ``parley pipeline`` processes share six partitions through the consumer group while
2,000 articles go through the whole monitor: one pipeline is killed with SIGKILL and comes back
20 s later, another is restarted with SIGTERM (a rolling restart).  Each partition is held by
exactly one process (the group description says so), the killed one's partitions move within
15 s, the rolling restart does not disturb the others (static membership), and nothing is
lost or alerted twice.

Uses the shared Kafka and Elasticsearch with its own topics, indices and groups.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaAdminClient
from support.faults import FaultRun, assert_nothing_lost, report

from benchmarks.harness.newsroom import Phase
from benchmarks.harness.stack import StackOptions, Worker
from parley.config import Settings

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.slow]

PIPELINES = 3
PARTITIONS = 6
RATE = 20.0  # articles per second
SECONDS = 100  # 2,000 articles
KILL_AT = 25
ROLLING_RESTART_AT = 70
RESTART_DELAY = 20.0  # the killed worker stays away longer than the session timeout
TAKEOVER_LIMIT_S = 15.0
SETTLE_S = 240


def owners(admin: KafkaAdminClient, group_id: str, topic: str) -> dict[str, list[int]]:
    """Static member id -> partitions of ``topic`` it holds, from the group description."""
    group = admin.describe_groups([group_id])[group_id]
    held: dict[str, list[int]] = {}
    for member in group["members"]:
        assignment = member.get("member_assignment") or {}
        held[member["group_instance_id"]] = sorted(
            p
            for a in assignment.get("assigned_partitions", [])
            if a["topic"] == topic
            for p in a["partitions"]
        )
    return held


def each_partition_held_once(held: dict[str, list[int]]) -> bool:
    every = [p for partitions in held.values() for p in partitions]
    return sorted(every) == list(range(PARTITIONS))


def wait_for(
    admin: KafkaAdminClient,
    group_id: str,
    topic: str,
    condition: Callable[[dict[str, list[int]]], bool],
    timeout: float,
) -> tuple[dict[str, list[int]], float]:
    """Poll the group description until ``condition``; returns it and when it held."""
    deadline = time.monotonic() + timeout
    held: dict[str, list[int]] = {}
    while time.monotonic() < deadline:
        held = owners(admin, group_id, topic)
        if condition(held):
            return held, time.time()
        time.sleep(0.25)
    raise AssertionError(f"group {group_id} never got there; last description: {held}")


def events(worker: Worker, name: str) -> list[tuple[float, dict[str, Any]]]:
    """(unix time, record) of the worker's JSON log lines with event ``name``."""
    out = []
    for line in Path(worker.log).read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == name:
            at = datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")).timestamp()
            out.append((at, record))
    return out


@pytest.mark.timeout(1200)
def test_three_pipelines_share_six_partitions_through_a_kill_and_a_rolling_restart(
    kafka_bootstrap: str,
    settings: Settings,
    es_client: object,
    fault_run: Callable[..., FaultRun],
) -> None:
    run = fault_run(
        kafka_bootstrap,
        settings.elasticsearch.hosts,
        feeds=8,
        window=400,
        options=StackOptions(pipelines=PIPELINES, partitions=PARTITIONS),
        restart_delay=RESTART_DELAY,
    )
    run.start()
    stack = run.stack
    topic = stack.settings.kafka.topics.articles
    group_id = stack.config["pipeline"]["group_id"]
    admin = KafkaAdminClient(**stack.settings.kafka.client_kwargs())
    try:
        everyone = {f"pipeline-{n}" for n in range(PIPELINES)}

        def balanced(held: dict[str, list[int]]) -> bool:
            sizes = [len(p) for p in held.values()]
            return set(held) == everyone and each_partition_held_once(held) and sizes == [2] * 3

        start_owners, _ = wait_for(admin, group_id, topic, balanced, 60)

        run.newsroom.run_schedule([Phase(RATE, SECONDS)])
        by_id = {w.args[-1]: w for w in stack.running("pipeline")}

        # SIGKILL: no goodbye to the group; its partitions move when its session expires.
        time.sleep(max(0.0, run.started_at + KILL_AT - time.time()))
        killed = by_id["pipeline-1"]
        stack.kill(killed, signal.SIGKILL)
        killed_at = time.time()
        survivors = everyone - {"pipeline-1"}
        after_kill, moved_at = wait_for(
            admin,
            group_id,
            topic,
            lambda held: set(held) == survivors and each_partition_held_once(held),
            TAKEOVER_LIMIT_S + 15,
        )
        takeover_s = moved_at - killed_at
        # ... and the survivors run over their new partitions (a new Beam run each, once the
        # run over the old ones has ended).
        resumed = [
            run_started(by_id[name], PARTITIONS // 2, killed_at, timeout=30)
            for name in sorted(survivors)
        ]
        # Back after RESTART_DELAY with the same instance id: the group rebalances again.
        back_owners, _ = wait_for(admin, group_id, topic, balanced, RESTART_DELAY + 60)

        # Rolling restart: SIGTERM and start again at once, well within the session timeout.
        time.sleep(max(0.0, run.started_at + ROLLING_RESTART_AT - time.time()))
        before_restart = owners(admin, group_id, topic)
        others = [w for w in stack.running("pipeline") if w.args[-1] != "pipeline-2"]
        revoked_before = {w.args[-1]: len(events(w, "partitions revoked")) for w in others}
        restart_began = time.time()
        restarted = stack.restart(next(w for w in stack.running("pipeline") if w not in others))
        rejoined = [at for at, _ in wait_for_assignment(restarted, timeout=60)]
        time.sleep(5)  # a rebalance would show in the others' logs by now
        revoked_after = {w.args[-1]: len(events(w, "partitions revoked")) for w in others}
        after_restart = owners(admin, group_id, topic)

        assert run.newsroom.schedule_done(SECONDS + 120)
        published_until = time.time()
        acc, lines, last_alert = run.settle(SETTLE_S)
        final_owners = owners(admin, group_id, topic)
    finally:
        admin.close()

    report(
        f"{PIPELINES} pipelines on {PARTITIONS} partitions: one killed with SIGKILL "
        f"(back after {RESTART_DELAY:g} s), one restarted with SIGTERM",
        acc,
        run,
        recovered_s=round(last_alert - published_until, 1) if last_alert else None,
        takeover_s=round(takeover_s, 1),
        runs_resumed_s=round(max(resumed) - killed_at, 1) if all(resumed) else None,
        rolling_restart_rejoined_s=round(rejoined[0] - restart_began, 1) if rejoined else None,
        rolling_restart_revocations_of_others=sum(revoked_after.values())
        - sum(revoked_before.values()),
        owners={
            "start": start_owners,
            "after_kill": after_kill,
            "back": back_owners,
            "after_restart": after_restart,
            "end": final_owners,
        },
    )
    assert takeover_s <= TAKEOVER_LIMIT_S, (takeover_s, after_kill)
    assert all(resumed) and max(resumed) - killed_at <= TAKEOVER_LIMIT_S, resumed
    assert each_partition_held_once(back_owners)
    # Static membership: the restarted member came back to its own partitions and the others
    # were not even revoked.
    assert after_restart == before_restart, (before_restart, after_restart)
    assert revoked_after == revoked_before, (revoked_before, revoked_after)
    assert final_owners == after_restart and each_partition_held_once(final_owners)
    assert acc.published == round(RATE * SECONDS)
    assert_nothing_lost(acc, lines, run)


def run_started(worker: Worker, partitions: int, after: float, timeout: float) -> float:
    """When the worker started a Beam run over that many partitions after ``after`` (0 if it
    did not within ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        for at, record in events(worker, "pipeline run starting"):
            if at > after and len(record["partitions"]) == partitions:
                return at
        if time.monotonic() > deadline:
            return 0.0
        time.sleep(0.25)


def wait_for_assignment(worker: Worker, timeout: float) -> list[tuple[float, dict[str, Any]]]:
    """The worker's "partitions assigned" events with partitions, once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        found = [(at, r) for at, r in events(worker, "partitions assigned") if r["partitions"]]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.25)
