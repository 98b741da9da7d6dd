"""Where every RawPage ends up: the raw store first, then the crawl memory, then the counts.

The order matters for a crawl killed mid-way: a page is in the raw store before the memory
says it is stored, never the other way round (``CrawlState`` closes the gap on the next run).
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from spiders.pages import is_permanent
from spiders.rawstore import RawPage, SegmentWriter
from spiders.state import CrawlState
from spiders.urls import canonical_url


class PageRecorder:
    """Writes pages to one raw-store segment and keeps the crawl memory and stats in step."""

    def __init__(self, writer: SegmentWriter, state: CrawlState, crawler: Crawler, max_attempts: int):
        self.writer = writer
        self.state = state
        self.crawler = crawler
        self.max_attempts = max_attempts

    @property
    def stats(self) -> StatsCollector:
        return self.crawler.stats  # type: ignore[return-value] - set once the crawl starts

    def record(self, page: RawPage) -> None:
        """Store ``page`` and remember what became of it."""
        self.writer.write(page)
        self.stats.inc_value("medradar/pages")
        self.stats.inc_value("medradar/bytes", len(page.body))
        if page.ok:
            self.stats.inc_value(f"medradar/fetched/{page.kind}")
        elif page.not_modified:
            self.stats.inc_value("medradar/not_modified")
        else:
            self.stats.inc_value("medradar/failed")
            self.stats.inc_value(f"medradar/failed_by_reason/{page.reason}")
        if page.kind == "article":
            self._remember(page)

    def _remember(self, page: RawPage) -> None:
        keys = stored_keys(page)
        key = keys[0]
        if page.ok:
            before = self.state.get(key)
            self.state.mark_stored(keys, key, page.crawl_id)
            if before is None or before.state != "stored":
                self.stats.inc_value("medradar/new_articles")
        else:
            reason = page.reason or f"http_{page.status}"
            self.state.mark_failed(key, key, reason, is_permanent(reason), self.max_attempts, page.crawl_id)


def stored_keys(page: RawPage) -> list[str]:
    """The canonical URLs an article page is known by: the one it was requested under
    (articles are requested by their canonical URL) first, then its final URL and its
    rel=canonical."""
    keys = [canonical_url(page.request_url) or page.request_url, canonical_url(page.url), page.canonical_url]
    return list(dict.fromkeys(key for key in keys if key))


class RawStorePipeline:
    """Scrapy's item pipeline, handing each page to the spider's recorder."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RawStorePipeline:
        return cls(crawler)

    def process_item(self, item: RawPage) -> RawPage:
        self.crawler.spider.recorder.record(item)  # type: ignore[union-attr]
        return item
