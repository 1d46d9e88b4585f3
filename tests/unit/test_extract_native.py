"""The mypyc-compiled extraction modules: same output as the sources, never stale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from pipeline.extract import native

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = ROOT / "pipeline" / "extract"
SUFFIX = native.importlib.machinery.EXTENSION_SUFFIXES[0]


def _fake_build(directory: Path, names: tuple[str, ...], manifest: dict[str, str] | None) -> None:
    for name in native.COMPILED:
        (directory / f"{name}.py").write_text(f"NAME = {name!r}\n", encoding="utf-8")
    for name in names:
        (directory / f"{name}{SUFFIX}").write_bytes(b"")
    if manifest is not None:
        (directory / native.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _digest(path: Path) -> str:
    return native.hashlib.sha256(path.read_bytes()).hexdigest()


def test_no_extensions_nothing_to_check(tmp_path: Path) -> None:
    _fake_build(tmp_path, (), None)
    assert native.compiled_modules(tmp_path) == []
    assert native.stale_modules(tmp_path) == []
    assert native.select_modules(tmp_path, {}) is False


def test_current_build_is_used(tmp_path: Path) -> None:
    _fake_build(tmp_path, native.COMPILED, None)
    manifest = {n: _digest(tmp_path / f"{n}.py") for n in native.COMPILED}
    (tmp_path / native.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert native.stale_modules(tmp_path) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert native.select_modules(tmp_path, {}) is True


def test_an_edited_source_switches_every_module_to_source(tmp_path: Path) -> None:
    _fake_build(tmp_path, native.COMPILED, None)
    manifest = {n: _digest(tmp_path / f"{n}.py") for n in native.COMPILED}
    (tmp_path / native.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "tokens.py").write_text("NAME = 'edited'\n", encoding="utf-8")
    assert native.stale_modules(tmp_path) == ["tokens"]
    before = list(sys.meta_path)
    try:
        with pytest.warns(native.StaleNativeBuildWarning, match="tokens"):
            assert native.select_modules(tmp_path, {}) is False
        finder = sys.meta_path[0]
        assert finder not in before
        # Every compiled module, not only the edited one, now comes from its source.
        for name in native.COMPILED:
            spec = finder.find_spec(f"pipeline.extract.{name}", None)
            assert spec is not None and spec.origin == str(tmp_path / f"{name}.py")
        assert finder.find_spec("pipeline.extract.gazetteer", None) is None
    finally:
        sys.meta_path[:] = before


@pytest.mark.parametrize("manifest", [None, {"tokens": "0" * 64}])
def test_missing_or_foreign_manifest_means_stale(tmp_path: Path, manifest: dict | None) -> None:
    _fake_build(tmp_path, ("tokens", "text"), manifest)
    assert native.stale_modules(tmp_path) == ["text", "tokens"]


def test_switch_off_runs_sources_without_a_warning(tmp_path: Path) -> None:
    _fake_build(tmp_path, native.COMPILED, None)
    manifest = {n: _digest(tmp_path / f"{n}.py") for n in native.COMPILED}
    (tmp_path / native.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    before = list(sys.meta_path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert native.select_modules(tmp_path, {native.ENV_SWITCH: "0"}) is False
    finally:
        sys.meta_path[:] = before


def test_this_checkout_runs_a_current_build() -> None:
    """The installed build matches the sources under test; CI installs it compiled."""
    compiled = native.compiled_modules(PACKAGE_DIR)
    assert compiled in ([], list(native.COMPILED))
    assert native.stale_modules(PACKAGE_DIR) == []
    if os.environ.get("CI") and not os.environ.get("PARLEY_PURE_PYTHON"):
        assert compiled, "CI builds the mypyc extensions (make install); none were found"
        assert native.running_native()


_DUMP = """
import json, sys
from pathlib import Path
import pipeline.extract as pe
from pipeline.extract.native import running_native
import yaml
texts = [Path(sys.argv[1]).read_text(encoding="utf-8")]
texts += [c["text"] for c in yaml.safe_load(Path(sys.argv[2]).read_text("utf-8"))["cases"]]
ex = pe.StatementExtractor()
out = [ex.extract(t).to_dict() for t in texts]
print(json.dumps({"native": running_native(), "out": out}, sort_keys=True))
"""


def test_compiled_and_source_modules_give_the_same_output() -> None:
    fixtures = ROOT / "tests" / "fixtures"
    args = [sys.executable, "-c", _DUMP, str(fixtures / "seed-article.txt")]
    args.append(str(fixtures / "extract_cases.yaml"))
    runs = {}
    for switch in ("1", "0"):
        env = {**os.environ, native.ENV_SWITCH: switch}
        proc = subprocess.run(
            args, capture_output=True, text=True, timeout=300, check=True, cwd=ROOT, env=env
        )
        runs[switch] = json.loads(proc.stdout)
    assert runs["0"]["native"] is False
    assert runs["1"]["native"] is bool(native.compiled_modules(PACKAGE_DIR))
    assert runs["1"]["out"] == runs["0"]["out"]
    assert sum(len(o["statements"]) for o in runs["0"]["out"]) > 30


def test_build_problems_names_missing_and_stale_modules(tmp_path: Path) -> None:
    _fake_build(tmp_path, native.COMPILED[1:], None)
    manifest = {n: _digest(tmp_path / f"{n}.py") for n in native.COMPILED[1:]}
    (tmp_path / native.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert native.build_problems(tmp_path) == [f"{native.COMPILED[0]}: not compiled"]
    (tmp_path / "tokens.py").write_text("# edited\n", encoding="utf-8")
    assert native.build_problems(tmp_path) == [
        f"{native.COMPILED[0]}: not compiled",
        "tokens: compiled from an older source",
    ]


def test_build_problems_empty_for_a_current_build(tmp_path: Path) -> None:
    _fake_build(tmp_path, native.COMPILED, None)
    manifest = {n: _digest(tmp_path / f"{n}.py") for n in native.COMPILED}
    (tmp_path / native.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert native.build_problems(tmp_path) == []
