"""The ``ingest`` section of the settings, validated here (``Settings.ingest`` is a free dict).

Durations are seconds, sizes bytes.  Example (YAML)::

    ingest:
      feeds_file: feeds.yaml
      state_dir: /var/lib/parley/ingest
      contact_url: https://example.org/about-our-crawler
      politeness: {per_host_concurrency: 1, per_host_min_delay: 2.0}
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from parley.config import REPO_ROOT, Settings


class PolitenessSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_host_concurrency: int = Field(1, ge=1, description="requests in flight per host")
    per_host_min_delay: float = Field(
        1.0, ge=0, description="seconds between the end of one request and the next, per host"
    )
    respect_robots: bool = Field(True, description="obey robots.txt for article pages")
    robots_cache_ttl: float = Field(24 * 3600, gt=0)


class LimitSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_feed_bytes: int = Field(10 * 1024 * 1024, gt=0, description="decoded feed body limit")
    max_article_bytes: int = Field(5 * 1024 * 1024, gt=0, description="decoded page limit")
    max_robots_bytes: int = Field(512 * 1024, gt=0)
    # A compressed body expanding more than this is a decompression bomb, even under the limit.
    max_compression_ratio: float = Field(200.0, gt=1)
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(20.0, gt=0, description="between two bytes")
    total_timeout: float = Field(60.0, gt=0, description="whole request, body included")
    max_redirects: int = Field(5, ge=0)


class ScheduleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_interval: float = Field(300.0, gt=0, description="default lower bound per feed")
    max_interval: float = Field(6 * 3600.0, gt=0, description="default upper bound per feed")
    initial_interval: float | None = Field(None, gt=0, description="first interval (min)")
    failure_backoff_base: float = Field(60.0, gt=0)
    failure_backoff_max: float = Field(24 * 3600.0, gt=0)
    max_retry_after: float = Field(24 * 3600.0, gt=0, description="cap on a server's Retry-After")
    report_after_failures: int = Field(5, ge=1, description="consecutive failures → failing")
    silent_after: float = Field(14 * 24 * 3600.0, gt=0, description="no new item → silent")
    jitter: float = Field(0.1, ge=0, lt=1, description="± fraction, spreads polls over time")

    @model_validator(mode="after")
    def _bounds(self) -> ScheduleSettings:
        if self.min_interval > self.max_interval:
            raise ValueError("schedule.min_interval must not exceed schedule.max_interval")
        return self


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds_file: Path | None = Field(None, description="YAML feed list (see ingest.feeds)")
    state_dir: Path = REPO_ROOT / "var" / "ingest"
    user_agent: str | None = Field(None, description="default: settings.http.user_agent")
    contact_url: str | None = Field(None, description="appended to the User-Agent")
    # "kafka": workers share the feeds of settings.kafka.topics.feeds through a consumer group;
    # "file": this process polls every feed of feeds_file (one worker, no feeds topic).
    assignment: Literal["kafka", "file"] = "kafka"
    group_id: str = "parley-poller"
    session_timeout_ms: int = Field(10_000, ge=1000)
    heartbeat_interval_ms: int = Field(3_000, ge=100)
    max_concurrent_polls: int = Field(100, ge=1)
    max_concurrent_articles: int = Field(16, ge=1)
    extraction_threads: int = Field(
        2,
        ge=1,
        description="worker threads for blocking work beside the event loop (page extraction, "
        "Kafka sends, dead letters); page extraction and feed scans take one lock per process "
        "(lxml is not safe in several threads at once, see ingest/lxml_lock.py), so more "
        "extraction throughput comes from more poller processes",
    )
    fetch_articles: bool = True
    fast_extraction: bool = Field(
        True,
        description="skip trafilatura's fallback extractors: about 30 % less CPU per page for "
        "a little less text (see benchmarks/extraction.py)",
    )
    page_metadata: Literal["when_missing", "always"] = Field(
        "when_missing",
        description="read title, author and date from the article page (trafilatura, "
        "htmldate): 'always', or only for an entry whose feed lacks its title or date "
        "('when_missing': the feed's own values are kept, and extraction costs about a third "
        "less CPU; the author then comes from the feed alone)",
    )
    # Seen ids older than this are forgotten; feeds drop items long before.
    seen_retention_days: float = Field(180.0, gt=0)
    produce_retry_max: float = Field(30.0, gt=0, description="cap of the produce retry delay")
    shutdown_grace: float = Field(20.0, ge=0, description="seconds to finish polls on SIGTERM")
    politeness: PolitenessSettings = PolitenessSettings()
    limits: LimitSettings = LimitSettings()
    schedule: ScheduleSettings = ScheduleSettings()

    def effective_user_agent(self, settings: Settings) -> str:
        agent = self.user_agent or settings.http.user_agent
        if self.contact_url and self.contact_url not in agent:
            agent = f"{agent} (+{self.contact_url})"
        return agent

    @property
    def state_db(self) -> Path:
        return self.state_dir / "ingest.sqlite3"


def ingest_settings(settings: Settings) -> IngestSettings:
    return IngestSettings.model_validate(settings.ingest)
