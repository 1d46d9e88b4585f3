"""Build hook: the extraction hot path is compiled to C with mypyc when possible.

Compiled are the rule modules only; the public classes (``StatementExtractor``, the result
dataclasses) stay ordinary Python classes that users can subclass and pickle.

Everything else about the distribution is declared in pyproject.toml.  The modules below are
plain typed Python (mypy --strict); mypyc turns them into C extensions that run ~1.2x faster
with identical output (tests/unit/test_extract_native.py compares both).  The extensions are
optional: without a C compiler, or with ``PARLEY_PURE_PYTHON=1``, the same modules run as
Python.  ``pipeline/extract/_native.json`` records the source each extension was built from,
so that an edited source is never shadowed by an older build (``pipeline/extract/native.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

PACKAGE = Path("pipeline") / "extract"
# The list and the manifest name come from the run-time guard (standard library only, so it
# runs here without the package's dependencies): the two can never disagree.
_GUARD = runpy.run_path(str(PACKAGE / "native.py"))
COMPILED: tuple[str, ...] = _GUARD["COMPILED"]
MANIFEST: str = _GUARD["MANIFEST"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class BuildExtWithManifest(build_ext):
    """Writes the manifest of compiled sources next to the extensions it built."""

    def run(self) -> None:
        super().run()
        built = [
            name
            for name in COMPILED
            if Path(self.get_ext_fullpath(f"pipeline.extract.{name}")).exists()
        ]
        target = Path(self.get_ext_fullpath("pipeline.extract.tokens")).parent
        manifest = {name: _digest(PACKAGE / f"{name}.py") for name in built}
        if built:
            target.mkdir(parents=True, exist_ok=True)
            (target / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", "utf-8")


def native_extensions() -> list[object]:
    if os.environ.get("PARLEY_PURE_PYTHON", "").strip() not in ("", "0"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("parley: mypyc not available, extraction runs as pure Python", file=sys.stderr)
        return []
    paths = [str(PACKAGE / f"{name}.py") for name in COMPILED]
    # No project configuration: its pydantic plugin is not installed in the build environment,
    # and the modules' own annotations are all mypyc needs.
    options = ["--config-file=", "--ignore-missing-imports"]
    try:
        extensions = mypycify([*options, *paths], opt_level="3")
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - a mypy crash must not block install
        print(f"parley: mypyc failed ({exc!r}), extraction runs as pure Python", file=sys.stderr)
        return []
    for extension in extensions:
        extension.optional = True  # no C compiler: a warning, and the Python modules run
    return list(extensions)


setup(ext_modules=native_extensions(), cmdclass={"build_ext": BuildExtWithManifest})
