"""The replay HTTP server: ``/feed.xml`` (RSS 2.0), ``/articles/<slug>``, ``/robots.txt``.

Articles that are not yet released answer 404, exactly as an unpublished URL would.  The feed
supports ``If-None-Match`` so that pollers using conditional requests see 304 between releases.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from ingest.replay.newsroom import (
    Newsroom,
    ReleaseSchedule,
    article_path,
    feed_etag,
    render_article,
    render_feed,
)
from parley.logs import get_logger

log = get_logger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(
    newsroom: Newsroom,
    schedule: ReleaseSchedule,
    *,
    clock: Callable[[], datetime] = _utcnow,
    announce_releases: bool = True,
    edition: str | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_announce(schedule, clock)) if announce_releases else None
        yield
        if task is not None:
            task.cancel()

    app = FastAPI(title="parley replay", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.get("/feed.xml")
    def feed(request: Request) -> Response:
        releases = schedule.released(clock())
        etag = feed_etag(releases)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        body = render_feed(newsroom, releases, str(request.base_url), edition)
        return Response(body, media_type="application/rss+xml; charset=utf-8", headers=headers)

    def page(slug: str) -> Response:
        release = schedule.release_of(slug, clock())
        if release is None:
            return PlainTextResponse("not found", status_code=404)
        return HTMLResponse(render_article(newsroom, release))

    if edition:

        @app.get("/articles/{article_edition}/{slug}", response_class=HTMLResponse)
        def edition_article(article_edition: str, slug: str) -> Response:
            if article_edition != edition:
                return PlainTextResponse("not found", status_code=404)
            return page(slug)

    else:

        @app.get("/articles/{slug}", response_class=HTMLResponse)
        def article(slug: str) -> Response:
            return page(slug)

    @app.get("/robots.txt", response_class=PlainTextResponse)
    def robots() -> str:
        return "User-agent: *\nAllow: /\n"

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        now = clock()
        return {
            "released": len(schedule.released(now)),
            "total": len(schedule.articles),
            "finished": now >= schedule.finished_at(),
        }

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        links = "".join(
            f'<li><a href="{article_path(r.article.slug, edition)}">{r.article.title}</a></li>'
            for r in schedule.released(clock())
        )
        return f'<html><body><a href="/feed.xml">feed</a><ul>{links}</ul></body></html>'

    return app


async def _announce(schedule: ReleaseSchedule, clock: Callable[[], datetime]) -> None:
    """Log each release when it happens, so the worker's log shows the stream going on."""
    for index, article in enumerate(schedule.articles):
        wait = (schedule.released_at(index) - clock()).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)
        log.info(
            "article_released",
            slug=article.slug,
            language=article.language,
            number=index + 1,
            total=len(schedule.articles),
        )
