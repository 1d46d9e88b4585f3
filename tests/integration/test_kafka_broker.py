"""The real Kafka broker: records go through it intact, and survive a broker restart.

The restart test runs its own broker (same script, other ports, a data dir under ``tmp_path``)
because the shared one serves every other integration test of the session.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from benchmarks.harness.ports import free_ports
from parley.config import Settings
from parley.services_cli import services_env

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES_SCRIPT = REPO_ROOT / "deploy" / "local" / "services.sh"
PARTITIONS = 3
CONSUME_TIMEOUT_S = 30


def create_topic(bootstrap: str, topic: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=[bootstrap], request_timeout_ms=15_000)
    try:
        admin.create_topics(
            {topic: {"num_partitions": PARTITIONS, "replication_factor": 1}},
            timeout_ms=15_000,
            wait_for_metadata=True,
        )
    finally:
        admin.close()


def produce(bootstrap: str, topic: str, records: dict[str, dict[str, object]]) -> None:
    producer = KafkaProducer(bootstrap_servers=[bootstrap], acks="all")
    try:
        futures = [
            producer.send(topic, key=k.encode(), value=json.dumps(v, sort_keys=True).encode())
            for k, v in records.items()
        ]
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close(timeout=10)


def read_from_start(bootstrap: str, topic: str, expected: int) -> list[tuple[int, str, object]]:
    """All records of the topic, without a consumer group, as (partition, key, value)."""
    consumer = KafkaConsumer(
        bootstrap_servers=[bootstrap],
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        consumer.seek_to_beginning()
        out: list[tuple[int, str, object]] = []
        deadline = time.monotonic() + CONSUME_TIMEOUT_S
        while len(out) < expected and time.monotonic() < deadline:
            for tp, messages in consumer.poll(timeout_ms=1000).items():
                out.extend((tp.partition, m.key.decode(), json.loads(m.value)) for m in messages)
        return out
    finally:
        consumer.close()


def sample_records(n: int) -> dict[str, dict[str, object]]:
    return {
        f"article-{i:03d}": {"id": f"article-{i:03d}", "n": i, "text": "é" * i} for i in range(n)
    }


def test_records_round_trip_through_a_consumer_group(
    kafka_bootstrap: str, unique_name: str
) -> None:
    topic = f"{unique_name}.roundtrip"
    records = sample_records(50)
    create_topic(kafka_bootstrap, topic)
    produce(kafka_bootstrap, topic, records)

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=[kafka_bootstrap],
        group_id=f"{unique_name}-group",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        got: list[tuple[int, str, object]] = []
        deadline = time.monotonic() + CONSUME_TIMEOUT_S
        while len(got) < len(records) and time.monotonic() < deadline:
            for tp, messages in consumer.poll(timeout_ms=1000).items():
                got.extend((tp.partition, m.key.decode(), json.loads(m.value)) for m in messages)
        consumer.commit()
        assigned = consumer.assignment()
        committed = {tp.partition: consumer.committed(tp) for tp in assigned}
        end = {tp.partition: off for tp, off in consumer.end_offsets(list(assigned)).items()}
    finally:
        consumer.close()

    assert {k: v for _, k, v in got} == records
    assert len(got) == len(records), "no record may be delivered twice within one group"
    # The default partitioner is deterministic per key; all three partitions get records.
    assert len({p for p, _, _ in got}) == PARTITIONS
    assert committed == end


def port_answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.fixture
def private_broker(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A second, test-private broker: (bootstrap, env for services.sh)."""
    kafka_port, controller_port = free_ports(2)
    env = services_env(settings)
    env.update(
        {
            "PARLEY_SERVICES__KAFKA_PORT": str(kafka_port),
            "PARLEY_SERVICES__KAFKA_CONTROLLER_PORT": str(controller_port),
            "PARLEY_SERVICES__DATA_DIR": str(tmp_path / "services"),
            # Shared cache: the jars are already there when the main broker runs.
            "PARLEY_SERVICES__CACHE_DIR": str(settings.services.cache_dir),
            "PARLEY_SERVICES__KAFKA_HEAP": "256m",
            "PARLEY_LOCAL_START_TIMEOUT": "120",
            "PARLEY_LOCAL_STOP_TIMEOUT": "30",
        }
    )
    # This broker belongs to the test, so it is started even under CI=true.
    env.pop("CI", None)
    services(env, "up")
    try:
        yield f"127.0.0.1:{kafka_port}", env
    finally:
        subprocess.run(
            ["bash", str(SERVICES_SCRIPT), "down", "kafka"],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )


def services(env: dict[str, str], action: str) -> str:
    result = subprocess.run(
        ["bash", str(SERVICES_SCRIPT), action, "kafka"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"services.sh {action} kafka failed:\n{output}"
    return output


@pytest.mark.timeout(420)
def test_records_survive_a_broker_restart(
    private_broker: tuple[str, dict[str, str]], unique_name: str
) -> None:
    bootstrap, env = private_broker
    port = int(bootstrap.rpartition(":")[2])
    data_dir = Path(env["PARLEY_SERVICES__DATA_DIR"])
    topic = f"{unique_name}.restart"
    records = sample_records(30)
    create_topic(bootstrap, topic)
    produce(bootstrap, topic, records)

    services(env, "down")
    assert not port_answers(port)
    status = subprocess.run(
        ["bash", str(SERVICES_SCRIPT), "status", "kafka"], env=env, capture_output=True, timeout=60
    )
    assert status.returncode != 0, "status must fail while the broker is stopped"
    marker = f"-Dparley.instance={data_dir / 'kafka'}"
    leftovers = subprocess.run(["pgrep", "-f", "--", marker], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", f"broker processes left after down: {leftovers.stdout}"

    services(env, "up")
    got = read_from_start(bootstrap, topic, len(records))
    assert {k: v for _, k, v in got} == records
    assert len(got) == len(records)
    assert os.path.exists(data_dir / "kafka" / "data" / "meta.properties")
