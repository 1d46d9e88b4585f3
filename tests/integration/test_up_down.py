"""`parley up` and `parley down` as processes, with dummy workers in place of the real ones.

Setup runs for real (private topics and indices on the shared Kafka and Elasticsearch);
`--no-services` keeps the shared services out of reach of `up` and `down`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient

from parley.config import REPO_ROOT
from parley.supervisor import group_members
from sinks.elasticsearch.templates import INDICES

DUMMY = """
import os, pathlib, signal, sys, time
name, mode = sys.argv[1], sys.argv[2]
if mode == "stubborn":
    signal.signal(signal.SIGTERM, lambda *_: print("ignoring SIGTERM", flush=True))
pathlib.Path(sys.argv[3], name).write_text(str(os.getpid()))
print(f"{name} working", flush=True)
while True:
    time.sleep(0.1)
"""


@pytest.fixture
def run_env(
    unique_name: str, kafka_bootstrap: str, es_client: Elasticsearch, tmp_path: Path
) -> Iterator[dict[str, str]]:
    topics = {k: f"{unique_name}.{k}" for k in ("articles", "alerts", "deadletter", "feeds")}
    env = {
        **os.environ,
        "PARLEY_SERVICES__DATA_DIR": str(tmp_path / "var"),
        "PARLEY_INGEST__STATE_DIR": str(tmp_path / "var" / "ingest"),
        "PARLEY_ELASTICSEARCH__INDEX_PREFIX": f"t-{unique_name}",
        "PARLEY_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        **{f"PARLEY_KAFKA__TOPICS__{k.upper()}": v for k, v in topics.items()},
    }
    yield env
    admin = KafkaAdminClient(bootstrap_servers=[kafka_bootstrap])
    admin.delete_topics([t for t in topics.values() if t in admin.list_topics()])
    admin.close()
    for name in INDICES:
        index = f"t-{unique_name}-{name}"
        es_client.indices.delete(index=index, ignore_unavailable=True)
        es_client.options(ignore_status=404).indices.delete_index_template(name=index)


@pytest.fixture
def pids_dir(tmp_path: Path) -> Path:
    path = tmp_path / "pids"
    path.mkdir()
    return path


def up_argv(pids_dir: Path, tmp_path: Path, *extra: str, stubborn: str = "") -> list[str]:
    script = tmp_path / "dummy_worker.py"
    script.write_text(DUMMY)
    argv = [sys.executable, "-m", "parley", "up", "--no-services", "--no-demo", *extra]
    for name in ("poller", "pipeline", "dispatcher", "api"):
        mode = "stubborn" if name == stubborn else "polite"
        argv.append(f"--worker={name}={sys.executable} {script} {name} {mode} {pids_dir}")
    return argv


def state(env: dict[str, str]) -> dict[str, Any]:
    path = Path(env["PARLEY_SERVICES__DATA_DIR"]) / "run" / "parley-up.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data


def wait_until_running(env: dict[str, str], pids_dir: Path, process: Any = None) -> list[int]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        workers = state(env).get("workers", [])
        running = len(workers) == 4 and all(w["state"] == "running" for w in workers)
        if running and len(list(pids_dir.iterdir())) == 4:
            return [int(p.read_text()) for p in pids_dir.iterdir() if p.read_text()]
        if process is not None and process.poll() is not None:
            raise AssertionError(f"parley up exited early:\n{process.stdout.read()}")
        time.sleep(0.2)
    raise AssertionError(f"workers not running: {state(env)}")


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def test_ctrl_c_stops_every_worker_and_kills_the_stubborn_one(
    run_env: dict[str, str], pids_dir: Path, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        up_argv(pids_dir, tmp_path, "--stop-timeout", "2", stubborn="pipeline"),
        env=run_env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        worker_pids = wait_until_running(run_env, pids_dir, process)
        data_dir = Path(run_env["PARLEY_SERVICES__DATA_DIR"])
        assert (data_dir / "run" / "parley-up.pid").read_text().strip() == str(process.pid)
        assert "poller working" in (data_dir / "log" / "poller.log").read_text()

        began = time.monotonic()
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        took = time.monotonic() - began
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert 2.0 <= took < 20, output
    assert "topics" in output and "indices ready" in output
    assert "workers stopped." in output
    assert not any(alive(pid) for pid in worker_pids)
    assert not any(group_members(pid) for pid in worker_pids)
    assert not (data_dir / "run" / "parley-up.pid").exists()
    final = {w["name"]: w for w in state(run_env)["workers"]}
    assert {w["state"] for w in final.values()} == {"stopped"}
    assert final["pipeline"]["last_exit_code"] == -9
    assert final["poller"]["last_exit_code"] == -15
    assert "ignoring SIGTERM" in (data_dir / "log" / "pipeline.log").read_text()


def test_detached_up_then_down_leaves_no_process(
    run_env: dict[str, str], pids_dir: Path, tmp_path: Path
) -> None:
    started = subprocess.run(
        up_argv(pids_dir, tmp_path, "--detach", "--stop-timeout", "5"),
        env=run_env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    assert "running in the background" in started.stdout
    up_pid = state(run_env)["pid"]
    worker_pids = wait_until_running(run_env, pids_dir)
    assert alive(up_pid)

    second = subprocess.run(
        [sys.executable, "-m", "parley", "up", "--no-services"],
        env=run_env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert f"already running (pid {up_pid})" in second.stdout

    # `up --no-services` did not start Kafka and Elasticsearch, so `down` leaves them alone.
    down = subprocess.run(
        [sys.executable, "-m", "parley", "down"],
        env=run_env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert down.returncode == 0, down.stdout + down.stderr
    assert "workers stopped" in down.stdout
    assert "Kafka and Elasticsearch left running" in down.stdout
    assert not alive(up_pid)
    assert not any(alive(pid) for pid in worker_pids)
    assert not (Path(run_env["PARLEY_SERVICES__DATA_DIR"]) / "run" / "parley-up.pid").exists()


def test_down_cleans_up_the_workers_of_a_killed_supervisor(
    run_env: dict[str, str], pids_dir: Path, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        up_argv(pids_dir, tmp_path),
        env=run_env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        worker_pids = wait_until_running(run_env, pids_dir, None)
        process.kill()  # no chance to stop its workers
        process.wait(timeout=10)
        assert all(alive(pid) for pid in worker_pids)

        down = subprocess.run(
            [sys.executable, "-m", "parley", "down", "--keep-services"],
            env=run_env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        if process.poll() is None:
            process.kill()
    assert down.returncode == 0, down.stdout + down.stderr
    assert "parley up was not running" in down.stdout
    assert down.stdout.count("stopping leftover worker") == 4
    assert not any(alive(pid) for pid in worker_pids)
