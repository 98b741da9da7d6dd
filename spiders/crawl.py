"""Run one crawl job in this process and summarise it.

Twisted's reactor cannot be restarted, so each job needs a fresh process: the pipeline
launches ``python -m spiders`` (see ``__main__``) rather than calling this in-process.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from spiders import settings as default_settings
from spiders.feed import FeedSpider
from spiders.job import CrawlJob
from spiders.rawstore import RawStore


@dataclass(frozen=True)
class CrawlStats:
    pages: int = 0
    fetched: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    segment: str | None = None
    finish_reason: str | None = None

    @property
    def articles(self) -> int:
        return self.fetched.get("article", 0)

    def as_dict(self) -> dict:
        return {**asdict(self), "articles": self.articles}


def scrapy_settings(job: CrawlJob) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.setdict(
        {
            "USER_AGENT": job.user_agent,
            "ROBOTSTXT_OBEY": job.obey_robots,
            "CONCURRENT_REQUESTS_PER_DOMAIN": job.concurrency_per_domain,
            "DOWNLOAD_DELAY": job.source.crawl_delay,
            "AUTOTHROTTLE_ENABLED": job.autothrottle,
            "DOWNLOAD_TIMEOUT": job.timeout,
            "CLOSESPIDER_PAGECOUNT": job.page_budget,
            "LOG_FILE": str(job.log_file) if job.log_file else None,
            "LOG_ENABLED": job.log_file is not None,
            "LOG_INSTALL_ROOT_HANDLER": job.log_file is not None,
        },
        priority="cmdline",
    )
    return settings


class CrawlError(RuntimeError):
    """The crawl could not run to its end (as opposed to pages that failed, which are data)."""


def run_crawl(job: CrawlJob) -> CrawlStats:
    if job.log_file:
        job.log_file.parent.mkdir(parents=True, exist_ok=True)
    # Opened here, before Scrapy starts: Scrapy only logs errors raised while opening item
    # pipelines, and a crawl that cannot store what it fetches must fail, loudly.
    with RawStore(job.raw_dir).writer(job.source.id, job.day, job.crawl_id) as writer:
        process = CrawlerProcess(scrapy_settings(job))
        crawler = process.create_crawler(FeedSpider)
        process.crawl(crawler, job=job, writer=writer)
        process.start()
    stats = stats_from_scrapy(crawler.stats.get_stats())
    if stats.finish_reason is None:
        raise CrawlError(f"the crawl of {job.source.id} stopped before finishing; see {job.log_file}")
    return stats


def stats_from_scrapy(stats: dict) -> CrawlStats:
    def prefixed(prefix: str) -> dict[str, int]:
        return {k.removeprefix(prefix): v for k, v in sorted(stats.items()) if k.startswith(prefix)}

    return CrawlStats(
        pages=stats.get("medradar/pages", 0),
        fetched=prefixed("medradar/fetched/"),
        failed=stats.get("medradar/failed", 0),
        failed_by_reason=prefixed("medradar/failed_by_reason/"),
        bytes=stats.get("medradar/bytes", 0),
        segment=stats.get("medradar/segment"),
        finish_reason=stats.get("finish_reason"),
    )
