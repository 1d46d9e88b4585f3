"""The dependency locks (deploy/python/lock.py): the committed ones match pyproject.toml, and a
lock made from other dependencies, or pinning a version outside a range, is refused with a
message that says what to run."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from parley.config import REPO_ROOT


@pytest.fixture(scope="module")
def lock() -> ModuleType:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "parley_lock", REPO_ROOT / "deploy/python/lock.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def copies(tmp_path: Path) -> tuple[Path, Path, Path]:
    names = ("pyproject.toml", "requirements.lock", "requirements-runtime.lock")
    for name in names:
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    return tuple(tmp_path / n for n in names)  # type: ignore[return-value]


def test_committed_locks_match_pyproject(lock: ModuleType) -> None:
    lock.check()


def test_the_runtime_lock_pins_what_the_full_lock_pins(lock: ModuleType) -> None:
    full = lock.read_pins(REPO_ROOT / "requirements.lock")
    runtime = lock.read_pins(REPO_ROOT / "requirements-runtime.lock")
    assert runtime, "the runtime lock pins nothing"
    assert set(runtime) < set(full)
    for name, versions in runtime.items():
        assert versions == full[name], name
    assert {"pytest", "ruff", "uv"}.isdisjoint(runtime), "dev tools in the runtime lock"
    assert {"apache-beam", "kafka-python", "elasticsearch", "setuptools", "mypy"} <= set(runtime)


def test_every_pin_carries_hashes() -> None:
    for name in ("requirements.lock", "requirements-runtime.lock"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (REPO_ROOT / name).read_text("utf-8"))
        pins = [b for b in blocks if "==" in b.splitlines()[0]]
        assert pins
        assert all("--hash=sha256:" in b for b in pins), name


def test_locks_name_no_path_of_the_machine_that_made_them() -> None:
    for name in ("requirements.lock", "requirements-runtime.lock"):
        text = (REPO_ROOT / name).read_text("utf-8")
        # uv's "via" comments name its input files; temporary ones must not leak in.
        assert not re.search(r"(?m)^\s*#.*\s/[\w.-]+/", text), name


def test_a_new_dependency_makes_the_lock_stale(lock: ModuleType, tmp_path: Path) -> None:
    pyproject, full, runtime = copies(tmp_path)
    text = pyproject.read_text("utf-8")
    pyproject.write_text(text.replace('  "orjson>=3.9,<4",', '  "orjson>=3.9,<4",\n  "six>=1",'))
    with pytest.raises(lock.LockMismatch, match="make lock"):
        lock.check(pyproject, (full, runtime))


def test_unrelated_pyproject_edits_keep_the_lock(lock: ModuleType, tmp_path: Path) -> None:
    pyproject, full, runtime = copies(tmp_path)
    text = pyproject.read_text("utf-8")
    pyproject.write_text(text.replace("line-length = 100", "line-length = 99"))
    lock.check(pyproject, (full, runtime))


def test_a_pin_outside_its_range_is_refused(lock: ModuleType, tmp_path: Path) -> None:
    pyproject, full, runtime = copies(tmp_path)
    text = full.read_text("utf-8")
    edited = re.sub(r"^kafka-python==[^ ]+", "kafka-python==2.0.2", text, flags=re.M)
    assert edited != text
    full.write_text(edited)
    with pytest.raises(lock.LockMismatch, match=r"kafka-python==2\.0\.2 is outside"):
        lock.check(pyproject, (full, runtime))
