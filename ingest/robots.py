"""robots.txt for article pages, cached per origin (RFC 9309 semantics).

Feeds are meant to be fetched by programs, so robots.txt is only consulted for article pages.
A 4xx robots.txt means "no rules"; a 5xx or an unreachable one means "stay away" for now.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from ingest.http import Fetcher, FetchError
from parley.logs import get_logger

log = get_logger(__name__)
UNREACHABLE_RETRY = 600.0  # seconds before asking an unreachable robots.txt again


class RobotsPolicy:
    def __init__(
        self, fetcher: Fetcher, *, agent: str, max_bytes: int, ttl: float = 86400.0
    ) -> None:
        self._fetcher = fetcher
        self._agent = agent
        self._max_bytes = max_bytes
        self._ttl = ttl
        self._cache: dict[str, tuple[float, RobotFileParser | bool]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:  # one robots.txt request per origin, however many articles wait
            cached = self._cache.get(origin)
            if cached is None or cached[0] < time.monotonic():
                cached = await self._load(origin)
                self._cache[origin] = cached
        rules = cached[1]
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(self._agent, url)

    async def _load(self, origin: str) -> tuple[float, RobotFileParser | bool]:
        now = time.monotonic()
        try:
            result = await self._fetcher.fetch(
                f"{origin}/robots.txt", max_bytes=self._max_bytes, accept="text/plain"
            )
        except FetchError as exc:
            log.info("robots_unreachable", origin=origin, error=str(exc))
            return now + UNREACHABLE_RETRY, False
        if result.status >= 500:
            return now + UNREACHABLE_RETRY, False
        if result.status >= 400 or result.status in (204, 304):
            return now + self._ttl, True
        parser = RobotFileParser()
        parser.parse(result.body.decode("utf-8", errors="replace").splitlines())
        return now + self._ttl, parser
