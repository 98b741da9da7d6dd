"""A crawl job: everything one crawler process needs, passed in as one validated object."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from spiders.sources import Source


class CrawlLimits(BaseModel):
    """How politely and how far a crawl goes. ``pipeline.config``'s ``crawl`` section extends it."""

    model_config = ConfigDict(extra="forbid")

    obey_robots: bool = True
    concurrency_per_domain: int = Field(default=1, ge=1, le=2, description="requests in flight per host")
    autothrottle: bool = True
    page_budget: int = Field(default=500, ge=1, description="requests per source per run at most (retries aside)")
    timeout: float = Field(default=30.0, gt=0, description="seconds per request")
    max_body_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="a longer response is abandoned (reason too_large)"
    )
    retry_times: int = Field(default=2, ge=0, le=10, description="retries of a 429, 5xx or network error")
    retry_backoff: float = Field(
        default=1.0, ge=0, description="seconds before the first retry; doubled for each next one"
    )
    retry_after_max: float = Field(
        default=600.0, ge=0, description="longest Retry-After pause honoured within a run"
    )
    max_attempts: int = Field(
        default=3, ge=1, description="runs that may fail to fetch an article before it is given up"
    )
    robots_crawl_delay_max: float = Field(
        default=120.0, ge=0,
        description="longest robots.txt Crawl-delay honoured; a host asking for more is left for the run",
    )


class CrawlJob(BaseModel):
    """One crawl of one source, for one day's partition of the raw store."""

    model_config = ConfigDict(extra="forbid")

    source: Source
    raw_dir: Path
    state_dir: Path = Field(description="where the crawler remembers what it has seen, per source")
    day: date
    crawl_id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    user_agent: str
    limits: CrawlLimits = CrawlLimits()
    log_file: Path | None = None
