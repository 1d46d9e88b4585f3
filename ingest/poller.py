"""``FeedPoller``: polls the feeds it is given, produces one article record per new entry.

One poll of a feed: conditional GET → (304 | same body hash | parse) → for each entry whose
article id was never produced: fetch the page (robots.txt, limits), extract the text (or fall back
to the summary), produce to Kafka, and only once Kafka acknowledged it mark the id seen.  The
feed's validators (ETag, Last-Modified, body hash) are stored only when every new entry of the
poll was acknowledged, so an interrupted poll re-reads the same items next time: nothing is lost,
and the seen ids keep the repeats out.

Poison policy (``parley.poison``): a page that cannot be extracted falls back to the feed's
summary; an entry that cannot become a record even then goes to the dead-letter topic
(``entry_unbuildable``) and is marked seen, so it cannot hold its feed back; a bug in one poll
is logged and the feed is polled again later.  No entry and no feed stops the worker.

Feeds come and go at run time (``upsert``/``remove``/``revoke``), driven by the Kafka consumer
group in ``ingest.assignment`` or by the feed file.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import heapq
import itertools
import json
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ingest import metrics
from ingest.articles import ExtractedArticle, ExtractionError, extract_article
from ingest.config import IngestSettings
from ingest.feeds import Feed
from ingest.feedtrim import TrimmedFeed, scan_feed
from ingest.http import (
    FEED_ACCEPT,
    HTML_ACCEPT,
    Fetcher,
    FetchError,
    parse_retry_after,
    safe_url,
)
from ingest.ids import InvalidUrlError, article_id, canonical_url
from ingest.parse import FeedEntry, ParsedFeed, parse_feed
from ingest.producer import ArticleProducer, ProducerStopped, fit_record
from ingest.records import MAX_TEXT_CHARS, ArticleRecord
from ingest.robots import RobotsPolicy
from ingest.schedule import (
    Bounds,
    PublisherHints,
    cache_max_age,
    failure_delay,
    jittered,
    next_interval,
)
from ingest.store import FeedState, IngestStore, StoreWriteError
from parley.deadletter import DeadLetter
from parley.logs import get_logger
from parley.poison import describe

log = get_logger(__name__)


@dataclass
class PollReport:
    feed_id: str
    outcome: str
    new_items: int = 0
    produced: int = 0


class FeedPoller:
    def __init__(
        self,
        config: IngestSettings,
        *,
        store: IngestStore,
        producer: ArticleProducer,
        fetcher: Fetcher,
        robots: RobotsPolicy | None,
        clock: Callable[[], float] = time.time,
        on_moved: Callable[[Feed, int | None], None] | None = None,
        rng: random.Random | None = None,
        dead_letter: Callable[[DeadLetter], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.producer = producer
        self.fetcher = fetcher
        self.robots = robots
        self.clock = clock
        self.on_moved = on_moved
        self.dead_letter = dead_letter
        self.rng = rng or random.Random()
        self.feeds: dict[str, Feed] = {}
        self.partition_of: dict[str, int | None] = {}
        self._due: dict[str, float] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._inflight: dict[str, asyncio.Task[PollReport]] = {}
        self._articles_inflight: dict[str, asyncio.Future[bool]] = {}
        self._article_slots = asyncio.Semaphore(config.max_concurrent_articles)
        # Feed documents are scanned, trimmed and parsed in this one thread: an lxml tree must
        # be changed only in the thread that parsed it.
        self._feed_thread = ThreadPoolExecutor(1, thread_name_prefix="feed-parse")
        self._wake = asyncio.Event()
        self.polls_done = 0

    # -- assignment ----------------------------------------------------------------------------

    def upsert(self, feed: Feed, partition: int | None = None) -> None:
        if not feed.enabled:  # switched off in the feed list
            self.remove(feed.id)
            return
        known = feed.id in self.feeds
        self.feeds[feed.id] = feed
        self.partition_of[feed.id] = partition
        metrics.FEEDS_ASSIGNED.set(len(self.feeds))
        if not known:
            state = self.store.get_state(feed.id)
            if state is not None and state.listed_url != feed.url:
                # The feed list changed the URL: it wins over a remembered redirect.
                state.url = state.listed_url = feed.url
                state.status = "active" if state.status == "disabled" else state.status
                self._save_state(state)
            self._schedule(feed.id, state.next_poll_at if state else self.clock())

    def remove(self, feed_id: str) -> None:
        self.feeds.pop(feed_id, None)
        self.partition_of.pop(feed_id, None)
        self._due.pop(feed_id, None)
        metrics.FEEDS_ASSIGNED.set(len(self.feeds))

    async def revoke(self, partitions: Iterable[int], grace: float = 30.0) -> None:
        """Forget the feeds of ``partitions`` and wait for their polls in flight (cancelled after
        ``grace`` seconds), so that the worker that gets them next never polls a feed at the
        same time as this one.  A cancelled poll stored no validators: it is simply redone."""
        lost = set(partitions)
        ids = [fid for fid, p in self.partition_of.items() if p in lost]
        for fid in ids:
            self.remove(fid)
        pending = [self._inflight[fid] for fid in ids if fid in self._inflight]
        if not pending:
            return
        _done, still = await asyncio.wait(pending, timeout=grace)
        for task in still:
            task.cancel()
        if still:
            await asyncio.wait(still)

    def _schedule(self, feed_id: str, due: float) -> None:
        self._due[feed_id] = due
        heapq.heappush(self._heap, (due, next(self._seq), feed_id))
        self._wake.set()

    # -- main loop -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Poll feeds as they fall due until ``stop`` is set, then let polls in flight finish
        (up to ``shutdown_grace`` seconds)."""
        next_prune = 0.0
        while not stop.is_set():
            if self.clock() >= next_prune:
                self._prune_seen()
                next_prune = self.clock() + 86400.0
            self._start_due_polls()
            delay = 5.0
            if self._heap and len(self._inflight) < self.config.max_concurrent_polls:
                delay = max(0.0, min(delay, self._heap[0][0] - self.clock()))
            self._wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        await self.drain()

    def _prune_seen(self) -> None:
        horizon = self.clock() - self.config.seen_retention_days * 86400.0
        removed = self.store.prune_seen(horizon)
        if removed:
            log.info(
                "seen_ids_pruned", removed=removed, retention_days=self.config.seen_retention_days
            )

    async def drain(self) -> None:
        pending = list(self._inflight.values())
        if not pending:
            return
        _done, still = await asyncio.wait(pending, timeout=self.config.shutdown_grace)
        if still:
            self.producer.stop_retrying()
            for task in still:
                task.cancel()
            await asyncio.wait(still, timeout=5.0)

    async def poll_all_once(self) -> list[PollReport]:
        """One pass over every assigned, enabled feed, whatever its schedule (``--once``)."""
        sem = asyncio.Semaphore(self.config.max_concurrent_polls)

        async def one(feed_id: str) -> PollReport:
            async with sem:
                return await self._tracked_poll(feed_id)

        return list(await asyncio.gather(*(one(fid) for fid in list(self.feeds))))

    def _start_due_polls(self) -> None:
        now = self.clock()
        while self._heap and len(self._inflight) < self.config.max_concurrent_polls:
            due, _seq, feed_id = self._heap[0]
            if due > now:
                break
            heapq.heappop(self._heap)
            if self._due.get(feed_id) != due or feed_id in self._inflight:
                continue  # stale heap entry (rescheduled or removed)
            del self._due[feed_id]
            task = asyncio.create_task(self._tracked_poll(feed_id))
            self._inflight[feed_id] = task

            def finished(_task: asyncio.Task[PollReport], fid: str = feed_id) -> None:
                self._inflight.pop(fid, None)
                self._wake.set()

            task.add_done_callback(finished)

    async def _tracked_poll(self, feed_id: str) -> PollReport:
        feed = self.feeds.get(feed_id)
        if feed is None:
            return PollReport(feed_id, "removed")
        try:
            report = await self.poll_feed(feed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in one poll must not stop the worker
            log.exception("poll_crashed", feed_id=feed_id, url=safe_url(feed.url), error=str(exc))
            metrics.POLLS.labels("internal_error").inc()
            report = PollReport(feed_id, "internal_error")
            if feed_id in self.feeds:
                self._reschedule_after_crash(feed_id, str(exc))
        self.polls_done += 1
        return report

    # -- one feed ------------------------------------------------------------------------------

    def _bounds(self, feed: Feed) -> Bounds:
        sched = self.config.schedule
        low = feed.min_interval or sched.min_interval
        high = max(low, feed.max_interval or sched.max_interval)
        return Bounds(low, high)

    def _new_state(self, feed: Feed) -> FeedState:
        bounds = self._bounds(feed)
        first = bounds.clamp(self.config.schedule.initial_interval or bounds.min_interval)
        return FeedState(feed_id=feed.id, url=feed.url, listed_url=feed.url, interval=first)

    async def poll_feed(self, feed: Feed) -> PollReport:
        state = self.store.get_state(feed.id) or self._new_state(feed)
        if state.status == "disabled":
            return PollReport(feed.id, "disabled")
        now = self.clock()
        state.last_attempt_at = now
        state.polls += 1
        state.first_polled_at = state.first_polled_at or now
        limits = self.config.limits
        try:
            result = await self.fetcher.fetch(
                state.url,
                max_bytes=limits.max_feed_bytes,
                accept=FEED_ACCEPT,
                etag=state.etag,
                last_modified=state.last_modified,
            )
        except FetchError as exc:
            log.warning(
                "feed_fetch_failed",
                feed_id=feed.id,
                url=safe_url(state.url),
                kind=exc.kind,
                error=str(exc),
            )
            return self._after_failure(state, exc.kind, str(exc), None)

        if result.permanent_url and result.permanent_url != state.url:
            log.info(
                "feed_moved",
                feed_id=feed.id,
                old=safe_url(state.url),
                new=safe_url(result.permanent_url),
            )
            state.url = result.permanent_url
            if self.on_moved is not None:
                self.on_moved(
                    feed.model_copy(update={"url": result.permanent_url}),
                    self.partition_of.get(feed.id),
                )

        status = result.status
        hints = PublisherHints(max_age=cache_max_age(result.headers.get("cache-control")))
        if status == 304:
            return self._after_success(state, feed, "not_modified", 0, [], hints)
        if status == 410:
            state.status = "disabled"
            state.last_outcome = "gone"
            state.last_error = "410 Gone: feed disabled"
            self._save_state(state)
            metrics.POLLS.labels("gone").inc()
            metrics.FEED_REPORTS.labels("disabled").inc()
            log.warning(
                "feed_disabled", feed_id=feed.id, url=safe_url(state.url), reason="410 Gone"
            )
            return PollReport(feed.id, "gone")
        if status in (429, 503):
            retry_after = parse_retry_after(result.headers.get("retry-after"))
            return self._after_failure(state, f"http_{status}", f"HTTP {status}", retry_after)
        if status != 200:
            return self._after_failure(state, f"http_{status}", f"HTTP {status}", None)

        body_hash = hashlib.sha256(result.body).hexdigest()
        if body_hash == state.body_hash:
            # Same bytes under a new ETag (or no validators at all): nothing to parse.
            self._remember_validators(state, result.headers, body_hash)
            return self._after_success(state, feed, "unchanged", 0, [], hints)

        # Items produced before are dropped before feedparser runs (see ingest.feedtrim).
        loop = asyncio.get_running_loop()
        scan = await loop.run_in_executor(self._feed_thread, scan_feed, result.body, result.url)
        ids = scan.ids
        known = self.store.seen(ids) if ids else set()

        def parse() -> tuple[ParsedFeed, TrimmedFeed]:
            trimmed = scan.without(known)
            content_type = result.headers.get("content-type")
            return parse_feed(trimmed.body, url=result.url, content_type=content_type), trimmed

        parsed, trimmed = await loop.run_in_executor(self._feed_thread, parse)
        if not parsed.is_feed:
            log.warning(
                "not_a_feed",
                feed_id=feed.id,
                url=safe_url(state.url),
                reason=parsed.bozo,
                content_type=result.headers.get("content-type"),
            )
            return self._after_failure(state, "not_a_feed", parsed.bozo or "no feed found", None)
        if parsed.bozo:
            log.info(
                "feed_ill_formed",
                feed_id=feed.id,
                url=safe_url(state.url),
                reason=parsed.bozo,
                entries=len(parsed.entries),
            )
        state.title = parsed.title or state.title
        hints = PublisherHints(
            ttl=parsed.hints.ttl, update_period=parsed.hints.update_period, max_age=hints.max_age
        )
        new_items, complete = await self._deliver_entries(feed, parsed)
        if complete:
            self._remember_validators(state, result.headers, body_hash)
        published = [e.published.timestamp() for e in parsed.entries if e.published]
        published += trimmed.dropped_dates
        report = self._after_success(state, feed, "200", new_items, published, hints)
        report.produced = new_items
        return report

    def _remember_validators(self, state: FeedState, headers: Any, body_hash: str) -> None:
        state.etag = headers.get("etag")
        state.last_modified = headers.get("last-modified")
        state.body_hash = body_hash

    def _after_success(
        self,
        state: FeedState,
        feed: Feed,
        outcome: str,
        new_items: int,
        published: list[float],
        hints: PublisherHints,
    ) -> PollReport:
        now = self.clock()
        metrics.POLLS.labels(outcome).inc()
        state.consecutive_failures = 0
        state.last_success_at = now
        state.last_outcome = outcome
        state.last_error = None
        if new_items:
            state.items_seen += new_items
            state.last_new_item_at = now
        state.interval = next_interval(
            state.interval,
            self._bounds(feed),
            new_items=new_items,
            published=published,
            hints=hints,
        )
        silent_since = state.last_new_item_at or state.first_polled_at or now
        silent = now - silent_since > self.config.schedule.silent_after
        if silent and state.status != "silent":
            log.warning(
                "feed_silent",
                feed_id=feed.id,
                url=safe_url(state.url),
                days=round((now - silent_since) / 86400, 1),
            )
            metrics.FEED_REPORTS.labels("silent").inc()
        state.status = "silent" if silent else "active"
        self._reschedule(
            state, now + jittered(state.interval, self.config.schedule.jitter, self.rng)
        )
        return PollReport(feed.id, outcome, new_items=new_items)

    def _after_failure(
        self, state: FeedState, kind: str, error: str, retry_after: float | None
    ) -> PollReport:
        now = self.clock()
        sched = self.config.schedule
        metrics.POLLS.labels(kind).inc()
        state.consecutive_failures += 1
        state.last_outcome = kind
        state.last_error = error[:500]
        delay = failure_delay(
            state.consecutive_failures,
            base=max(sched.failure_backoff_base, state.interval if retry_after is None else 0),
            cap=sched.failure_backoff_max,
            retry_after=retry_after,
            max_retry_after=sched.max_retry_after,
        )
        if retry_after is None:
            delay = jittered(delay, sched.jitter, self.rng)
        if state.consecutive_failures >= sched.report_after_failures and state.status != "failing":
            log.error(
                "feed_failing",
                feed_id=state.feed_id,
                url=safe_url(state.url),
                failures=state.consecutive_failures,
                last_error=state.last_error,
            )
            metrics.FEED_REPORTS.labels("failing").inc()
        if state.consecutive_failures >= sched.report_after_failures:
            state.status = "failing"
        self._reschedule(state, now + delay)
        return PollReport(state.feed_id, kind)

    def _reschedule(self, state: FeedState, due: float) -> None:
        state.next_poll_at = due
        # Scheduled in memory first: a feed must keep being polled even when its state cannot
        # be written (disk full), or its new items would wait for a restart.
        if state.feed_id in self.feeds and state.status != "disabled":
            self._schedule(state.feed_id, due)
        self._save_state(state)

    def _save_state(self, state: FeedState) -> None:
        try:
            self.store.save_state(state)
        except StoreWriteError as exc:
            metrics.STORE_WRITE_ERRORS.labels("feed_state").inc()
            log.error("feed_state_not_saved", feed_id=state.feed_id, error=str(exc))

    def _reschedule_after_crash(self, feed_id: str, error: str) -> None:
        try:
            state = self.store.get_state(feed_id)
        except sqlite3.Error as exc:  # the store itself is broken: retry from memory alone
            log.error("feed_state_unreadable", feed_id=feed_id, error=str(exc))
            state = None
        if state is None:
            feed = self.feeds[feed_id]
            state = self._new_state(feed)
        self._after_failure(state, "internal_error", error, None)

    # -- entries → articles --------------------------------------------------------------------

    async def _deliver_entries(self, feed: Feed, parsed: ParsedFeed) -> tuple[int, bool]:
        """Produce every entry not seen before; returns (produced, all acknowledged)."""
        candidates: dict[str, FeedEntry] = {}
        for entry in parsed.entries:
            if not entry.link:
                metrics.ENTRIES_SKIPPED.labels("no_link").inc()
                log.info("entry_without_link", feed_id=feed.id, guid=entry.guid, title=entry.title)
                continue
            try:
                aid = article_id(entry.link)
            except InvalidUrlError as exc:
                metrics.ENTRIES_SKIPPED.labels("invalid_url").inc()
                log.info(
                    "entry_invalid_url", feed_id=feed.id, link=safe_url(entry.link), error=str(exc)
                )
                continue
            candidates.setdefault(aid, entry)
        if not candidates:
            return 0, True
        seen = self.store.seen(list(candidates))
        fresh = [(aid, e) for aid, e in candidates.items() if aid not in seen]
        results = await asyncio.gather(
            *(self._deliver_once(aid, entry, feed, parsed) for aid, entry in fresh)
        )
        produced = sum(1 for r in results if r in ("produced", "unmarked"))
        return produced, all(r in ("produced", "shared", "dead_lettered") for r in results)

    async def _deliver_once(
        self, aid: str, entry: FeedEntry, feed: Feed, parsed: ParsedFeed
    ) -> str:
        """Outcome: "produced", "unmarked" (produced, but the seen id could not be saved),
        "shared" (another feed delivered it), "dead_lettered" or "failed"."""
        other = self._articles_inflight.get(aid)
        if other is not None:  # the same article in another feed: fetched once
            return "shared" if await asyncio.shield(other) else "failed"
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._articles_inflight[aid] = done
        ok = False
        try:
            async with self._article_slots:
                if self.store.seen([aid]):  # delivered by another feed meanwhile
                    ok = True
                    return "shared"
                try:
                    record = await self._build_record(aid, entry, feed, parsed)
                except Exception as exc:  # one bad page must not lose the item: summary instead
                    log.exception("article_build_failed", article_id=aid, url=safe_url(entry.link))
                    try:
                        record = await self._build_record(
                            aid, entry, feed, parsed, failure=f"internal_error: {exc}"
                        )
                    except Exception as again:  # noqa: BLE001 - not even the summary: poison
                        await self._entry_poisoned(aid, entry, feed, again)
                        ok = True
                        return "dead_lettered"
                await self.producer.send(aid, fit_record(record))
                metrics.ARTICLES_PRODUCED.inc()
                ok = True
                try:
                    self.store.mark_seen(aid, feed.id)
                except StoreWriteError as exc:
                    # In Kafka but not remembered: the feed keeps its old validators, so the
                    # entry is read again and produced once more (same id, same document).
                    metrics.STORE_WRITE_ERRORS.labels("seen").inc()
                    log.error("seen_id_not_saved", article_id=aid, error=str(exc))
                    return "unmarked"
                return "produced"
        except ProducerStopped:
            log.warning("article_not_acknowledged", article_id=aid, url=safe_url(entry.link))
            return "failed"
        finally:
            done.set_result(ok)
            self._articles_inflight.pop(aid, None)

    async def _entry_poisoned(self, aid: str, entry: FeedEntry, feed: Feed, exc: Exception) -> None:
        """Dead-letter an entry that cannot become a record, then mark it seen."""
        log.error("entry_dead_lettered", article_id=aid, feed_id=feed.id, error=describe(exc))
        if self.dead_letter is not None:
            payload = json.dumps(dataclasses.asdict(entry), default=str).encode("utf-8")
            letter = DeadLetter.from_error(
                worker="poller",
                reason="entry_unbuildable",
                error=exc,
                payload=payload,
                source_key=aid,
                context={"feed_id": feed.id, "feed_url": safe_url(feed.url)},
            )
            await asyncio.to_thread(self.dead_letter, letter)
        metrics.DEAD_LETTERS.labels("entry_unbuildable").inc()
        try:
            self.store.mark_seen(aid, feed.id)
        except StoreWriteError as error:
            metrics.STORE_WRITE_ERRORS.labels("seen").inc()
            log.error("seen_id_not_saved", article_id=aid, error=str(error))

    async def _build_record(
        self,
        aid: str,
        entry: FeedEntry,
        feed: Feed,
        parsed: ParsedFeed,
        failure: str | None = None,
    ) -> ArticleRecord:
        """The record of one entry; ``failure`` skips the page and says why."""
        assert entry.link is not None
        extracted: ExtractedArticle | None = None
        error: str | None = failure
        if failure is None and not self.config.fetch_articles:
            error = "article_fetch_disabled"
        elif failure is None:
            try:
                extracted = await self._fetch_article(
                    entry.link, with_metadata=self._needs_page_metadata(entry)
                )
            except ExtractionError as exc:
                error = str(exc)
                metrics.EXTRACTION_FAILURES.labels(exc.reason).inc()
                log.info(
                    "extraction_failed", article_id=aid, url=safe_url(entry.link), reason=error
                )
        tags = list(dict.fromkeys([*feed.tags, *entry.tags]))
        now = datetime.now(UTC)
        text = extracted.text if extracted else (entry.summary or entry.title or "")
        truncated = len(text) > MAX_TEXT_CHARS
        return ArticleRecord(
            id=aid,
            url=canonical_url(entry.link),
            original_url=entry.link,
            title=(extracted.title if extracted else None) or entry.title,
            text=text[:MAX_TEXT_CHARS],
            text_truncated=True if truncated else None,
            summary=entry.summary,
            author=(extracted.author if extracted else None) or entry.author,
            language=(extracted.language if extracted else None) or entry.language or feed.language,
            published_at=entry.published or (extracted.published if extracted else None),
            fetched_at=now,
            text_source="article" if extracted else "feed_summary",
            text_error=error,
            feed_id=feed.id,
            feed_url=feed.url,
            outlet=feed.outlet or parsed.title,
            country=feed.country,
            tags=tags,
            seen_at=now,
        )

    def _needs_page_metadata(self, entry: FeedEntry) -> bool:
        # Reading title, author and date from the page costs about a third of the extraction;
        # a feed entry that has its title and date needs none of it (the page's author is
        # then not read: feeds often name none).
        return self.config.page_metadata == "always" or not (entry.title and entry.published)

    async def _fetch_article(self, url: str, *, with_metadata: bool = True) -> ExtractedArticle:
        if self.robots is not None and not await self.robots.allowed(url):
            raise ExtractionError("robots_disallowed", "robots.txt disallows this page")
        try:
            result = await self.fetcher.fetch(
                url, max_bytes=self.config.limits.max_article_bytes, accept=HTML_ACCEPT
            )
        except FetchError as exc:
            raise ExtractionError(f"fetch_{exc.kind}", str(exc)) from exc
        if result.status != 200:
            raise ExtractionError(f"http_{result.status}", f"article page answered {result.status}")
        return await _run_extraction(
            extract_article,
            result.body,
            url=result.url,
            content_type=result.headers.get("content-type"),
            fast=self.config.fast_extraction,
            with_metadata=with_metadata,
        )


async def _run_extraction(
    func: Callable[..., ExtractedArticle], body: bytes, **kwargs: Any
) -> ExtractedArticle:
    # trafilatura is CPU-bound: a thread keeps the event loop (timeouts, other polls) responsive.
    result: Awaitable[ExtractedArticle] = asyncio.to_thread(func, body, **kwargs)
    return await result
