"""`parley status` shows offset commits that do not move (real Kafka): a committed offset that
stays put while records wait behind it, and the dispatcher's own count of failed commits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry, Gauge, start_http_server
from rich.console import Console

from benchmarks.harness.ports import free_port
from parley.commit_health import STUCK_AFTER_S, collect_commit_health, render_commit_health
from parley.config import Settings, load_settings


@pytest.fixture
def stalled(unique_name: str, kafka_bootstrap: str, tmp_path: Any) -> Iterator[Settings]:
    """A dispatcher group that committed 2 of 5 alert records, and a pipeline group that
    committed everything."""
    alerts, articles = f"{unique_name}.alerts", f"{unique_name}.articles"
    settings = load_settings(
        kafka={
            "bootstrap_servers": kafka_bootstrap,
            "topics": {"alerts": alerts, "articles": articles},
        },
        services={"data_dir": str(tmp_path)},
        pipeline={"group_id": f"{unique_name}-pipeline"},
        alerts={"dispatcher": {"group_id": f"{unique_name}-dispatcher"}},
    )
    admin = KafkaAdminClient(bootstrap_servers=[kafka_bootstrap])
    admin.create_topics([NewTopic(alerts, 1, 1), NewTopic(articles, 1, 1)])
    producer = KafkaProducer(bootstrap_servers=[kafka_bootstrap])
    for topic in (alerts, articles):
        for _ in range(5):
            producer.send(topic, b"{}", partition=0)
    producer.flush()
    producer.close()
    for group, topic, offset in (
        (f"{unique_name}-dispatcher", alerts, 2),
        (f"{unique_name}-pipeline", articles, 5),
    ):
        consumer = KafkaConsumer(bootstrap_servers=[kafka_bootstrap], group_id=group)
        consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(offset, "", -1)})
        consumer.close()
    yield settings
    admin.delete_groups([f"{unique_name}-dispatcher", f"{unique_name}-pipeline"])
    admin.delete_topics([alerts, articles])
    admin.close()


def test_an_offset_that_does_not_move_while_records_wait_is_a_problem(stalled: Settings) -> None:
    first, problems = collect_commit_health(stalled, {}, now=1000.0)
    assert problems == []  # a first look cannot tell for how long
    by_worker = {g["worker"]: g for g in first["groups"]}
    assert by_worker["dispatcher"]["lag"] == 3 and by_worker["pipeline"]["lag"] == 0
    assert by_worker["dispatcher"]["partitions"]["0"]["unchanged_for_s"] is None

    later, problems = collect_commit_health(stalled, {}, now=1000.0 + STUCK_AFTER_S + 5)
    (problem,) = problems
    assert problem.startswith("dispatcher commits are stuck:")
    assert "offset 2 has not moved for 65s while 3 records wait" in problem
    by_worker = {g["worker"]: g for g in later["groups"]}
    assert by_worker["dispatcher"]["stuck"] == [0] and by_worker["pipeline"]["stuck"] == []

    text = _render(later)
    assert "stuck" in text and "caught up" in text


def test_the_dispatcher_s_failed_commits_are_read_from_its_metrics(stalled: Settings) -> None:
    registry = CollectorRegistry()
    gauge = Gauge("parley_alert_dispatcher_commit_failures_consecutive", "test", registry=registry)
    gauge.set(4)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        # parley up gives the dispatcher the base port + 2 (poller, pipeline, dispatcher, api).
        settings = stalled.model_copy(
            update={"metrics": stalled.metrics.model_copy(update={"port": port - 2})}
        )
        supervisor = {"running": True, "workers": [{"name": "dispatcher", "state": "running"}]}
        commits, problems = collect_commit_health(settings, supervisor, now=1000.0)
        assert commits["dispatcher_commit_failures"] == 4
        assert problems == [
            "the dispatcher's last 4 offset commit(s) failed "
            "(parley_alert_dispatcher_commit_failures_consecutive); its log says why"
        ]
        assert "4 failed commits in a row" in _render(commits)
        gauge.set(0)
        _, problems = collect_commit_health(settings, supervisor, now=1001.0)
        assert problems == []
        # Not running under `parley up` here: its metrics are not read at all.
        commits, _ = collect_commit_health(settings, {}, now=1002.0)
        assert commits["dispatcher_commit_failures"] is None
    finally:
        server.shutdown()
        thread.join(5)


def _render(commits: dict[str, Any]) -> str:
    console = Console(record=True, width=160)
    console.print(render_commit_health(commits))
    return console.export_text()


def test_records_nobody_commits_are_a_problem_after_a_while(stalled: Settings) -> None:
    # No dispatcher in this group ever committed (none running, or one stuck before its first
    # commit): the 5 alert records wait all the same.
    alerts = {
        **stalled.alerts,
        "dispatcher": {"group_id": f"{stalled.alerts['dispatcher']['group_id']}-nobody"},
    }
    settings = stalled.model_copy(update={"alerts": alerts})
    _, problems = collect_commit_health(settings, {}, now=2000.0)
    assert problems == []
    commits, problems = collect_commit_health(settings, {}, now=2000.0 + STUCK_AFTER_S)
    (problem,) = problems
    assert problem.startswith("dispatcher commits are stuck:")
    assert "nothing has been committed for 60s while 5 records wait" in problem
    assert "stuck" in _render(commits)
