"""Tracked files carry no leftovers of a merge: conflict markers, test modules of one name."""

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


def test_test_modules_have_unique_names() -> None:
    # pytest imports test modules by their base name (the test folders are not packages): two
    # files of one name in different folders stop the whole run at collection.
    files = subprocess.run(
        ["git", "ls-files", "-z", "tests"], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    seen: dict[str, str] = {}
    clashes = []
    for name in filter(None, (f.decode() for f in files)):
        base = name.rsplit("/", 1)[-1]
        if not (base.startswith("test_") and base.endswith(".py")):
            continue
        if base in seen:
            clashes.append((seen[base], name))
        seen[base] = name
    assert not clashes, f"test modules with the same name: {clashes}"
