"""Which code runs: the mypyc-compiled extraction modules, or their Python sources.

``setup.py`` compiles the hot path (``COMPILED``) into C extensions and records, in
``_native.json``, the digest of each source it compiled.  Python imports an extension in
preference to the ``.py`` next to it, so after an edit (or a ``git pull``) without a rebuild
the old compiled code would run silently.  ``select_modules`` prevents that: when any
compiled module no longer matches its source, all of them are imported from source (they call
each other directly in C, so they are used all together or not at all) and a warning says
how to rebuild.  ``PARLEY_EXTRACT_NATIVE=0`` always runs the sources.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

#: Also read by setup.py (which compiles them): standard-library imports only in this module.
COMPILED = (
    "attribution",
    "boundaries",
    "cue_model",
    "cues",
    "gazetteer_scan",
    "mentions",
    "speakers",
    "text",
    "tokens",
    "trigger_model",
    "triggers",
)
MANIFEST = "_native.json"
ENV_SWITCH = "PARLEY_EXTRACT_NATIVE"
PACKAGE = __name__.rpartition(".")[0]


class StaleNativeBuildWarning(RuntimeWarning):
    """Compiled extraction modules are older than their sources."""


def compiled_modules(directory: Path) -> list[str]:
    """The modules of ``COMPILED`` that have a C extension in ``directory``."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return [
        name
        for name in COMPILED
        if any((directory / f"{name}{suffix}").is_file() for suffix in suffixes)
    ]


def stale_modules(directory: Path) -> list[str]:
    """Compiled modules whose source differs from the one they were built from (all of
    them when the manifest is missing or unreadable)."""
    compiled = compiled_modules(directory)
    if not compiled:
        return []
    try:
        recorded = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return compiled
    if not isinstance(recorded, dict):
        return compiled
    out = []
    for name in compiled:
        source = directory / f"{name}.py"
        if not source.is_file():
            continue  # an installed build without sources: nothing else to run
        if recorded.get(name) != hashlib.sha256(source.read_bytes()).hexdigest():
            out.append(name)
    return out


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the listed modules of this package as ``.py`` files, ahead of the extensions."""

    def __init__(self, directory: Path, names: Sequence[str]) -> None:
        self.directory = directory
        self.fullnames = {f"{PACKAGE}.{name}": name for name in names}

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        name = self.fullnames.get(fullname)
        if name is None:
            return None
        return importlib.util.spec_from_file_location(fullname, self.directory / f"{name}.py")


def select_modules(directory: Path, environ: dict[str, str] | None = None) -> bool:
    """Arrange for the compiled modules to be imported only when they are current.

    Returns whether compiled code will run.  Call before any module of ``COMPILED`` is
    imported (the package's ``__init__`` does)."""
    env = os.environ if environ is None else environ
    compiled = compiled_modules(directory)
    if not compiled:
        return False
    if env.get(ENV_SWITCH, "").strip() == "0":
        use_sources = True
    else:
        stale = stale_modules(directory)
        use_sources = bool(stale)
        if stale:
            warnings.warn(
                f"compiled extraction modules are older than their sources ({', '.join(stale)}):"
                " running the Python sources, which is slower; rebuild with "
                "`pip install --no-deps -e .` (or `make native`)",
                StaleNativeBuildWarning,
                stacklevel=3,
            )
    if use_sources:
        if not any(
            isinstance(f, _SourceFinder) and f.directory == directory for f in sys.meta_path
        ):
            sys.meta_path.insert(0, _SourceFinder(directory, compiled))
        return False
    return True


def running_native() -> bool:
    """Whether the extraction code imported in this process is the compiled one."""
    module = sys.modules.get(f"{PACKAGE}.attribution")
    if module is None:
        module = importlib.import_module(f"{PACKAGE}.attribution")
    return not str(getattr(module, "__file__", "")).endswith(".py")


def build_problems(directory: Path) -> list[str]:
    """What keeps the compiled build from running: modules without an extension, and
    extensions older than their sources (empty when every module of ``COMPILED`` is current)."""
    compiled = compiled_modules(directory)
    missing = [name for name in COMPILED if name not in compiled]
    problems = [f"{name}: not compiled" for name in missing]
    problems += [f"{name}: compiled from an older source" for name in stale_modules(directory)]
    return problems


def main() -> int:
    """Exit status 1, naming the modules, unless the whole compiled build is current
    (``make native`` runs it, since the build itself falls back to the Python sources quietly
    when mypyc or the C compiler fails)."""
    problems = build_problems(Path(__file__).resolve().parent)
    if problems:
        print("parley: the compiled extraction build is not in use:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print(
            "  rebuild with `pip install --no-deps --no-build-isolation -v -e .` and read its"
            " errors (mypyc needs the modules to type-check; a C compiler must be installed)",
            file=sys.stderr,
        )
        return 1
    print(f"parley: compiled extraction build current ({len(COMPILED)} modules)")
    return 0
