"""`parley status` against the real Kafka broker and Elasticsearch node, with private topics,
indices, supervisor state and poller state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata
from typer.testing import CliRunner

from ingest.store import FeedState, IngestStore
from parley.cli import app
from parley.config import ElasticsearchSettings, configure
from parley.supervisor import write_json_atomically
from pipeline.group import GroupMember
from sinks.elasticsearch.setup import install_templates
from sinks.elasticsearch.templates import INDICES


@pytest.fixture
def environment(
    unique_name: str, kafka_bootstrap: str, es_client: Elasticsearch, tmp_path: Path
) -> Iterator[dict[str, str]]:
    articles, deadletter = f"{unique_name}.articles", f"{unique_name}.deadletter"
    group = f"{unique_name}-pipeline"
    admin = KafkaAdminClient(bootstrap_servers=[kafka_bootstrap])
    admin.create_topics([NewTopic(articles, 2, 1), NewTopic(deadletter, 1, 1)])
    producer = KafkaProducer(bootstrap_servers=[kafka_bootstrap])
    for partition, count in ((0, 3), (1, 2)):
        for _ in range(count):
            producer.send(articles, b"{}", partition=partition)
    for _ in range(4):
        producer.send(deadletter, b"{}")
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=[kafka_bootstrap], group_id=group)
    # Lag: partition 0 has 3 records, 1 consumed; partition 1 has 2, both consumed → 2.
    consumer.commit(
        {
            TopicPartition(articles, 0): OffsetAndMetadata(1, "", -1),
            TopicPartition(articles, 1): OffsetAndMetadata(2, "", -1),
        }
    )
    consumer.close()

    es = ElasticsearchSettings(index_prefix=f"t-{unique_name}")
    install_templates(es_client, es)
    for i in range(2):
        es_client.index(index=es.index("statements"), document={"statement_id": f"s{i}"})
    for i, state in enumerate(("delivered", "delivered", "failed")):
        es_client.index(index=es.index("alerts"), document={"alert_id": f"a{i}", "status": state})
    es_client.indices.refresh(index=[es.index("statements"), es.index("alerts")])

    store = IngestStore(tmp_path / "ingest" / "ingest.sqlite3")
    now = time.time()
    store.save_state(
        FeedState("f1", "https://a.example/rss", "https://a.example/rss", 300, last_success_at=now)
    )
    store.save_state(
        FeedState(
            "f2",
            "https://b.example/rss",
            "https://b.example/rss",
            600,
            status="failing",
            consecutive_failures=6,
            last_error="HTTP 503",
        )
    )
    store.close()

    yield {
        "PARLEY_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "PARLEY_KAFKA__TOPICS__ARTICLES": articles,
        "PARLEY_KAFKA__TOPICS__DEADLETTER": deadletter,
        "PARLEY_ELASTICSEARCH__INDEX_PREFIX": es.index_prefix,
        "PARLEY_SERVICES__DATA_DIR": str(tmp_path),
        "PARLEY_INGEST__STATE_DIR": str(tmp_path / "ingest"),
    }
    admin.delete_groups([group])
    admin.delete_topics([articles, deadletter])
    admin.close()
    for name in INDICES:
        es_client.indices.delete(index=es.index(name), ignore_unavailable=True)
        es_client.options(ignore_status=404).indices.delete_index_template(name=es.index(name))


@pytest.fixture
def worker_process() -> Iterator[int]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield process.pid
    process.kill()
    process.wait()


@pytest.fixture
def cli() -> Iterator[CliRunner]:
    yield CliRunner()
    configure()  # the CLI replaced the process-wide settings; restore them from the environment


def write_state(data_dir: Path, workers: list[dict[str, Any]], pid: int | None = None) -> None:
    write_json_atomically(
        data_dir / "run" / "parley-up.json",
        {
            "schema": "parley.supervisor-state.v1",
            "pid": pid if pid is not None else os.getpid(),
            "started_at": datetime.now(UTC).isoformat(),
            "updated_at": datetime.now(UTC).isoformat(),
            "stopping": False,
            "workers": workers,
        },
    )


def worker(name: str, pid: int | None, state: str = "running", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "state": state,
        "pid": pid,
        "restarts": extra.pop("restarts", 0),
        "crash_looping": extra.pop("crash_looping", False),
        "started_at": (datetime.now(UTC) - timedelta(seconds=90)).isoformat(),
        "last_exit_code": None,
        "log": f"/var/log/{name}.log",
        "last_error": extra.pop("last_error", None),
    }


def status_json(cli: CliRunner, env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    result = cli.invoke(app, ["status", "--json", "--timeout", "5"], env=env)
    return result.exit_code, json.loads(result.stdout)


def test_status_reports_every_part_and_exits_zero_when_healthy(
    cli: CliRunner, environment: dict[str, str], worker_process: int
) -> None:
    data_dir = Path(environment["PARLEY_SERVICES__DATA_DIR"])
    write_state(data_dir, [worker("poller", worker_process), worker("pipeline", worker_process)])
    # A failing feed is reported but does not make the monitor unhealthy.
    code, report = status_json(cli, environment)

    assert report["problems"] == []
    assert code == 0
    workers = {w["name"]: w for w in report["supervisor"]["workers"]}
    assert workers["poller"]["state"] == "running"
    assert 85 <= workers["poller"]["uptime_seconds"] <= 200

    kafka = report["kafka"]
    assert kafka["reachable"] is True
    (group,) = [g for g in kafka["groups"] if g["group"].endswith("-pipeline")]
    assert group["lag"] == 2
    assert group["lag_by_topic"] == {environment["PARLEY_KAFKA__TOPICS__ARTICLES"]: 2}
    assert kafka["dead_letters"] == 4

    feeds = report["feeds"]
    assert feeds["feeds"] == 2
    assert feeds["by_status"] == {"active": 1, "failing": 1}
    assert feeds["unhealthy"][0]["error"] == "HTTP 503"

    prefix = environment["PARLEY_ELASTICSEARCH__INDEX_PREFIX"]
    es = report["elasticsearch"]
    assert es["documents"] == {
        f"{prefix}-articles": 0,
        f"{prefix}-statements": 2,
        f"{prefix}-alerts": 3,
    }
    assert es["alerts_by_status"] == {"delivered": 2, "failed": 1}


def test_crash_looping_worker_and_dead_supervisor_make_status_fail(
    cli: CliRunner, environment: dict[str, str], worker_process: int
) -> None:
    data_dir = Path(environment["PARLEY_SERVICES__DATA_DIR"])
    write_state(
        data_dir,
        [
            worker("poller", worker_process),
            worker(
                "pipeline",
                None,
                state="backoff",
                restarts=7,
                crash_looping=True,
                last_error="exited with code 1",
            ),
        ],
    )
    code, report = status_json(cli, environment)
    assert code == 1
    assert any("pipeline is crash-looping" in p for p in report["problems"])

    table = cli.invoke(app, ["status"], env={**environment, "COLUMNS": "200"})
    assert table.exit_code == 1
    assert "crash loop" in table.stdout and "pipeline is crash-looping" in table.stdout

    # The supervisor's pid is gone: its workers are reported as not running.
    write_state(data_dir, [worker("poller", worker_process)], pid=_dead_pid())
    code, report = status_json(cli, environment)
    assert code == 1
    assert report["supervisor"]["running"] is False
    assert report["supervisor"]["workers"][0]["state"] == "not running"


def test_unreachable_services_are_reported_while_the_rest_still_shows(
    cli: CliRunner, environment: dict[str, str], worker_process: int
) -> None:
    data_dir = Path(environment["PARLEY_SERVICES__DATA_DIR"])
    write_state(data_dir, [worker("poller", worker_process)])
    env = {
        **environment,
        "PARLEY_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "PARLEY_ELASTICSEARCH__HOSTS": "http://127.0.0.1:1",
    }
    started = time.monotonic()
    code, report = status_json(cli, env)
    assert time.monotonic() - started < 30
    assert code == 1
    assert report["kafka"]["reachable"] is False
    assert report["elasticsearch"]["reachable"] is False
    assert any(p.startswith("Kafka is unreachable") for p in report["problems"])
    assert any(p.startswith("Elasticsearch is unreachable") for p in report["problems"])
    assert report["supervisor"]["workers"][0]["state"] == "running"
    assert report["feeds"]["feeds"] == 2


def test_status_shows_which_member_holds_which_partitions_and_its_lag(
    cli: CliRunner, environment: dict[str, str], worker_process: int, unique_name: str
) -> None:
    data_dir = Path(environment["PARLEY_SERVICES__DATA_DIR"])
    write_state(data_dir, [worker("pipeline", worker_process)])
    articles = environment["PARLEY_KAFKA__TOPICS__ARTICLES"]
    members = [
        GroupMember(
            {"bootstrap_servers": [environment["PARLEY_KAFKA__BOOTSTRAP_SERVERS"]]},
            articles,
            f"{unique_name}-pipeline",
            instance_id=f"pipeline-{name}",
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
        ).start()
        for name in ("a", "b")
    ]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            owned = [m.next_assignment(timeout=1) for m in members]
            if all(a is not None and len(a.partitions) == 1 for a in owned):
                break
        code, report = status_json(cli, environment)
        assert code == 0, report["problems"]
        (group,) = [
            g for g in report["partitions"]["groups"] if g["group"] == f"{unique_name}-pipeline"
        ]
        assert group["state"] == "Stable" and group["unowned"] == []
        by_partition = {p: m for m in group["members"] for p in m["partitions"]}
        assert set(by_partition) == {f"{articles}:0", f"{articles}:1"}
        # The fixture committed 1 of 3 records on partition 0 and both records of partition 1.
        assert by_partition[f"{articles}:0"]["lag"] == 2
        assert by_partition[f"{articles}:1"]["lag"] == 0
        assert {m["member"] for m in group["members"]} == {"pipeline-a", "pipeline-b"}
        assert all(m["static"] for m in group["members"])

        table = cli.invoke(app, ["status"], env={**environment, "COLUMNS": "200"})
        assert "Partitions by worker" in table.stdout
        assert "pipeline-a" in table.stdout and "pipeline-b" in table.stdout
    finally:
        for member in members:
            member.close()
        # Static members do not leave: the group empties when their sessions time out, and
        # only an empty group can be deleted by the fixture.
        admin = KafkaAdminClient(bootstrap_servers=[environment["PARLEY_KAFKA__BOOTSTRAP_SERVERS"]])
        deadline = time.monotonic() + 30
        group_id = f"{unique_name}-pipeline"
        while (
            time.monotonic() < deadline and admin.describe_groups([group_id])[group_id]["members"]
        ):
            time.sleep(0.5)
        admin.close()


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
