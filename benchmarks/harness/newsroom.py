"""A local newsroom on 127.0.0.1: articles published into RSS feeds on a schedule.

Each published article ("story") carries one official statement about talks, unique to the story
(the quote names a meeting number nobody else uses), so that every story must end in exactly one
alert of a subscription on official statements about negotiations.  The rest of the page is a real
article page from a corpus of news pages when one is given (the statement is inserted into its
body), or a generated page otherwise; either way the poller fetches the full HTML and extracts it.

The newsroom records, per story, when it was published (appended to its feed), when a feed
response first listed it (the poll that discovered it) and when its page was first fetched; those
are the first timestamps of the story's journey.  Feeds answer conditional requests (ETag,
Last-Modified) like a real site, so idle polls cost a 304.
"""

from __future__ import annotations

import gzip
import html
import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from xml.sax.saxutils import escape

from ingest.ids import article_id

# Statements that parley's extractor attributes to an official with a "negotiations" trigger;
# ``{n}`` makes each quote (and therefore each statement cluster and alert) unique per story.
STATEMENT_TEMPLATES: tuple[str, ...] = (
    "“Russia remains open to talks on {subject} ahead of meeting number {n},” Kremlin "
    "spokesman Dmitry Peskov told reporters on Monday.",
    "Kremlin spokesman Dmitry Peskov said on Tuesday that Moscow “remains open to talks on "
    "{subject} before meeting number {n}”.",
    "“Kyiv is ready for negotiations on {subject} ahead of meeting number {n},” Ukrainian "
    "Foreign Minister Andrii Sybiha said on Wednesday.",
    "Russian President Vladimir Putin said that Moscow is open to negotiations with Kiev on "
    "{subject} before meeting number {n}.",
)
SUBJECTS: tuple[str, ...] = (
    "the exchange of prisoners",
    "the grain corridor",
    "the Zaporizhzhia nuclear plant",
    "the return of deported children",
    "the safety of shipping in the Black Sea",
)


