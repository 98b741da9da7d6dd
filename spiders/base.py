"""What every spider type shares: from links found on a feed, sitemap or listing to stored
article pages, fetching each article once, within the run's limits, and recording why for
every link not fetched and every fetch that failed.

A spider type (``FeedSpider``, ``NewsSitemapSpider``, ``ListingSpider``) adds its entry
points by overriding ``entry_requests`` and calling ``super()``, so a source with feeds and
listings is crawled by one spider combining both (see ``spider_for``): one robots.txt, one
page budget, one memory of what was seen.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response, TextResponse
from twisted.python.failure import Failure

from spiders.job import CrawlJob
from spiders.pages import failed_page, ignored_reason, page_from_failure, page_from_response
from spiders.pipelines import PageRecorder
from spiders.rawstore import PageKind, RawPage, SegmentWriter
from spiders.sources import on_domains
from spiders.state import CrawlState, Link, LinkDecision
from spiders.urls import MAX_URL_LENGTH, absolute_url, canonical_url

# Index pages (feeds, sitemaps, listings) go before articles: they decide what is fetched.
INDEX_PRIORITY = 10
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class SourceSpider(scrapy.Spider):
    name = "source"
    # Every status reaches a callback, so 404s and 500s are stored with their reason.
    custom_settings: ClassVar[dict[str, Any]] = {"HTTPERROR_ALLOW_ALL": True}

    def __init__(self, job: CrawlJob, writer: SegmentWriter, state: CrawlState, **kwargs: Any):
        super().__init__(**kwargs)
        self.job = job
        self.source = job.source
        self.writer = writer
        self.state = state
        self.allowed_domains = job.source.domains
        self.article_pattern = re.compile(job.source.article_pattern) if job.source.article_pattern else None
        self.pages_left = job.limits.page_budget
        self.articles_left = job.source.max_new_articles
        self.queued: set[str] = set()  # canonical URLs of articles requested in this run
        self.indexes_requested: set[str] = set()  # and of feeds, sitemaps and listing pages
        self.recorder: PageRecorder

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.recorder = PageRecorder(spider.writer, spider.state, crawler, spider.job.limits.max_attempts)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.request_scheduled, signal=signals.request_scheduled)
        return spider

    # -- entry points ------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Articles found by earlier runs and not stored yet: a killed crawl resumes here. They
        # are requested after the index pages, which get the page budget first.
        earlier = self.state.pending()
        for request in self.entry_requests():
            yield request
        for known in earlier:
            if known.key not in self.queued and (request := self._article_request(known.key, known.found_on)):
                yield request

    def entry_requests(self) -> Iterator[scrapy.Request]:
        """The index pages to start from; each spider type adds its own (cooperatively)."""
        return iter(())

    def index_requests(self, urls: list[Any], kind: PageKind, callback: Any, **meta: Any) -> Iterator[scrapy.Request]:
        for url in urls:
            if request := self.index_request(str(url), kind, callback, **meta):
                yield request

    def index_request(self, url: str, kind: PageKind, callback: Any, found_on: str | None = None,
                      conditional: bool = True, **meta: Any) -> scrapy.Request | None:
        """A request for a feed, sitemap or listing page, or None when the budget is spent."""
        if not self._spend_page(url, found_on):
            return None
        self.indexes_requested.add(canonical_url(url) or url)
        headers = self.state.validators(url) if conditional else {}
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.failed,
            headers=headers,
            priority=INDEX_PRIORITY,
            meta={"medradar_kind": kind, "medradar_found_on": found_on, **meta},
        )

    # -- links -------------------------------------------------------------------------

    def follow_links(self, links: list[str], response: Response) -> Iterator[scrapy.Request]:
        """Decide about each article link of an index page. The decisions and the page's
        validators are committed together: a 304 next time can only mean nothing new."""
        with self.state.batch():
            requests = [request for link in links if (request := self.follow(link, response.url))]
            self.remember_validators(response)
        yield from requests

    def follow_index(self, link: str, found_on: str, kind: PageKind, callback: Any,
                     conditional: bool = True, **meta: Any) -> scrapy.Request | None:
        """A request for an index page linked from another (a child sitemap, a next listing page)."""
        key = self._on_site(link, found_on)
        if key is None:
            return None
        if key in self.indexes_requested:
            return self.decide(key, found_on, "skipped", "duplicate")
        return self.index_request(key, kind, callback, found_on, conditional, **meta)

    def follow(self, link: str, found_on: str) -> scrapy.Request | None:
        """A request for the article at ``link``, or None with the reason logged."""
        key = self._on_site(link, found_on)
        if key is None:
            return None
        if self.article_pattern and not self.article_pattern.search(key):
            return self.decide(key, found_on, "skipped", "not_article")
        if key in self.queued:
            return self.decide(key, found_on, "skipped", "duplicate")
        known = self.state.get(key)
        if known is not None and known.state == "stored":
            return self.decide(key, found_on, "skipped", "seen")
        if known is not None and known.state in ("failed", "gave_up"):
            return self.decide(key, found_on, "skipped", f"{known.state}_before")
        self.state.add_pending(key, key, found_on, self.job.crawl_id)
        return self._article_request(key, found_on)

    def _on_site(self, link: str, found_on: str) -> str | None:
        """The canonical URL of ``link`` when it is a valid URL on the site; else None, logged."""
        url = absolute_url(link, found_on)
        key = canonical_url(url) if url else None
        if key is None:
            return self.decide(link.strip()[:MAX_URL_LENGTH] or "(empty link)", found_on, "skipped", "invalid_url")
        if not on_domains(key, self.allowed_domains):
            return self.decide(key, found_on, "skipped", "off_domain")
        return key

    def decide(self, url: str, found_on: str | None, decision: LinkDecision, reason: str | None) -> None:
        self.state.log_link(self.job.crawl_id, Link(url, found_on, decision, reason))
        if decision != "queued":
            self.crawler.stats.inc_value(f"medradar/{decision}_by_reason/{reason}")

    def _article_request(self, key: str, found_on: str | None) -> scrapy.Request | None:
        if self.articles_left <= 0:
            return self.decide(key, found_on, "deferred", "max_new_articles")
        if not self._spend_page(key, found_on):
            return None
        self.articles_left -= 1
        self.queued.add(key)
        self.decide(key, found_on, "queued", None)
        return scrapy.Request(
            key,
            callback=self.parse_article,
            errback=self.failed,
            meta={"medradar_kind": "article", "medradar_found_on": found_on},
        )

    def _spend_page(self, url: str, found_on: str | None) -> bool:
        if self.pages_left <= 0:
            self.decide(url, found_on, "deferred", "page_budget")
            return False
        self.pages_left -= 1
        return True

    # -- pages -------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[RawPage]:
        page = self.page(response)
        if page.ok:
            content_type = (page.header("content-type") or "").split(";")[0].strip().lower()
            html = content_type in _HTML_TYPES or (not content_type and isinstance(response, HtmlResponse))
            if not html:
                page.error = f"not_html: {content_type or 'unknown content type'}"
            else:
                page.canonical_url = self._declared_canonical(response) or canonical_url(response.url)
        yield page

    def page(self, response: Response) -> RawPage:
        return page_from_response(response, response.meta["medradar_kind"], self.source.id, self.job.crawl_id)

    def remember_validators(self, response: Response) -> None:
        """Keep the ETag/Last-Modified of an index page, once what it linked to is recorded."""
        etag = response.headers.get(b"ETag")
        modified = response.headers.get(b"Last-Modified")
        self.state.remember_validators(
            response.request.url if response.request else response.url,
            etag.decode("latin-1") if etag else None,
            modified.decode("latin-1") if modified else None,
        )

    def failed(self, failure: Failure) -> Iterator[RawPage]:
        kind = failure.request.meta.get("medradar_kind", "article")
        yield page_from_failure(failure, kind, self.source.id, self.job.crawl_id, self.allowed_domains)

    # Scrapy drops some requests while scheduling them, without calling their errback: a
    # redirect off the site (its OffsiteMiddleware, on request_scheduled) and a redirect back to
    # a URL already fetched (the duplicate filter, then request_dropped). Both are recorded here.

    def request_scheduled(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
        # Links are checked before they are requested, so a request off the site is a redirect.
        if "medradar_kind" in request.meta and not on_domains(request.url, self.allowed_domains):
            self._record_dropped(request, f"redirected to {request.url}, off the allowed domains")

    def request_dropped(self, request: scrapy.Request, spider: scrapy.Spider | None = None) -> None:
        if "medradar_kind" in request.meta:
            self._record_dropped(request, "dropped by the scheduler")

    def _record_dropped(self, request: scrapy.Request, detail: str) -> None:
        reason = ignored_reason(request, detail, self.allowed_domains)
        kind = request.meta["medradar_kind"]
        self.recorder.record(failed_page(request, kind, self.source.id, self.job.crawl_id, f"{reason}: {detail}"))

    def _declared_canonical(self, response: Response) -> str | None:
        """The page's rel=canonical, when it is a valid URL on the site."""
        if not isinstance(response, TextResponse):
            return None
        href = response.css('link[rel~="canonical"]::attr(href)').get()
        url = absolute_url(href, response.url) if href else None
        key = canonical_url(url) if url else None
        return key if key and on_domains(key, self.allowed_domains) else None
