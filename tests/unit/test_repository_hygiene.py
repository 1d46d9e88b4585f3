"""Tracked files carry no leftovers of a merge (conflict markers)."""

from __future__ import annotations

import re
import subprocess

from parley.config import REPO_ROOT

_MARKER = re.compile(rb"^(<<<<<<< |>>>>>>> |=======$)", re.M)


def test_no_merge_conflict_markers() -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    offenders = []
    for name in filter(None, files):
        path = REPO_ROOT / name.decode()
        if path.suffix in {".gz", ".so", ".npy", ".png"} or not path.is_file():
            continue
        if _MARKER.search(path.read_bytes()):
            offenders.append(name.decode())
    assert not offenders, f"merge conflict markers in {offenders}"