def statement_for(serial: int, templates: Sequence[str] = STATEMENT_TEMPLATES) -> str:
    template = templates[serial % len(templates)]
    subject = SUBJECTS[(serial // len(templates)) % len(SUBJECTS)]
    return template.format(subject=subject, n=100_000 + serial)


STATEMENT_MARKER = re.compile(r"meeting number \d{6}")


def statement_marker(serial: int) -> str:
    """Text that appears in the story's quote and nowhere else."""
    return f"meeting number {100_000 + serial}"


# -- pages -----------------------------------------------------------------------------------


class PageSource(Protocol):
    """Article pages into which a statement is inserted."""

    name: str

    def __len__(self) -> int: ...

    def render(self, index: int, statement: str) -> bytes: ...


@dataclass(frozen=True)
class _Slot:
    head: str
    tail: str
    wrap: str  # format string with one {} for the (escaped) statement


class CorpusPages:
    """Real article pages (``<sha>.html.gz`` plus ``ground-truth.json`` with each ``articleBody``)
    with the statement inserted at the start of the article body.

    Where the body starts is found from the ground truth; a page where the inserted statement
    does not survive the full extraction chain (``accepts``) is left out rather than counted as a
    loss later: the benchmark measures parley, not how well a page hides a paragraph.
    """

    name = "corpus"

    def __init__(self, directory: Path, accepts: Callable[[bytes, str], bool]) -> None:
        truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
        self.directory = directory
        self.total = len(truth)
        self.slots: list[_Slot] = []
        self.rejected: list[str] = []
        probe = statement_for(0)
        for key in sorted(truth):
            path = directory / f"{key}.html.gz"
            if not path.exists():
                self.rejected.append(key)
                continue
            page = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            chosen = None
            for slot in _candidate_slots(page, str(truth[key].get("articleBody") or "")):
                if accepts(_fill(slot, probe), probe):
                    chosen = slot
                    break
            if chosen is None:
                self.rejected.append(key)
            else:
                self.slots.append(chosen)
        if not self.slots:
            raise ValueError(f"{directory}: no page keeps an inserted statement through extraction")

    def __len__(self) -> int:
        return len(self.slots)

    def render(self, index: int, statement: str) -> bytes:
        return _fill(self.slots[index % len(self.slots)], statement)


def _fill(slot: _Slot, statement: str) -> bytes:
    return (slot.head + slot.wrap.format(html.escape(statement, quote=False)) + slot.tail).encode(
        "utf-8"
    )


def _candidate_slots(page: str, body: str, limit: int = 6) -> Iterator[_Slot]:
    """Places to insert a statement, most plausible first: just before the first words of the
    article body (inside its first paragraph), then before the first ``<p>`` elements."""
    produced = 0
    lines = [line.strip() for line in body.strip().split("\n") if len(line.strip()) > 30][:3]
    for line in lines:
        for size in (50, 30, 18):
            fragment = line[:size]
            spellings = dict.fromkeys(
                (
                    fragment,
                    html.escape(fragment, quote=False),
                    fragment.replace("’", "&rsquo;")
                    .replace("“", "&ldquo;")
                    .replace("”", "&rdquo;"),
                    fragment.replace("’", "&#8217;"),
                    fragment.replace("’", "'"),
                )
            )
            for spelling in spellings:
                # The last occurrence: earlier ones tend to be in <meta> or JSON-LD.
                for match in reversed(list(re.finditer(re.escape(spelling), page))):
                    yield _Slot(page[: match.start()], page[match.start() :], "{} ")
                    produced += 1
                    if produced >= limit:
                        return
    for match in re.finditer(r"<p[\s>]", page):
        yield _Slot(page[: match.start()], page[match.start() :], "<p>{}</p>")
        produced += 1
        if produced >= limit:
            return


# Neutral vocabulary: no speech verbs, roles or talk words, so a generated page holds no
# statement besides the inserted one.
_WORDS = (  # noqa: SIM905 - a word list reads better as one string
    "budget harbour railway regional winter energy supply prices farmers export grain port "
    "village residents repair school hospital bridge power station week month spring capital "
    "market currency river road bakery orchard museum library tram bus weather rain snow "
    "harvest timber festival concert garden stadium ferry canal warehouse factory bicycle"
).split()


class GeneratedPages:
    """Synthetic article pages (header, navigation, 8–14 paragraphs, footer) for machines
    without the corpus: deterministic per index."""

    name = "generated"

    def __init__(self, count: int = 200, seed: int = 7) -> None:
        self.pages: list[tuple[str, str]] = []
        rng = random.Random(seed)
        for i in range(count):
            paragraphs = [
                " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))
                for _ in range(rng.randint(8, 14))
            ]
            title = _sentence(rng).rstrip(".")
            head = (
                '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                f"<title>{html.escape(title)} | Newsroom</title></head><body>"
                '<header><nav><a href="/">Home</a> <a href="/world">World</a> '
                '<a href="/politics">Politics</a> <a href="/business">Business</a></nav>'
                "</header><main><article>"
                f'<h1>{html.escape(title)}</h1><p class="byline">By Staff reporter {i}</p>'
                f"<p>{html.escape(paragraphs[0])}</p>"
            )
            tail = (
                "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs[1:])
                + "</article></main><footer><p>© Newsroom. All rights reserved.</p>"
                '<ul><li><a href="/about">About</a></li><li><a href="/contact">Contact</a>'
                "</li></ul></footer></body></html>"
            )
            self.pages.append((head, tail))

    def __len__(self) -> int:
        return len(self.pages)

    def render(self, index: int, statement: str) -> bytes:
        head, tail = self.pages[index % len(self.pages)]
        return (head + f"<p>{html.escape(statement, quote=False)}</p>" + tail).encode("utf-8")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


# -- stories and feeds ----------------------------------------------------------------------


@dataclass
class Story:
    serial: int
    feed: int
    url: str
    article_id: str
    page: int
    statement: str
    published_at: float
    listed_at: float | None = None  # first feed response that contained it (discovery)
    fetched_at: float | None = None  # first GET of the article page
    fetches: int = 0

    @property
    def marker(self) -> str:
        return statement_marker(self.serial)


@dataclass(frozen=True)
class Phase:
    """Publish ``rate`` articles per second for ``seconds`` (round-robin over the feeds)."""

    rate: float
    seconds: float


@dataclass
class FeedLog:
    requests: int = 0
    not_modified: int = 0
    polls: list[float] = field(default_factory=list)


class Newsroom:
    def __init__(
        self,
        pages: PageSource,
        feeds: int,
        *,
        window: int = 100,
        host: str = "127.0.0.1",
        port: int = 0,
        names: Sequence[str] = (),
    ) -> None:
        """``names``: host names the feeds are published under, in turn (default: ``host``).
        Every name must resolve to ``host``; several names make several "outlets", which
        parley spreads over its poller workers (feeds are assigned by host)."""
        if feeds < 1:
            raise ValueError("at least one feed")
        self.pages = pages
        self.feed_count = feeds
        self.window = window
        self.stories: list[Story] = []
        self._by_feed: list[list[Story]] = [[] for _ in range(feeds)]
        self._by_path: dict[str, Story] = {}
        self.feed_logs = [FeedLog() for _ in range(feeds)]
        self.page_requests = 0
        self._lock = threading.Lock()
        self._schedule_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self.host = host
        self.names = tuple(names) or (host,)
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="newsroom", daemon=True
        )

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def feed_base(self, feed: int) -> str:
        return f"http://{self.names[feed % len(self.names)]}:{self.port}"

    def feed_url(self, feed: int) -> str:
        return f"{self.feed_base(feed)}/feeds/{feed}.xml"

    def start(self) -> Newsroom:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_schedule()
        self.server.shutdown()
        self.server.server_close()

    # -- publishing --------------------------------------------------------------------------

    def publish(self, feed: int | None = None) -> Story:
        with self._lock:
            serial = len(self.stories)
            feed = serial % self.feed_count if feed is None else feed
            path = f"/news/{feed}/{serial}.html"
            url = self.feed_base(feed) + path
            story = Story(
                serial=serial,
                feed=feed,
                url=url,
                article_id=article_id(url),
                page=serial % len(self.pages),
                statement=statement_for(serial),
                published_at=time.time(),
            )
            self.stories.append(story)
            self._by_feed[feed].append(story)
            self._by_path[path] = story
            return story

    def run_schedule(self, phases: Sequence[Phase]) -> threading.Thread:
        """Publish on a fixed timetable in a background thread (``schedule_done`` to wait).
        The timetable is absolute (story k at start + k/rate), so a slow iteration is caught up
        rather than shifting every later story."""

        def publish_all() -> None:
            start = time.monotonic()
            for phase in phases:
                count = round(phase.rate * phase.seconds)
                for k in range(count):
                    due = start + k / phase.rate
                    wait = due - time.monotonic()
                    if wait > 0 and self._stop.wait(wait):
                        return
                    if self._stop.is_set():
                        return
                    self.publish()
                start += phase.seconds

        self._stop.clear()
        self._schedule_thread = threading.Thread(target=publish_all, name="schedule", daemon=True)
        self._schedule_thread.start()
        return self._schedule_thread

    def schedule_done(self, timeout: float | None = None) -> bool:
        thread = self._schedule_thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def stop_schedule(self) -> None:
        self._stop.set()
        self.schedule_done(10)

    def snapshot(self) -> list[Story]:
        with self._lock:
            return list(self.stories)

    # -- serving -----------------------------------------------------------------------------

    def feed_response(self, feed: int, etag: str | None) -> tuple[int, bytes, dict[str, str]]:
        now = time.time()
        with self._lock:
            log = self.feed_logs[feed]
            log.requests += 1
            log.polls.append(now)
            items = self._by_feed[feed][-self.window :]
            tag = f'"{feed}-{items[-1].serial if items else -1}"'
            if etag is not None and etag == tag:
                log.not_modified += 1
                return 304, b"", {"ETag": tag}
            for story in items:
                if story.listed_at is None:
                    story.listed_at = now
        modified = format_datetime(
            datetime.fromtimestamp(items[-1].published_at if items else 0, UTC), usegmt=True
        )
        body = self._rss(feed, list(reversed(items)), modified)
        return (
            200,
            body,
            {
                "ETag": tag,
                "Last-Modified": modified,
                "Content-Type": "application/rss+xml; charset=utf-8",
                "Cache-Control": "no-cache",
            },
        )

    def _rss(self, feed: int, items: Sequence[Story], modified: str) -> bytes:
        parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
            f"<title>Newsroom desk {feed}</title><link>{self.feed_base(feed)}/</link>",
            f"<description>Local newsroom feed {feed}</description>",
            f"<lastBuildDate>{modified}</lastBuildDate>",
        ]
        for story in items:
            pub = format_datetime(datetime.fromtimestamp(story.published_at, UTC), usegmt=True)
            parts.append(
                f"<item><title>Story {story.serial} from desk {feed}</title>"
                f"<link>{escape(story.url)}</link>"
                f'<guid isPermaLink="true">{escape(story.url)}</guid>'
                f"<pubDate>{pub}</pubDate>"
                f"<description>{escape(story.statement[:120])}</description></item>"
            )
        parts.append("</channel></rss>")
        return "".join(parts).encode("utf-8")

    def page_response(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        now = time.time()
        with self._lock:
            self.page_requests += 1
            story = self._by_path.get(path)
            if story is None:
                return 404, b"not found", {"Content-Type": "text/plain"}
            story.fetches += 1
            if story.fetched_at is None:
                story.fetched_at = now
        body = self.pages.render(story.page, story.statement)
        return 200, body, {"Content-Type": "text/html; charset=utf-8"}


_FEED_PATH = re.compile(r"^/feeds/(\d+)\.xml$")


def _handler(newsroom: Newsroom) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            match = _FEED_PATH.match(path)
            if path == "/robots.txt":
                status, body, headers = (
                    200,
                    b"User-agent: *\nAllow: /\n",
                    {"Content-Type": "text/plain"},
                )
            elif match and int(match.group(1)) < newsroom.feed_count:
                status, body, headers = newsroom.feed_response(
                    int(match.group(1)), self.headers.get("If-None-Match")
                )
            elif path.startswith("/news/"):
                status, body, headers = newsroom.page_response(path)
            else:
                status, body, headers = 404, b"not found", {"Content-Type": "text/plain"}
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


# -- the extraction check --------------------------------------------------------------------


def statement_survives(page: bytes, statement: str) -> bool:
    """True when the full chain (page text extraction, then statement extraction) finds the
    statement as an official's quote with a negotiations trigger: what the subscription needs."""
    from ingest.articles import ExtractionError, extract_article
    from ingest.records import ArticleRecord
    from pipeline.processing import statement_extractor

    extractor = _extractor_cache.get("x")
    if extractor is None:
        extractor = _extractor_cache["x"] = statement_extractor()
    try:
        extracted = extract_article(page, url="http://127.0.0.1/check", content_type="text/html")
    except ExtractionError:
        return False
    marker = STATEMENT_MARKER.search(statement)
    assert marker is not None
    record = ArticleRecord(
        id="0" * 32,
        url="http://127.0.0.1/check",
        text=extracted.text,
        language=extracted.language,
        title=extracted.title,
    )
    result = extractor(record)
    for st in result.get("statements") or []:
        quote = str((st.get("quote") or {}).get("text") or "")
        speaker = st.get("speaker") or {}
        categories = {t.get("category") for t in st.get("triggers") or []}
        if marker.group(0) in quote and speaker.get("official") and "negotiations" in categories:
            return True
    return False


_extractor_cache: dict[str, Callable[[Any], Mapping[str, Any]]] = {}


def page_source(corpus: Path | None) -> PageSource:
    """The corpus when it exists, generated pages otherwise."""
    if corpus is not None and (corpus / "ground-truth.json").exists():
        return CorpusPages(corpus, statement_survives)
    return GeneratedPages()
