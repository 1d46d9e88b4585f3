"""The supervisor with real child processes: tiny Python scripts stand in for the workers."""

from __future__ import annotations

import itertools
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from parley.supervisor import (
    RestartPolicy,
    Supervisor,
    WorkerEvent,
    WorkerSpec,
    WorkerState,
    group_members,
)

FAST = RestartPolicy(initial_delay=0.2, multiplier=2.0, max_delay=0.8, stable_after=30.0)


def script(tmp_path: Path, name: str, body: str) -> list[str]:
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return [sys.executable, str(path)]


def wait_for(condition: Callable[[], bool], supervisor: Supervisor, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {supervisor.statuses()}")
        supervisor.poll()
        time.sleep(0.02)


@pytest.fixture
def events() -> list[WorkerEvent]:
    return []


@pytest.fixture
def supervisors() -> Iterator[list[Supervisor]]:
    """Every supervisor a test makes is stopped at the end, even when the test fails."""
    made: list[Supervisor] = []
    yield made
    for sup in made:
        sup.stop()


def test_backoff_delays_grow_and_are_capped() -> None:
    policy = RestartPolicy(initial_delay=1.0, multiplier=2.0, max_delay=5.0)
    assert [policy.delay(n) for n in range(6)] == [0.0, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_crashing_worker_is_restarted_with_growing_delays_and_reported_as_crash_loop(
    tmp_path: Path, events: list[WorkerEvent], supervisors: list[Supervisor]
) -> None:
    starts = tmp_path / "starts.txt"
    argv = script(
        tmp_path,
        "crasher",
        f"""
        import sys, time
        with open({str(starts)!r}, "a") as fh:
            fh.write(f"{{time.monotonic()}}\\n")
        print("crasher: giving up", flush=True)
        sys.exit(3)
        """,
    )
    policy = RestartPolicy(initial_delay=0.3, multiplier=2.0, max_delay=1.2, crash_loop_after=3)
    log_path = tmp_path / "log" / "crasher.log"
    sup = Supervisor([WorkerSpec("crasher", argv, log_path)], policy=policy, on_event=events.append)
    supervisors.append(sup)
    sup.start()

    def started_times() -> list[float]:
        if not starts.exists():
            return []
        return [float(x) for x in starts.read_text().split()]

    wait_for(lambda: len(started_times()) >= 5, sup, timeout=20)
    times = started_times()
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 0.3, 0.6, 1.2, 1.2 (capped) — plus process start-up time, which the lower bounds ignore.
    assert gaps[0] >= 0.3
    assert gaps[1] >= 0.6 and gaps[1] > gaps[0]
    assert gaps[2] >= 1.2
    assert gaps[3] >= 1.2 and gaps[3] < 1.2 + 1.0

    (status,) = sup.statuses()
    assert status.restarts >= 4
    assert status.crash_looping
    assert status.last_exit_code == 3
    assert sup.crash_looping == ["crasher"]
    kinds = [e.kind for e in events]
    assert kinds.count("crash_loop") == 1
    exits = [e for e in events if e.kind == "exited"]
    assert exits[0].exit_code == 3 and exits[0].restart_in == pytest.approx(0.3)
    assert exits[2].restart_in == pytest.approx(1.2)
    assert log_path.read_text().count("crasher: giving up") >= 5


def test_worker_that_ignores_sigterm_is_killed_after_the_timeout(
    tmp_path: Path, events: list[WorkerEvent], supervisors: list[Supervisor]
) -> None:
    ready = tmp_path / "ready"
    argv = script(
        tmp_path,
        "stubborn",
        f"""
        import pathlib, signal, time
        signal.signal(signal.SIGTERM, lambda *_: print("ignoring SIGTERM", flush=True))
        pathlib.Path({str(ready)!r}).touch()
        while True:
            time.sleep(0.1)
        """,
    )
    log_path = tmp_path / "stubborn.log"
    sup = Supervisor(
        [WorkerSpec("stubborn", argv, log_path)],
        policy=FAST,
        stop_timeout=1.0,
        on_event=events.append,
    )
    supervisors.append(sup)
    sup.start()
    (status,) = sup.statuses()
    assert status.pid is not None
    pid = status.pid
    wait_for(ready.exists, sup, timeout=10)

    began = time.monotonic()
    sup.stop()
    took = time.monotonic() - began

    assert 1.0 <= took < 5.0
    assert group_members(pid) == []
    assert events[-1].kind == "killed"
    assert sup.statuses()[0].state == WorkerState.STOPPED
    assert sup.statuses()[0].last_exit_code == -9
    assert "ignoring SIGTERM" in log_path.read_text()


def test_stop_terminates_the_worker_and_its_children(
    tmp_path: Path, events: list[WorkerEvent], supervisors: list[Supervisor]
) -> None:
    child_pid_file = tmp_path / "child.pid"
    argv = script(
        tmp_path,
        "parent",
        f"""
        import pathlib, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        pathlib.Path({str(child_pid_file)!r}).write_text(str(child.pid))
        time.sleep(600)
        """,
    )
    sup = Supervisor(
        [WorkerSpec("parent", argv, tmp_path / "parent.log")],
        policy=FAST,
        stop_timeout=5.0,
        on_event=events.append,
    )
    supervisors.append(sup)
    sup.start()
    pid = sup.statuses()[0].pid
    assert pid is not None
    wait_for(lambda: child_pid_file.exists() and child_pid_file.read_text() != "", sup, 10)
    child_pid = int(child_pid_file.read_text())
    assert sorted(group_members(pid)) == sorted([pid, child_pid])

    began = time.monotonic()
    sup.stop()

    assert time.monotonic() - began < 4.0  # SIGTERM was enough; no wait for the timeout
    assert group_members(pid) == []
    assert not _alive(child_pid)
    assert events[-1].kind == "stopped"


def test_children_left_by_a_crashed_worker_are_killed_before_the_restart(
    tmp_path: Path, supervisors: list[Supervisor]
) -> None:
    pids = tmp_path / "children.txt"
    argv = script(
        tmp_path,
        "leaky",
        f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open({str(pids)!r}, "a") as fh:
            fh.write(f"{{child.pid}}\\n")
        sys.exit(1)
        """,
    )
    sup = Supervisor([WorkerSpec("leaky", argv, tmp_path / "leaky.log")], policy=FAST)
    supervisors.append(sup)
    sup.start()
    wait_for(lambda: pids.exists() and len(pids.read_text().split()) >= 2, sup, 10)
    first_child = int(pids.read_text().split()[0])
    assert not _alive(first_child)


def test_state_file_describes_each_worker(tmp_path: Path, supervisors: list[Supervisor]) -> None:
    sleeper = script(tmp_path, "sleeper", "import time\ntime.sleep(600)\n")
    state_file = tmp_path / "run" / "state.json"
    sup = Supervisor(
        [
            WorkerSpec("sleeper", sleeper, tmp_path / "sleeper.log"),
            WorkerSpec("missing", [str(tmp_path / "no-such-program")], tmp_path / "missing.log"),
        ],
        policy=FAST,
        state_file=state_file,
    )
    supervisors.append(sup)
    sup.start()

    state = json.loads(state_file.read_text())
    assert state["pid"] == os.getpid()
    by_name = {w["name"]: w for w in state["workers"]}
    assert by_name["sleeper"]["state"] == "running"
    assert by_name["sleeper"]["pid"] == sup.statuses()[0].pid
    assert by_name["sleeper"]["log"] == str(tmp_path / "sleeper.log")
    assert by_name["missing"]["state"] == "backoff"
    assert by_name["missing"]["last_error"].startswith("cannot start:")

    sup.stop()
    state = json.loads(state_file.read_text())
    assert {w["state"] for w in state["workers"]} == {"stopped"}
    assert state["stopping"] is True


def test_a_stopped_supervisor_does_not_restart_anything(
    tmp_path: Path, supervisors: list[Supervisor]
) -> None:
    starts = tmp_path / "starts.txt"
    argv = script(
        tmp_path,
        "quick",
        f"""
        with open({str(starts)!r}, "a") as fh:
            fh.write("x\\n")
        """,
    )
    sup = Supervisor([WorkerSpec("quick", argv, tmp_path / "quick.log")], policy=FAST)
    supervisors.append(sup)
    sup.start()
    wait_for(lambda: sup.statuses()[0].state == WorkerState.BACKOFF, sup, 10)
    sup.stop()
    count = len(starts.read_text().split())
    time.sleep(0.5)
    sup.poll()
    assert len(starts.read_text().split()) == count
    assert sup.statuses()[0].state == WorkerState.STOPPED


def test_worker_names_must_be_unique(tmp_path: Path) -> None:
    spec = WorkerSpec("same", ["true"], tmp_path / "x.log")
    with pytest.raises(ValueError, match="unique"):
        Supervisor([spec, spec])


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"
