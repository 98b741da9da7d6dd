"""A crawl job: everything one crawler process needs, passed in as one validated object."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from spiders.sources import Source


class CrawlJob(BaseModel):
    """One crawl of one source, for one day's partition of the raw store."""

    model_config = ConfigDict(extra="forbid")

    source: Source
    raw_dir: Path
    day: date
    crawl_id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    user_agent: str
    obey_robots: bool = True
    concurrency_per_domain: int = Field(default=1, ge=1, le=8)
    autothrottle: bool = True
    page_budget: int = Field(default=500, ge=1, description="pages fetched per run at most")
    timeout: float = Field(default=30.0, gt=0)
    log_file: Path | None = None
