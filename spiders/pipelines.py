"""Item pipeline: every RawPage the spider yields goes to the raw store, and is counted."""

from __future__ import annotations

from scrapy import Spider
from scrapy.crawler import Crawler

from spiders.rawstore import RawPage


class RawStorePipeline:
    """Writes to the segment the spider was given (``spider.writer``, owned by ``run_crawl``)."""

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RawStorePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider) -> None:
        self.stats.set_value("medradar/segment", str(spider.writer.path))

    def process_item(self, item: RawPage, spider: Spider) -> RawPage:
        spider.writer.write(item)
        self.stats.inc_value("medradar/pages")
        self.stats.inc_value("medradar/bytes", len(item.body))
        if item.ok:
            self.stats.inc_value(f"medradar/fetched/{item.kind}")
        else:
            reason = (item.error or "unknown").split(":")[0]
            self.stats.inc_value("medradar/failed")
            self.stats.inc_value(f"medradar/failed_by_reason/{reason}")
        return item
