"""The feed spider: read a source's RSS/Atom feeds and fetch the articles they link to."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import scrapy
from scrapy.http import Response

from spiders.base import SourceSpider
from spiders.rawstore import RawPage


class FeedSpider(SourceSpider):
    name = "feed"

    def entry_requests(self) -> Iterator[scrapy.Request]:
        yield from self.index_requests(self.source.feeds, "feed", self.parse_feed)
        yield from super().entry_requests()

    def parse_feed(self, response: Response) -> Iterator[RawPage | scrapy.Request]:
        page = self.page(response)
        if not page.ok:  # an error, or 304: nothing new
            yield page
            return
        links, problem = feed_links(response)
        if problem:
            page.error = problem
        yield page
        yield from self.follow_links(links, response)


def feed_links(response: Response) -> tuple[list[str], str | None]:
    """The entry links of an RSS/Atom feed, and what is wrong with the feed, if anything."""
    feed = feedparser.parse(
        response.body,
        # No content-location: feedparser would resolve links against it, and turn an invalid
        # link such as "http://" into the feed's own URL. Links come back as written (or as
        # resolved against an absolute xml:base); ``follow`` resolves the rest.
        response_headers={"content-type": response.headers.get("Content-Type", b"").decode("latin-1")},
    )
    if not feed.entries:
        if feed.get("bozo") and not feed.get("version"):
            return [], f"feed_invalid: {feed.get('bozo_exception') or 'not an RSS or Atom document'}"
        return [], "feed_empty: the feed has no entries"
    # An entry without a link is recorded as an invalid link rather than silently dropped.
    return [entry.get("link") or "" for entry in feed.entries], None
