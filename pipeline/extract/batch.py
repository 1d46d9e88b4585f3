"""The batch mode of ``parley extract``: JSONL records in, one contract line out per record.

    parley extract --input in.jsonl --output out.jsonl   # '-' = stdin/stdout

Exactly one output line per input line, in order, with the input's id; empty, non-JSON or
invalid lines give a line with an ``error`` field instead of stopping.

Batch jobs start one process per file or stream, so start-up is part of every run's cost:
this module imports neither typer nor the configuration, and ``run_from_argv`` lets the
console script run a plain ``--input/--output/--language`` command without them (~0.1 s);
anything else (help, a SOURCE, other options, errors) goes through the typer command in
``pipeline.extract.cli``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any, NoReturn

import orjson

_GC_THRESHOLD = 50_000


class BatchFileError(OSError):
    """An input that cannot be read or an output that cannot be written."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


def run_from_argv(argv: list[str]) -> int | None:
    """Run ``--input IN [--output OUT] [--language L]`` and return the exit status, or None
    when ``argv`` is anything else (or names a file that cannot be opened), for the full
    command to handle and report."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("--input", "-i")
    parser.add_argument("--output", "-o", default="-")
    parser.add_argument("--language", "-l")
    try:
        args, rest = parser.parse_known_args(argv)
    except argparse.ArgumentError:
        return None
    if rest or args.input is None:
        return None
    try:
        count = run_jsonl(
            args.input, args.output, default_language=args.language, remember_regexes=True
        )
    except BatchFileError:
        return None
    print(f"{count} records", file=sys.stderr)
    return 0


def exit_process(status: int) -> NoReturn:
    """End a ``parley extract`` process after ``run_from_argv``: its output is written and
    closed, so the interpreter's teardown (freeing the gazetteer and the lexicons object by
    object, and collecting them twice more) is skipped: ~0.1 billion instructions, a tenth
    of a one-article run.  When something registered an exit function or another thread
    runs, the process exits as usual, so that they are not cut short."""
    sys.stdout.flush()
    sys.stderr.flush()
    threading = sys.modules.get("threading")
    ncallbacks = getattr(atexit, "_ncallbacks", None)
    if (
        ncallbacks is None
        or ncallbacks() != 0
        or (threading is not None and threading.active_count() != 1)
    ):
        sys.exit(status)
    os._exit(status)


def run_jsonl(
    input_path: str,
    output_path: str,
    default_language: str | None = None,
    *,
    remember_regexes: bool = False,
) -> int:
    """Process a JSONL stream; returns the number of lines written.  ``default_language``
    is used for records that do not declare theirs.  With ``remember_regexes`` (a process
    of its own, the command line's) the regexes compiled are kept for the next process
    (``regex_cache.remember``); a process that also runs other code would add its own."""
    count = 0
    try:
        src: IO[bytes] = sys.stdin.buffer if input_path == "-" else open(input_path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise BatchFileError(f"cannot read {input_path}: {exc.strerror}", "--input") from exc
    dst: IO[bytes] | None = None
    write: Callable[[bytes], object]
    if output_path != "-":
        try:
            dst = open(output_path, "wb")  # noqa: SIM115
        except OSError as exc:
            src.close()
            raise BatchFileError(f"cannot write {output_path}: {exc.strerror}", "--output") from exc
        write = dst.write
    elif hasattr(sys.stdout, "buffer"):
        sys.stdout.flush()
        write = sys.stdout.buffer.write
    else:  # a replaced sys.stdout (a test's StringIO) has no byte layer
        stdout = sys.stdout
        write = lambda data: stdout.write(data.decode("utf-8"))  # noqa: E731
    # Files first, then the extractor (~0.2 s): a wrong path is reported at once.  Its
    # modules and data are long-lived objects without garbage among them: no collection
    # while they are made (each would walk all made so far; ~4 % of a one-article run).
    collecting = gc.isenabled()
    gc.disable()
    try:
        from pipeline.extract.record import default_extractor
        from pipeline.extract.regex_cache import remember, remember_all

        extractor = default_extractor()
        if remember_regexes:
            remember()
    except BaseException:
        if collecting:
            gc.enable()
        raise
    try:
        with extraction_collections():
            # Only now, with them frozen: enabled before, the first allocation would set off
            # a collection that walks all of them once (~30 M instructions).
            if collecting:
                gc.enable()
            for raw in src:
                # Bytes in, replacement characters for invalid UTF-8: a broken line still
                # gets its output line (usually an error line) and the stream goes on.
                line = raw.decode("utf-8", errors="replace")
                write(_encode_line(line, extractor, default_language))
                count += 1
        if dst is None:
            sys.stdout.flush()
            if hasattr(sys.stdout, "buffer"):
                sys.stdout.buffer.flush()
    finally:
        if src is not sys.stdin.buffer:
            src.close()
        if dst is not None:
            dst.close()
    if remember_regexes:
        remember_all()  # and those of the lexicons the articles needed, and their rewrites
    return count


@contextlib.contextmanager
def extraction_collections() -> Iterator[None]:
    """The garbage collector as extraction wants it, for the ``with`` block."""
    thresholds = gc.get_threshold()
    # The gazetteer and the compiled lexicons are hundreds of thousands of long-lived objects
    # that every full collection would walk again; per article the extractor makes thousands
    # of short-lived tuples and no reference cycles, so the default gen-0 threshold (700)
    # spends ~10% of the time in collections that free nothing.
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], _GC_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if not frozen_before:
            gc.unfreeze()


def _encode_line(line: str, extractor: Any, default_language: str | None) -> bytes:
    """The output line of one input line, whatever goes wrong with it: the stream keeps one
    line per record, in order, and goes on."""
    from pipeline.extract.record import error_line, extract_line

    try:
        return _encode(extract_line(line, extractor, default_language, encodable=True))
    except Exception as exc:  # noqa: BLE001 - one bad line must not end the batch
        return _encode(error_line(None, f"internal error: {type(exc).__name__}: {exc}"))


def _encode(out: dict[str, Any]) -> bytes:
    """One JSONL output line in UTF-8, non-ASCII unescaped, compact separators.  orjson
    encodes these records ~10x faster than ``json.dumps``."""
    try:
        return orjson.dumps(out, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        # A lone surrogate (a "\\ud800" escape in the input text) is not UTF-8: the line is
        # still written, with the surrogate escaped, so the stream keeps one line per record.
        return (json.dumps(out, default=_plain) + "\n").encode("ascii")


def _plain(obj: Any) -> Any:
    """The contract dict of a result dataclass left in an encodable line."""
    to_dict = getattr(obj, "to_dict", None)
    if to_dict is None:
        raise TypeError(f"{type(obj).__name__} is not JSON serializable")
    return to_dict()
