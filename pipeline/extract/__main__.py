"""``python -m pipeline.extract`` = ``parley extract`` without the other commands."""

import sys

from pipeline.extract.batch import exit_process, run_from_argv

if __name__ == "__main__":
    status = run_from_argv(sys.argv[1:])
    if status is not None:
        exit_process(status)
    import typer

    from pipeline.extract.cli import extract

    typer.run(extract)
