"""The lexicons' large regexes, compiled once per machine instead of once per process.

``re.compile`` parses a pattern and translates it into the regex engine's program in Python.
For the trigger and cue lexicons, alternations of 4-35 KB, that is about a sixth of a
``parley extract`` run over 200 articles, start-up included.  ``compile_cached`` keeps each
program in the cache directory (``diskcache``: ``$PARLEY_CACHE_DIR``, empty = off) and hands it
back to the engine, which checks it before use.  The program format is private to the
interpreter, so the key holds the exact interpreter version and the engine's magic number
with the pattern and flags: another Python never reads these files.  When the private parts
are missing (another Python implementation or version) or anything about a file is wrong,
the pattern is compiled as usual.

Written here because no library does it: ``re`` and ``regex`` pickle a pattern as its source
and compile it again when it is loaded.
"""

from __future__ import annotations

import array
import contextlib
import functools
import hashlib
import importlib
import os
import pickle
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from pipeline.extract.diskcache import cache_dir, load_or_build, store

_PREFIX = "regex"
#: Programs kept: a few large patterns per language, and each lexicon edit makes new ones.
_KEEP = 64


#: The array type of the engine's code words (4 bytes in CPython): a program is kept as their
#: bytes, which ``array.tolist`` turns back into the list the engine takes in a third of the
#: instructions that unpickling a list of ~225,000 ints takes (the trigger heads' program).
_CODE_TYPE = next((t for t in "IL" if array.array(t).itemsize == 4), None)


def _engine_parts() -> tuple[Any, Any, Any] | None:
    try:
        parts = (
            importlib.import_module("re._parser"),
            importlib.import_module("re._compiler"),
            importlib.import_module("_sre"),
        )
    except ImportError:
        return None
    parser, compiler, engine = parts
    if _CODE_TYPE is None or array.array(_CODE_TYPE).itemsize != getattr(engine, "CODESIZE", 0):
        return None
    if not all(
        callable(getattr(module, name, None))
        for module, name in ((parser, "parse"), (compiler, "_code"), (engine, "compile"))
    ):
        return None
    return parts


_PARTS = _engine_parts()
_INTERPRETER = "\0".join(
    (sys.implementation.name, sys.version, str(getattr(_PARTS[2], "MAGIC", "")) if _PARTS else "")
)


def compile_cached(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, with the program read from the cache directory when
    it holds it (and stored there when it does not)."""
    directory = cache_dir()
    if directory is None or _PARTS is None:
        return re.compile(pattern, flags)
    flags = int(flags)
    key = hashlib.sha256(
        f"{_INTERPRETER}\0{flags}\0{pattern}".encode("utf-8", "surrogatepass")
    ).hexdigest()[:32]
    try:
        program = load_or_build(
            directory,
            _PREFIX,
            key,
            lambda: _program(pattern, flags),
            lambda cached: _is_program(cached, pattern),
            keep=_KEEP,
        )
        regex: re.Pattern[str] = _engine_compile(pattern, program)
    except re.error:
        raise  # a wrong pattern is reported as re.compile reports it
    except Exception:  # noqa: BLE001 - private parts that changed, a program refused
        return re.compile(pattern, flags)
    return regex


def _engine_compile(pattern: str, program: tuple[Any, ...]) -> re.Pattern[str]:
    """The engine's pattern object for a program of ``_program``."""
    assert _PARTS is not None and _CODE_TYPE is not None
    code = array.array(_CODE_TYPE, program[2]).tolist()
    regex: re.Pattern[str] = _PARTS[2].compile(pattern, program[1], code, *program[3:])
    return regex


def _program(
    pattern: str, flags: int
) -> tuple[str, int, bytes, int, dict[str, int], tuple[Any, ...]]:
    """What ``re._compiler.compile`` hands to the engine for ``pattern``: the pattern, its
    flags, the program (the bytes of its code words: the compiler's opcodes do not pickle),
    the number of groups and the group names both ways."""
    assert _PARTS is not None
    parser, compiler, _ = _PARTS
    parsed = parser.parse(pattern, flags)
    code = compiler._code(parsed, flags)
    state = parsed.state
    indexgroup: list[str | None] = [None] * state.groups
    for name, index in state.groupdict.items():
        indexgroup[index] = name
    return (
        pattern,
        flags | state.flags,
        array.array(_CODE_TYPE or "I", [int(op) for op in code]).tobytes(),
        state.groups - 1,
        dict(state.groupdict),
        tuple(indexgroup),
    )


def _is_program(value: object, pattern: str) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 6
        and value[0] == pattern
        and isinstance(value[1], int)
        and isinstance(value[2], bytes)
        and isinstance(value[3], int)
        and isinstance(value[4], dict)
        and isinstance(value[5], tuple)
    )


