"""Free ports for the services that tests and benchmarks start on 127.0.0.1.

Asking the kernel for port 0 hands out a port from the ephemeral range, the same range that
every outgoing connection (a Kafka client, an HTTP pool) draws its local port from; between
closing the probe socket and the service binding it, such a connection can take the port and
the service fails to start. Ports are drawn below the ephemeral range instead, where only
listeners live, and each is checked by binding it.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# Linux's default ephemeral range starts at 32768; registered services mostly sit below 10000.
_DEFAULT_EPHEMERAL_LOW = 32768
_LOWEST = 10000
_MIN_SPAN = 2000


def _candidate_range() -> tuple[int, int]:
    try:
        low = int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = _DEFAULT_EPHEMERAL_LOW
    if low - _LOWEST < _MIN_SPAN:
        # A widened ephemeral range leaves no room below it: fall back to the kernel's choice.
        return 0, 0
    return _LOWEST, low


def free_ports(n: int) -> list[int]:
    """n distinct ports that were free a moment ago (all probes held until every port is picked)."""
    low, high = _candidate_range()
    draw = random.SystemRandom()
    held: list[socket.socket] = []
    picked: list[int] = []
    try:
        while len(picked) < n:
            sock = socket.socket()
            try:
                sock.bind(("127.0.0.1", draw.randrange(low, high) if high else 0))
            except OSError:
                sock.close()
                continue
            port = int(sock.getsockname()[1])
            held.append(sock)
            if port not in picked:
                picked.append(port)
        return picked
    finally:
        for sock in held:
            sock.close()


def free_port() -> int:
    return free_ports(1)[0]
