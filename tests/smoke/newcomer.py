"""The newcomer's path, end to end (``make smoke``; CI runs it after ``make test``).

What a new user does after cloning: start the monitor the README's way (in the background),
see statements become searchable and the demo webhook receive signed alerts; stop it; start it
again on the same data directory and see alerts arrive again; kill the alert dispatcher with
SIGKILL and see delivery resume once the supervisor restarted it; stop.  Every wait is bounded;
on failure the worker logs that explain why are printed.

Kafka and Elasticsearch are the configured ones (``parley up`` starts the local services when
they are not running, and leaves running ones alone).  The ports of ``parley up``'s demo
(8765, 8766), API (8088) and metrics (9464–9467) must be free: stop your own ``parley up`` first.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PARLEY = [sys.executable, "-m", "parley"]
FIRST_ALERTS_S = 60.0  # the promise to a newcomer: statements and alerts within 60 s
RESUME_S = 45.0  # after SIGKILL: restart delay + the dead member's session timeout + delivery
STOP_S = 60.0
LOG_TAIL_LINES = 40


class SmokeFailure(Exception):
    pass


def step(message: str) -> None:
    print(f"[smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)


def parley(
    *args: str, timeout: float = 120.0, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*PARLEY, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise SmokeFailure(
            f"`parley {' '.join(args)}` exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result


def data_dir() -> Path:
    """The data directory ``parley up`` uses with this environment (default ``var/``)."""
    from parley.config import load_settings
    from parley.runtime_paths import RuntimePaths

    return RuntimePaths.from_settings(load_settings()).data_dir


def wait_for(what: str, condition: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while True:
        value = condition()
        if value:
            step(f"{what}: yes after {time.monotonic() - started:.1f} s")
            return value
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what}: not within {timeout:.0f} s")
        time.sleep(1.0)


def alerts(path: Path) -> list[dict[str, Any]]:
    """Alerts the demo receiver accepted with a valid signature."""
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [a for a in lines if a.get("signature_verified") is True]


def searchable_statements() -> int:
    result = parley(
        "search",
        "triggers.category:(negotiations OR ceasefire)",
        "--since",
        "1h",
        "--json",
        "--size",
        "1",
        check=False,
    )
    if result.returncode != 0:
        return 0
    return int(json.loads(result.stdout).get("total", 0))


def supervisor_state(var: Path) -> dict[str, Any]:
    return json.loads((var / "run" / "parley-up.json").read_text("utf-8"))


def worker(var: Path, name: str) -> dict[str, Any]:
    return next(w for w in supervisor_state(var)["workers"] if w["name"] == name)


def start(var: Path, alerts_file: Path, label: str) -> int:
    before = len(alerts(alerts_file))
    statements_before = searchable_statements()
    step(f"{label}: parley up --detach")
    t0 = time.monotonic()
    parley("up", "--detach")
    wait_for(
        f"{label}: new statements about talks searchable",
        lambda: searchable_statements() > statements_before,
        FIRST_ALERTS_S - (time.monotonic() - t0),
    )
    wait_for(
        f"{label}: signed demo alerts received",
        lambda: len(alerts(alerts_file)) > before,
        FIRST_ALERTS_S - (time.monotonic() - t0),
    )
    return before


def stop(label: str) -> None:
    step(f"{label}: parley down")
    parley("down", timeout=STOP_S + 30)


def kill_dispatcher_and_see_delivery_resume(var: Path, alerts_file: Path) -> None:
    old = worker(var, "dispatcher")
    pid = old["pid"]
    if not pid:
        raise SmokeFailure(f"the dispatcher is not running: {old}")
    step(f"SIGKILL to the dispatcher (pid {pid})")
    os.kill(pid, signal.SIGKILL)
    wait_for(
        "dispatcher restarted by the supervisor",
        lambda: (w := worker(var, "dispatcher"))["pid"] not in (None, pid) and w["restarts"] > 0,
        RESUME_S,
    )
    # Counted from here, every alert was delivered by the restarted dispatcher.
    seen = {a.get("delivery_id") for a in alerts(alerts_file)}
    wait_for(
        "delivery resumed (new signed alerts after the kill)",
        lambda: any(a.get("delivery_id") not in seen for a in alerts(alerts_file)),
        RESUME_S,
    )


def dump_logs(var: Path) -> None:
    print("\n[smoke] ---- parley status ----", flush=True)
    status = parley("status", check=False, timeout=60)
    print(status.stdout + status.stderr)
    for log in sorted((var / "log").glob("*.log")):
        lines = log.read_text("utf-8", errors="replace").splitlines()
        print(f"[smoke] ---- {log.name} (last {LOG_TAIL_LINES} of {len(lines)} lines) ----")
        print("\n".join(lines[-LOG_TAIL_LINES:]))


def main() -> int:
    var = data_dir()
    alerts_file = var / "demo-alerts.jsonl"
    started = time.monotonic()
    try:
        start(var, alerts_file, "first start")
        stop("first start")
        before = start(var, alerts_file, "second start, same data directory")
        kill_dispatcher_and_see_delivery_resume(var, alerts_file)
        stop("second start")
        received = len(alerts(alerts_file)) - before
        step(f"passed in {time.monotonic() - started:.0f} s ({received} alerts in the second run)")
        return 0
    except (SmokeFailure, subprocess.TimeoutExpired, OSError, ValueError, KeyError) as exc:
        print(f"\n[smoke] FAILED: {exc}", flush=True)
        dump_logs(var)
        parley("down", check=False, timeout=STOP_S + 30)
        return 1


if __name__ == "__main__":
    sys.exit(main())
