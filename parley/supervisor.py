"""Supervised worker processes for ``parley up``.

Each worker runs as a child process in its own session (so its process group can be signalled as a
whole: a Beam pipeline or a uvicorn server may start processes of its own), with stdout and stderr
appended to its log file.  A worker that exits is restarted after an exponential backoff; a run
that lasted ``stable_after`` seconds resets the backoff, and ``crash_loop_after`` failed runs in a
row mark the worker as crash-looping (it is still retried, at the capped delay, and reported).

Stopping sends SIGTERM to every worker's process group, waits up to ``stop_timeout`` seconds and
sends SIGKILL to whatever is left, so no process outlives the supervisor.

The supervisor's view of its workers is written to a JSON state file after every change, which is
what ``parley status`` and ``parley down`` read.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from parley.logs import get_logger

log = get_logger(__name__)

STATE_SCHEMA = "parley.supervisor-state.v1"
# A log file larger than this is moved to ``<name>.log.1`` when its worker (re)starts.
MAX_LOG_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class RestartPolicy:
    initial_delay: float = 1.0
    max_delay: float = 60.0
    multiplier: float = 2.0
    stable_after: float = 30.0
    crash_loop_after: int = 5

    def delay(self, consecutive_failures: int) -> float:
        """Seconds to wait before the next start after ``consecutive_failures`` short runs."""
        if consecutive_failures <= 0:
            return 0.0
        return float(
            min(self.max_delay, self.initial_delay * self.multiplier ** (consecutive_failures - 1))
        )


@dataclass(frozen=True)
class WorkerSpec:
    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    description: str = ""


class WorkerState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    BACKOFF = "backoff"  # exited; waiting to be restarted
    STOPPING = "stopping"
    STOPPED = "stopped"


@dataclass(frozen=True)
class WorkerEvent:
    worker: str
    kind: str  # started | exited | crash_loop | stopped | killed | start_failed
    pid: int | None = None
    exit_code: int | None = None
    restart_in: float | None = None
    detail: str = ""


@dataclass
class _Worker:
    spec: WorkerSpec
    state: WorkerState = WorkerState.PENDING
    process: subprocess.Popen[bytes] | None = None
    log_file: TextIO | None = None
    started_monotonic: float | None = None
    started_at: datetime | None = None
    restarts: int = 0
    consecutive_failures: int = 0
    crash_looping: bool = False
    next_start: float | None = None
    last_exit_code: int | None = None
    last_exit_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class WorkerStatus:
    name: str
    state: WorkerState
    pid: int | None
    restarts: int
    crash_looping: bool
    started_at: datetime | None
    last_exit_code: int | None
    last_exit_at: datetime | None
    restart_in: float | None
    log_path: Path
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state.value,
            "pid": self.pid,
            "restarts": self.restarts,
            "crash_looping": self.crash_looping,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "last_exit_code": self.last_exit_code,
            "last_exit_at": self.last_exit_at.isoformat() if self.last_exit_at else None,
            "restart_in": self.restart_in,
            "log": str(self.log_path),
            "last_error": self.last_error,
        }


class Supervisor:
    def __init__(
        self,
        specs: Sequence[WorkerSpec],
        *,
        policy: RestartPolicy | None = None,
        stop_timeout: float = 10.0,
        state_file: Path | None = None,
        on_event: Callable[[WorkerEvent], None] | None = None,
        log_events: bool = True,
        metadata: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"worker names must be unique: {names}")
        self._workers = [_Worker(spec) for spec in specs]
        self.policy = policy or RestartPolicy()
        self.stop_timeout = stop_timeout
        self.state_file = state_file
        self._on_event = on_event
        # Off when a live terminal view shows the events instead (log lines would tear it).
        self._log_events = log_events
        # Written into the state file as is, for its readers (``parley down`` and ``status``).
        self._metadata = dict(metadata or {})
        self._clock = clock
        self._stopping = False
        self._started_at = datetime.now(UTC)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        for worker in self._workers:
            self._spawn(worker)
        self._write_state()

    def poll(self) -> None:
        """One supervision step: notice exits, schedule and perform restarts."""
        if self._stopping:
            return
        changed = False
        now = self._clock()
        for worker in self._workers:
            if worker.state == WorkerState.RUNNING and worker.process is not None:
                code = worker.process.poll()
                if code is not None:
                    self._handle_exit(worker, code, now)
                    changed = True
            elif (
                worker.state == WorkerState.BACKOFF
                and worker.next_start is not None
                and now >= worker.next_start
            ):
                worker.restarts += 1
                self._spawn(worker)
                changed = True
        if changed:
            self._write_state()

    def run(self, should_stop: Callable[[], bool], tick: float = 0.2) -> None:
        """Supervise until ``should_stop()`` is true, then stop every worker."""
        try:
            while not should_stop():
                self.poll()
                time.sleep(tick)
        finally:
            self.stop()

    def stop(self) -> None:
        """SIGTERM every process group, wait up to ``stop_timeout``, then SIGKILL the rest."""
        self._stopping = True
        running = [w for w in self._workers if w.process is not None and w.state in _ALIVE_STATES]
        for worker in self._workers:
            if worker.state in (WorkerState.BACKOFF, WorkerState.PENDING):
                worker.state = WorkerState.STOPPED
                worker.next_start = None
        for worker in running:
            worker.state = WorkerState.STOPPING
            assert worker.process is not None
            _signal_group(worker.process.pid, signal.SIGTERM)
        self._write_state()
        deadline = time.monotonic() + self.stop_timeout
        for worker in running:
            assert worker.process is not None
            pgid = worker.process.pid
            remaining = max(0.0, deadline - time.monotonic())
            killed = False
            try:
                worker.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                killed = True
            # Children of the worker may outlive it; they get the rest of the grace period.
            while not killed and group_members(pgid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if group_members(pgid):
                killed = True
                _signal_group(pgid, signal.SIGKILL)
                worker.process.wait()
                _wait_group_gone(pgid, timeout=5.0)
            worker.last_exit_code = worker.process.returncode
            worker.last_exit_at = datetime.now(UTC)
            worker.state = WorkerState.STOPPED
            self._close_log(worker)
            self._emit(
                WorkerEvent(
                    worker.spec.name,
                    "killed" if killed else "stopped",
                    pid=pgid,
                    exit_code=worker.process.returncode,
                    detail=(
                        f"did not stop within {self.stop_timeout:g}s after SIGTERM; sent SIGKILL"
                        if killed
                        else ""
                    ),
                )
            )
        self._write_state()

    # -- inspection --------------------------------------------------------------------------

    def statuses(self) -> list[WorkerStatus]:
        now = self._clock()
        return [
            WorkerStatus(
                name=w.spec.name,
                state=w.state,
                pid=w.process.pid if w.process is not None and w.state in _ALIVE_STATES else None,
                restarts=w.restarts,
                crash_looping=w.crash_looping,
                started_at=w.started_at,
                last_exit_code=w.last_exit_code,
                last_exit_at=w.last_exit_at,
                restart_in=(
                    max(0.0, w.next_start - now)
                    if w.state == WorkerState.BACKOFF and w.next_start is not None
                    else None
                ),
                log_path=w.spec.log_path,
                last_error=w.last_error,
            )
            for w in self._workers
        ]

    @property
    def crash_looping(self) -> list[str]:
        return [w.spec.name for w in self._workers if w.crash_looping]

    # -- internals ---------------------------------------------------------------------------

    def _spawn(self, worker: _Worker) -> None:
        spec = worker.spec
        self._close_log(worker)
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        _rotate_if_large(spec.log_path)
        worker.log_file = spec.log_path.open("a", encoding="utf-8")
        env = {**os.environ, **spec.env, "PYTHONUNBUFFERED": "1"}
        try:
            worker.process = subprocess.Popen(
                list(spec.argv),
                stdin=subprocess.DEVNULL,
                stdout=worker.log_file,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=spec.cwd,
                # Own session: signals from the terminal (Ctrl-C) reach only the supervisor,
                # which then stops the workers in order; and the group can be killed as a whole.
                start_new_session=True,
            )
        except OSError as exc:
            # A missing executable is treated like a crash: retried with backoff, reported.
            worker.process = None
            worker.last_error = f"cannot start: {exc}"
            self._emit(WorkerEvent(spec.name, "start_failed", detail=worker.last_error))
            self._schedule_restart(worker, self._clock())
            return
        worker.state = WorkerState.RUNNING
        worker.started_monotonic = self._clock()
        worker.started_at = datetime.now(UTC)
        worker.next_start = None
        self._emit(WorkerEvent(spec.name, "started", pid=worker.process.pid))

    def _handle_exit(self, worker: _Worker, code: int, now: float) -> None:
        assert worker.process is not None
        pgid = worker.process.pid
        # Orphaned children of a crashed worker would hold its ports and files: kill them.
        if group_members(pgid):
            _signal_group(pgid, signal.SIGKILL)
            _wait_group_gone(pgid, timeout=5.0)
        worker.last_exit_code = code
        worker.last_exit_at = datetime.now(UTC)
        worker.last_error = _describe_exit(code)
        ran_for = now - (worker.started_monotonic or now)
        self._close_log(worker)
        if ran_for >= self.policy.stable_after:
            worker.consecutive_failures = 0
            worker.crash_looping = False
        self._schedule_restart(worker, now, exit_code=code, pid=pgid)

    def _schedule_restart(
        self, worker: _Worker, now: float, *, exit_code: int | None = None, pid: int | None = None
    ) -> None:
        worker.consecutive_failures += 1
        delay = self.policy.delay(worker.consecutive_failures)
        worker.state = WorkerState.BACKOFF
        worker.next_start = now + delay
        if exit_code is not None:
            self._emit(
                WorkerEvent(
                    worker.spec.name,
                    "exited",
                    pid=pid,
                    exit_code=exit_code,
                    restart_in=delay,
                    detail=worker.last_error or "",
                )
            )
        if worker.consecutive_failures >= self.policy.crash_loop_after and not worker.crash_looping:
            worker.crash_looping = True
            self._emit(
                WorkerEvent(
                    worker.spec.name,
                    "crash_loop",
                    exit_code=exit_code,
                    restart_in=delay,
                    detail=(
                        f"failed {worker.consecutive_failures} times in a row; "
                        f"see {worker.spec.log_path}"
                    ),
                )
            )

    def _emit(self, event: WorkerEvent) -> None:
        if self._log_events:
            fields = {k: v for k, v in vars(event).items() if v not in (None, "") and k != "kind"}
            if event.kind in ("crash_loop", "start_failed"):
                log.error(f"worker_{event.kind}", **fields)
            elif event.kind in ("exited", "killed"):
                log.warning(f"worker_{event.kind}", **fields)
            else:
                log.info(f"worker_{event.kind}", **fields)
        if self._on_event is not None:
            self._on_event(event)

    def _close_log(self, worker: _Worker) -> None:
        if worker.log_file is not None:
            worker.log_file.close()
            worker.log_file = None

    def _write_state(self) -> None:
        if self.state_file is None:
            return
        state = {
            "schema": STATE_SCHEMA,
            "pid": os.getpid(),
            "started_at": self._started_at.isoformat(),
            "updated_at": datetime.now(UTC).isoformat(),
            "stopping": self._stopping,
            **self._metadata,
            "workers": [s.to_json() for s in self.statuses()],
        }
        write_json_atomically(self.state_file, state)


_ALIVE_STATES = (WorkerState.RUNNING, WorkerState.STOPPING)


def write_json_atomically(path: Path, value: Any) -> None:
    """Readers never see a half-written file: write a sibling, then rename over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, indent=2), encoding="utf-8")
    tmp.replace(path)


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def _rotate_if_large(path: Path) -> None:
    try:
        if path.stat().st_size > MAX_LOG_BYTES:
            path.replace(path.with_name(path.name + ".1"))
    except FileNotFoundError:
        pass


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group ``pgid``.

    Reads /proc where available, because a zombie orphan (waiting for init to reap it) still
    answers ``killpg(pgid, 0)`` although it holds no resources.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state ppid pgrp ...
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) >= 3 and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while group_members(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def terminate_group(pgid: int, timeout: float) -> bool:
    """Stop a process group that is not our child (``parley down`` after a lost supervisor):
    SIGTERM, wait, SIGKILL.  Returns True when SIGKILL was needed."""
    if not group_members(pgid):
        return False
    _signal_group(pgid, signal.SIGTERM)
    if _wait_group_gone(pgid, timeout):
        return False
    _signal_group(pgid, signal.SIGKILL)
    _wait_group_gone(pgid, 5.0)
    return True
