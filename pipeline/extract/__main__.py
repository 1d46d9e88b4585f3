"""``python -m pipeline.extract`` = ``parley extract`` without loading the other commands.

``parley``'s entry point imports every area's CLI (Elasticsearch, FastAPI, …); a batch job
that only extracts starts several times faster this way.
"""

import typer

from pipeline.extract.cli import extract

if __name__ == "__main__":
    typer.run(extract)
