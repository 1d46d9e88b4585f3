"""Kafka killed for 30 s, Elasticsearch stopped for 60 s: nothing lost, nothing alerted twice.

Both run on the session's private Kafka and Elasticsearch (``private_services``): the shared
ones are never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from support.faults import RATE, FaultRun, assert_nothing_lost, report

from benchmarks.harness.newsroom import Phase
from benchmarks.harness.stack import LocalServices

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.slow]

BEFORE_S = 10  # steady publishing before the fault
AFTER_S = 15  # publishing after the service is back
SETTLE_S = 180


@pytest.mark.timeout(900)
def test_kafka_broker_killed_for_30s(
    private_services: LocalServices, fault_run: Callable[..., FaultRun]
) -> None:
    run = fault_run(private_services.bootstrap, private_services.es_hosts)
    run.start()
    run.newsroom.run_schedule([Phase(RATE, 3600)])
    time.sleep(BEFORE_S)

    private_services.kill_kafka()  # SIGKILL: no controlled shutdown
    down_at = time.time()
    time.sleep(30)
    private_services.up("kafka")
    up_at = time.time()

    time.sleep(AFTER_S)
    run.newsroom.stop_schedule()
    published_until = time.time()
    acc, lines, last_alert = run.settle(SETTLE_S)
    report(
        "Kafka broker killed (SIGKILL) for 30 s",
        acc,
        run,
        outage_s=round(up_at - down_at, 1),
        recovered_s=round(last_alert - published_until, 1) if last_alert else None,
    )
    assert_nothing_lost(acc, lines, run)


@pytest.mark.timeout(900)
def test_elasticsearch_stopped_for_60s(
    private_services: LocalServices, fault_run: Callable[..., FaultRun]
) -> None:
    run = fault_run(private_services.bootstrap, private_services.es_hosts)
    run.start()
    run.newsroom.run_schedule([Phase(RATE, 3600)])
    time.sleep(BEFORE_S)

    private_services.down("elasticsearch")
    down_at = time.time()
    time.sleep(60)
    # Returns once the node is healthy again, which takes tens of seconds on a small machine:
    # the outage seen by the workers is 60 s plus the start-up.
    private_services.up("elasticsearch")
    up_at = time.time()

    time.sleep(AFTER_S)
    run.newsroom.stop_schedule()
    published_until = time.time()
    acc, lines, last_alert = run.settle(SETTLE_S)
    report(
        "Elasticsearch stopped for 60 s",
        acc,
        run,
        outage_s=round(up_at - down_at, 1),
        recovered_s=round(last_alert - published_until, 1) if last_alert else None,
    )
    assert_nothing_lost(acc, lines, run)
