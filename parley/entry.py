"""The ``parley`` console script.

``parley extract --input … --output …`` is run straight away (``pipeline.extract.batch``):
batch jobs start one process per file or stream, and the full command line (typer, the
configuration model, logging) would add ~0.2 s to each.  Everything else is ``parley.cli``.
"""

from __future__ import annotations

import faulthandler
import sys


def main() -> None:
    # A crash in native code (lxml, numpy, a compiled module) then leaves every thread's Python
    # stack in the worker's log, next to the supervisor's note of the exit signal.
    faulthandler.enable()
    argv = sys.argv[1:]
    if argv[:1] == ["extract"]:
        from pipeline.extract.batch import exit_process, run_from_argv

        status = run_from_argv(argv[1:])
        if status is not None:
            exit_process(status)
    from parley.cli import main as full_main

    full_main()
