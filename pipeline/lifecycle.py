"""Stopping the streaming job cleanly.

SIGTERM/SIGINT set a process-wide flag.  The Kafka source sees it at its next read and ends its
restriction there (claims the rest of its offset range without reading it), so the runner
finishes the last bundle normally: the sink flushes, the bundle finalizer commits the offsets of
what was stored, and ``Pipeline.run`` returns.  Records not read yet stay uncommitted in Kafka and
are read by the next start.  The flag lives in this module (imported by reference in pickled
DoFns), so it is shared by the runner and the in-process SDK workers.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType

_stop = threading.Event()
_stopped_at: float | None = None


def request_stop() -> None:
    global _stopped_at
    if _stopped_at is None:
        _stopped_at = time.monotonic()
    _stop.set()


def stop_requested() -> bool:
    return _stop.is_set()


def stop_requested_for() -> float:
    """Seconds since the stop was requested (0 when it was not)."""
    return 0.0 if _stopped_at is None else time.monotonic() - _stopped_at


def reset() -> None:
    """Forget a previous stop (one process running the pipeline several times, e.g. tests)."""
    global _stopped_at
    _stopped_at = None
    _stop.clear()


def install_signal_handlers() -> bool:
    """SIGTERM/SIGINT -> ``request_stop``; a second signal exits at once.  Only possible from the
    main thread; returns whether the handlers were installed."""
    if threading.current_thread() is not threading.main_thread():
        return False

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop_requested():
            raise SystemExit(128 + signum)
        request_stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return True
