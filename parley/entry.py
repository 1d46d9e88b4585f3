"""The ``parley`` console script.

``parley extract --input … --output …`` is run straight away (``pipeline.extract.batch``):
batch jobs start one process per file or stream, and the full command line (typer, the
configuration model, logging) would add ~0.2 s to each.  Everything else is ``parley.cli``.
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["extract"]:
        from pipeline.extract.batch import run_from_argv

        status = run_from_argv(argv[1:])
        if status is not None:
            sys.exit(status)
    from parley.cli import main as full_main

    full_main()
