"""Run one crawl job in this process and summarise it.

Twisted's reactor cannot be restarted, so each job needs a fresh process: the pipeline
launches ``python -m spiders`` (see ``__main__``) rather than calling this in-process.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings

from spiders import settings as default_settings
from spiders.base import SourceSpider
from spiders.feed import FeedSpider
from spiders.job import CrawlJob
from spiders.listing import ListingSpider
from spiders.pipelines import stored_keys
from spiders.rawstore import RawStore, read_segment
from spiders.sitemap import NewsSitemapSpider
from spiders.sources import Source
from spiders.state import CrawlState

SPIDER_TYPES: dict[str, type[SourceSpider]] = {
    "feed": FeedSpider,
    "sitemap": NewsSitemapSpider,
    "listing": ListingSpider,
}


@dataclass(frozen=True)
class CrawlStats:
    pages: int = 0
    fetched: dict[str, int] = field(default_factory=dict)
    new_articles: int = 0
    not_modified: int = 0
    failed: int = 0
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    deferred_by_reason: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    seconds: float = 0.0
    segment: str | None = None
    finish_reason: str | None = None

    @property
    def articles(self) -> int:
        return self.fetched.get("article", 0)

    def as_dict(self) -> dict:
        return {**asdict(self), "articles": self.articles}


def spider_for(source: Source) -> type[SourceSpider]:
    """The spider type for a source's entry points; several types combine into one spider."""
    types = tuple(SPIDER_TYPES[kind] for kind in source.entry_kinds)
    if len(types) == 1:
        return types[0]
    return type("".join(t.__name__.removesuffix("Spider") for t in types) + "Spider", types,
                {"name": "+".join(t.name for t in types)})


def scrapy_settings(job: CrawlJob) -> Settings:
    limits = job.limits
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.setdict(
        {
            "USER_AGENT": job.user_agent,
            "ROBOTSTXT_OBEY": limits.obey_robots,
            "CONCURRENT_REQUESTS_PER_DOMAIN": limits.concurrency_per_domain,
            # A crawl is one source: its requests all go to one site, so the whole downloader
            # holds no more than that. It also means a request waits for a host's pause
            # (BackoffRetryMiddleware) before it is sent, instead of queueing behind it.
            "CONCURRENT_REQUESTS": limits.concurrency_per_domain,
            "DOWNLOAD_DELAY": job.source.crawl_delay,
            "AUTOTHROTTLE_ENABLED": limits.autothrottle,
            "AUTOTHROTTLE_START_DELAY": max(job.source.crawl_delay, 1.0),
            "DOWNLOAD_TIMEOUT": limits.timeout,
            "DOWNLOAD_MAXSIZE": limits.max_body_bytes,
            "RETRY_TIMES": limits.retry_times,
            "MEDRADAR_RETRY_BACKOFF": limits.retry_backoff,
            "MEDRADAR_RETRY_AFTER_MAX": limits.retry_after_max,
            "MEDRADAR_ROBOTS_CRAWL_DELAY_MAX": limits.robots_crawl_delay_max,
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
    store = RawStore(job.raw_dir)
    # Opened here, before Scrapy starts: Scrapy only logs errors raised while opening item
    # pipelines, and a crawl that cannot store what it fetches must fail, loudly.
    with (
        store.writer(job.source.id, job.day, job.crawl_id) as writer,
        CrawlState(job.state_dir, job.source.id) as state,
    ):
        resume_after_kill(state, job.crawl_id)
        state.start_crawl(job.crawl_id, writer.path)
        process = AsyncCrawlerProcess(scrapy_settings(job))
        crawler = process.create_crawler(spider_for(job.source))
        process.crawl(crawler, job=job, writer=writer, state=state)
        process.start()
        try:
            scrapy_stats = crawler.stats.get_stats()
        except RuntimeError:  # the spider could not even start; Scrapy logged why
            raise CrawlError(f"the crawl of {job.source.id} could not start; see {job.log_file}") from None
        stats = stats_from_scrapy({**scrapy_stats, "medradar/segment": str(writer.path)})
        if stats.finish_reason is None:
            raise CrawlError(f"the crawl of {job.source.id} stopped before finishing; see {job.log_file}")
        state.finish_crawl(job.crawl_id, stats.pages, stats.new_articles)
    return stats


def resume_after_kill(state: CrawlState, crawl_id: str) -> None:
    """Close the gap a killed crawl may leave: pages in its raw-store segment whose memory row
    never said ``stored``. Everything else a killed crawl found is still pending."""
    for crawl in state.unfinished_crawls(other_than=crawl_id):
        if crawl.segment.is_file():
            for page in read_segment(crawl.segment):
                if page.kind == "article" and page.ok:
                    keys = stored_keys(page)
                    state.mark_stored(keys, keys[0], crawl.crawl_id)
        state.close_unfinished(crawl.crawl_id)


def stats_from_scrapy(stats: dict) -> CrawlStats:
    def prefixed(prefix: str) -> dict[str, int]:
        return {k.removeprefix(prefix): v for k, v in sorted(stats.items()) if k.startswith(prefix)}

    return CrawlStats(
        pages=stats.get("medradar/pages", 0),
        fetched=prefixed("medradar/fetched/"),
        new_articles=stats.get("medradar/new_articles", 0),
        not_modified=stats.get("medradar/not_modified", 0),
        failed=stats.get("medradar/failed", 0),
        failed_by_reason=prefixed("medradar/failed_by_reason/"),
        skipped_by_reason=prefixed("medradar/skipped_by_reason/"),
        deferred_by_reason=prefixed("medradar/deferred_by_reason/"),
        bytes=stats.get("medradar/bytes", 0),
        seconds=round(stats.get("elapsed_time_seconds", 0.0), 3),
        segment=stats.get("medradar/segment"),
        finish_reason=stats.get("finish_reason"),
    )