# -- the small regexes of the extraction modules ---------------------------------------------
#
# The extraction modules compile ~40 small regexes when they are imported: ~8 ms of a
# one-article ``parley extract`` run, in Python (``re``'s parser and compiler).  ``preload``
# puts the programs a previous process compiled into ``re``'s own pattern cache, where
# ``re.compile`` finds them; ``remember`` writes them after start-up when ``re`` compiled any
# that the file does not have.  Private parts of ``re`` again: when they are not as expected,
# nothing is preloaded and ``re`` compiles as usual.
#
# One file per version of the package (its files' names, sizes and modification times, read
# without opening them): with one file per interpreter, every version run on a machine left
# its patterns in it, and each start-up read and compiled them all (a file of 200 patterns,
# 4 MB, cost ~40 ms of CPU at each start-up where ~40 small ones are needed).  A file that no
# longer matches is simply not read, and pruned as new ones are written.


def _code_stamp(package: Path) -> str:
    """Names, sizes and modification times of the files of ``package`` and of its data
    directory: the sources, compiled modules and lexicons whose patterns the file holds."""
    out: list[str] = []
    for directory in (package, package / "data"):
        with contextlib.suppress(OSError), os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_file():
                    st = entry.stat()
                    out.append(f"{entry.name}\0{st.st_size}\0{st.st_mtime_ns}")
    return "\n".join(sorted(out))


_PRELOAD_PREFIX = "re-cache"
_PRELOAD_KEY = hashlib.sha256(
    f"{_INTERPRETER}\0{_code_stamp(Path(__file__).resolve().parent)}".encode(
        "utf-8", "surrogatepass"
    )
).hexdigest()[:32]
#: Preload files kept: one per version of the package recently run on the machine.
_PRELOAD_KEEP = 8
#: (pattern, flags) -> program of the patterns in the file (or preloaded from it)
_preloaded: dict[tuple[str, int], tuple[Any, ...]] = {}


def _pattern_cache() -> dict[Any, Any] | None:
    cache = getattr(re, "_cache", None)
    return cache if isinstance(cache, dict) and _PARTS is not None else None


def preload() -> None:
    """Put the programs of the file written by ``remember`` into ``re``'s pattern cache (call
    before the modules whose regexes they are are imported)."""
    directory = cache_dir()
    cache = _pattern_cache()
    if directory is None or cache is None or _PARTS is None:
        return
    entries: object = None
    with (
        contextlib.suppress(Exception),
        (directory / f"{_PRELOAD_PREFIX}-{_PRELOAD_KEY}.pickle").open("rb") as fh,
    ):
        entries = pickle.load(fh)  # noqa: S301 - our own cache file
    if not isinstance(entries, list):
        return
    room = getattr(re, "_MAXCACHE", _PRELOAD_MAX) - len(cache)
    for entry in entries[: max(0, room)]:
        if not (isinstance(entry, tuple) and len(entry) == 3):
            continue
        pattern, flags, program = entry
        if not (isinstance(pattern, str) and isinstance(flags, int)):
            continue
        if not _is_program(program, pattern):
            continue
        key = (str, pattern, flags)
        try:
            if key not in cache:
                cache[key] = _engine_compile(pattern, program)
        except Exception:  # noqa: BLE001,S112 - a program refused: re compiles that one
            continue
        _preloaded[(pattern, flags)] = program


