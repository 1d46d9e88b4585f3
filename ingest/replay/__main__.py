"""``python -m ingest.replay``: serve the demo newsroom (a worker of ``parley up``)."""

from __future__ import annotations

import argparse
import ipaddress
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from ingest.replay.newsroom import Newsroom, ReleaseSchedule
from ingest.replay.server import create_app
from parley.config import get_settings
from parley.logs import get_logger, setup_logging


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ingest.replay", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between releases")
    parser.add_argument("--initial", type=int, default=2, help="articles released at start")
    parser.add_argument("--newsroom", type=Path, help="another newsroom YAML file")
    parser.add_argument(
        "--edition",
        help="published under /articles/EDITION/…: a new edition is a new set of articles",
    )
    args = parser.parse_args(argv)
    # The demo server has no authentication and is only meant for this machine.
    if not ipaddress.ip_address(args.host).is_loopback:
        parser.error(f"--host must be a loopback address, not {args.host}")

    settings = get_settings()
    setup_logging(settings.log.level, settings.log.format)
    newsroom = Newsroom.from_file(args.newsroom) if args.newsroom else Newsroom.bundled()
    schedule = ReleaseSchedule(
        newsroom.articles, datetime.now(UTC), interval=args.interval, initial=args.initial
    )
    get_logger(__name__).info(
        "replay_serving",
        feed=f"http://{args.host}:{args.port}/feed.xml",
        articles=len(newsroom.articles),
        interval=args.interval,
        edition=args.edition,
    )
    app = create_app(newsroom, schedule, edition=args.edition)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
