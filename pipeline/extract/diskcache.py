"""The cache directory, and pickle files of things slow to build and the same in every process.

``$PARLEY_CACHE_DIR`` (default ``~/.cache/parley``; an empty value turns caching off) holds the
compiled gazetteer (~0.7 s to build; ``load_or_build``, one file per content key), the parsed
lexicon files and the cue lexicon's trie pattern (``lexicon.py``), the programs of the
lexicons' large regexes and of the modules' small ones (``regex_cache.py``) and the language
identifier's model tables (memory-mapped, see ``language.py``).  Any problem with a file
(missing, corrupt, foreign, read-only disk) only means building again.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

ENV_CACHE_DIR = "PARLEY_CACHE_DIR"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The cache directory, or None when caching is off."""
    env = os.environ if environ is None else environ
    configured = env.get(ENV_CACHE_DIR)
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "parley"


def load_or_build(
    directory: Path | None,
    prefix: str,
    key: str,
    build: Callable[[], T],
    accept: Callable[[object], bool],
    *,
    keep: int,
) -> T:
    """``build()``, read from ``<directory>/<prefix>-<key>.pickle`` when that holds a value
    ``accept`` takes, else built and written there (atomically: concurrent processes never
    read half a file).  Only the ``keep`` newest files of ``prefix`` are kept."""
    if directory is None:
        return build()
    target = directory / f"{prefix}-{key}.pickle"
    cached: object = None
    with contextlib.suppress(Exception), target.open("rb") as fh, _gc_paused():
        cached = pickle.load(fh)  # noqa: S301 - our own cache file, keyed by content
    if accept(cached):
        return cached  # type: ignore[return-value]
    value = build()
    store(directory, prefix, key, value, keep=keep)
    return value


def store(directory: Path, prefix: str, key: str, value: object, *, keep: int) -> None:
    """Write ``value`` to ``<directory>/<prefix>-<key>.pickle`` (atomically; a disk that
    cannot be written is no error), keeping the ``keep`` newest files of ``prefix``."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{prefix}-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, directory / f"{prefix}-{key}.pickle")
        except BaseException:
            os.unlink(tmp)
            raise
        _prune(directory, prefix, keep)
    except OSError:
        pass


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No garbage collection while unpickling: a gazetteer is ~100,000 objects without
    reference cycles, and the collections their allocation triggers would walk the growing
    heap again and again (unpickling takes half the time without them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _prune(directory: Path, prefix: str, keep: int) -> None:
    """Delete all but the ``keep`` most recently written files of ``prefix``."""
    entries = sorted(
        directory.glob(f"{prefix}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in entries[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
