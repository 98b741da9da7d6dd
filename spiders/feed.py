"""The feed spider: read a source's RSS/Atom feeds and fetch the articles they link to."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import feedparser
import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from spiders.job import CrawlJob
from spiders.pages import page_from_failure, page_from_response
from spiders.rawstore import PageKind, RawPage, SegmentWriter


class FeedSpider(scrapy.Spider):
    name = "feed"
    # Every status reaches a callback, so 404s and 500s are stored with their reason.
    custom_settings = {"HTTPERROR_ALLOW_ALL": True}

    def __init__(self, job: CrawlJob, writer: SegmentWriter, **kwargs: Any):
        super().__init__(**kwargs)
        self.job = job
        self.writer = writer
        self.allowed_domains = job.source.domains
        self.articles_requested = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.job.source.feeds:
            yield self._request(str(url), "feed", self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[RawPage | scrapy.Request]:
        page = self._page(response, "feed")
        yield page
        if not page.ok:
            return
        # feedparser resolves relative links against the feed's own URL given here.
        feed = feedparser.parse(
            response.body,
            response_headers={
                "content-location": response.url,
                "content-type": response.headers.get("Content-Type", b"").decode("latin-1"),
            },
        )
        for entry in feed.entries:
            link = entry.get("link")
            if not link:
                continue
            if self.articles_requested >= self.job.source.max_new_articles:
                break
            self.articles_requested += 1
            yield self._request(response.urljoin(link), "article", self.parse_article)

    def parse_article(self, response: Response) -> Iterator[RawPage]:
        yield self._page(response, "article")

    def _request(self, url: str, kind: PageKind, callback: Any) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self._failed,
            meta={"medradar_kind": kind},
        )

    def _page(self, response: Response, kind: PageKind) -> RawPage:
        return page_from_response(response, kind, self.job.source.id, self.job.crawl_id)

    def _failed(self, failure: Failure) -> Iterator[RawPage]:
        kind = failure.request.meta.get("medradar_kind", "article")
        yield page_from_failure(failure, kind, self.job.source.id, self.job.crawl_id)