def remember() -> None:
    """Write the programs of the text patterns in ``re``'s cache, when it holds some that
    ``preload`` did not put there (the first run on a machine, or after a code change)."""
    directory = cache_dir()
    cache = _pattern_cache()
    if directory is None or cache is None:
        return
    current = [
        (key[1], key[2])
        for key in list(cache)
        if isinstance(key, tuple)
        and len(key) == 3
        and key[0] is str
        and isinstance(key[2], int)
        and not key[2] & re.DEBUG
    ]
    if all(k in _preloaded for k in current):
        return
    current = current[-_PRELOAD_MAX:]  # the newest
    try:
        entries = [
            (pattern, flags, _preloaded.get((pattern, flags)) or _program(pattern, flags))
            for pattern, flags in current
        ]
    except Exception:  # noqa: BLE001 - private parts that changed
        return
    # The file's other patterns stay (a process that met other languages compiled other
    # lexicons' patterns: the file would otherwise be written again in every run), up to a
    # bound.
    kept = set(current)
    entries += [(p, f, prog) for (p, f), prog in _preloaded.items() if (p, f) not in kept]
    entries = entries[:_PRELOAD_MAX]
    store(directory, _PRELOAD_PREFIX, _PRELOAD_KEY, entries, keep=_PRELOAD_KEEP)
    _preloaded.update(((p, f), program) for p, f, program in entries)


def remember_all() -> None:
    """``remember``, and the pattern rewrites of ``Rewrites`` that this process computed."""
    remember()
    for rewrites in _ALL_REWRITES:
        rewrites.save()


#: Patterns the file keeps at most (as many as ``re`` caches).
_PRELOAD_MAX = 512


# -- the lexicons' pattern rewriting ---------------------------------------------------------
#
# Before their programs can be looked up, the trigger lexicon's patterns are rewritten
# (lower-cased, tagged with a group per entry, grouped by first letters): string work in every
# process, about as much as reading the programs.  ``Rewrites`` keeps the results of such pure
# functions in the cache directory, keyed by the source file that defines them, so that an
# edit of the code never reads an old result.

_REWRITES_PREFIX = "rewrites"
_F = TypeVar("_F", bound=Callable[..., str])
_ALL_REWRITES: list[Rewrites] = []


class Rewrites:
    """A decorator for pure functions of strings, ints and lists of strings to a string,
    defined in ``source``: a result computed in an earlier process is read back, and the new
    ones are written by ``remember_all`` (at the end of a ``parley extract`` process)."""

    def __init__(self, source: Path) -> None:
        self._source = source
        self._table: dict[tuple[Any, ...], str] | None = None
        self._key = ""
        self._added = False
        _ALL_REWRITES.append(self)

    def _load(self) -> dict[tuple[Any, ...], str]:
        table: dict[tuple[Any, ...], str] = {}
        directory = cache_dir()
        if directory is not None:
            with contextlib.suppress(Exception):
                self._key = hashlib.sha256(self._source.read_bytes()).hexdigest()[:32]
                with (directory / f"{_REWRITES_PREFIX}-{self._key}.pickle").open("rb") as fh:
                    loaded = pickle.load(fh)  # noqa: S301 - our own cache file
                if isinstance(loaded, dict):
                    table = loaded
        self._table = table
        return table

    def __call__(self, fn: _F) -> _F:
        name = fn.__name__

        @functools.wraps(fn)
        def cached(*args: Any, **kwargs: Any) -> str:
            table = self._table if self._table is not None else self._load()
            key = (
                name,
                *(tuple(a) if isinstance(a, list) else a for a in args),
                *sorted(kwargs.items()),
            )
            hit = table.get(key)
            if isinstance(hit, str):
                return hit
            value = fn(*args, **kwargs)
            table[key] = value
            self._added = True
            return value

        return cast(_F, cached)

    def save(self) -> None:
        directory = cache_dir()
        if not self._added or not self._key or directory is None or self._table is None:
            return
        store(directory, _REWRITES_PREFIX, self._key, self._table, keep=8)
        self._added = False
