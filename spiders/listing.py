"""The listing spider: an outlet's news list pages, their article links, and their next pages.

Article links are what the source's ``link_css`` or ``link_xpath`` selects (elements with an
``href``, or attribute/text values); the next page is what ``next_css``/``next_xpath``
selects, followed up to ``max_pages`` pages per listing. A listing page on which the link
selector matches nothing is recorded with ``no_links``: the outlet's layout probably changed.
Only a listing's first page is requested conditionally: if it has not changed, nothing behind
it has either.
"""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from parsel import Selector, SelectorList
from scrapy.http import Response, TextResponse

from spiders.base import SourceSpider
from spiders.rawstore import RawPage
from spiders.sources import Source
from spiders.urls import absolute_url, canonical_url


class ListingSpider(SourceSpider):
    name = "listing"

    def entry_requests(self) -> Iterator[scrapy.Request]:
        yield from self.index_requests(self.source.listings, "listing", self.parse_listing, listing_page=1)
        yield from super().entry_requests()

    def parse_listing(self, response: Response) -> Iterator[RawPage | scrapy.Request]:
        page = self.page(response)
        if not page.ok:
            yield page
            return
        links = listing_links(response, self.source) if isinstance(response, TextResponse) else []
        if not links:
            page.error = "no_links: the article link selector matched nothing on this page"
        yield page
        number = response.meta.get("listing_page", 1)
        with self.state.batch():
            requests = list(self.follow_links(links, response))
            next_link = next_page_link(response, self.source) if isinstance(response, TextResponse) else None
            if next_link and number >= self.source.max_pages:
                url = absolute_url(next_link, response.url)
                self.decide((canonical_url(url) if url else None) or next_link, response.url, "skipped", "page_limit")
            elif next_link:
                request = self.follow_index(
                    next_link, response.url, "listing", self.parse_listing, conditional=False,
                    listing_page=number + 1,
                )
                requests += [request] if request else []
        yield from requests


def listing_links(response: TextResponse, source: Source) -> list[str]:
    """The article links a listing page shows, as written in the page."""
    return _values(_select(response, source.link_css, source.link_xpath))


def next_page_link(response: TextResponse, source: Source) -> str | None:
    values = _values(_select(response, source.next_css, source.next_xpath))
    return values[0] if values else None


def _select(response: TextResponse, css: str | None, xpath: str | None) -> SelectorList[Selector]:
    if css:
        return response.css(css)
    if xpath:
        return response.xpath(xpath)
    return SelectorList()


def _values(selected: SelectorList[Selector]) -> list[str]:
    """``href`` of selected elements; the value itself of selected attributes or text."""
    values = []
    for item in selected:
        element = item.type in ("html", "xml") and not isinstance(item.root, str)
        value = item.attrib.get("href") if element else item.get()
        if value and value.strip():
            values.append(value.strip())
    return values
