"""Ports for local services are drawn below the ephemeral range, where client sockets never land."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from benchmarks.harness import ports


def test_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    picked = ports.free_ports(20)
    assert len(set(picked)) == 20
    low, high = ports._candidate_range()
    assert high, "this machine's ephemeral range leaves room below it"
    for port in picked:
        assert low <= port < high
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_taken_port_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        other = port + 1 if port < 65535 else port - 1
        draws = iter([port, port, other])
        monkeypatch.setattr(ports.random.SystemRandom, "randrange", lambda _s, _a, _b: next(draws))
        assert ports.free_ports(1) == [other]


def test_a_wide_ephemeral_range_falls_back_to_the_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = tmp_path / "ip_local_port_range"
    proc.write_text("1024\t65535\n")
    monkeypatch.setattr(ports, "_EPHEMERAL_RANGE", proc)
    assert ports._candidate_range() == (0, 0)
    assert len(set(ports.free_ports(3))) == 3
