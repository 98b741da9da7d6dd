"""The news-sitemap spider: a sitemap index, its news sitemaps, and the recent articles in them.

Google News sitemaps list each article with ``<news:news><news:publication_date>``; plain
sitemaps have ``<lastmod>``. Entries (and child sitemaps) dated more than the source's
``sitemap_max_age_days`` ago are skipped (``too_old``): a news sitemap index can list years
of archives. Undated entries are followed. Dates without a time zone are read in the
source's ``timezone``. Sitemaps may be gzipped (``.xml.gz``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal

import scrapy
from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip

from spiders.base import SourceSpider
from spiders.rawstore import RawPage

_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, remove_comments=True)


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    published: datetime | None


@dataclass(frozen=True)
class Sitemap:
    kind: Literal["sitemapindex", "urlset"]
    entries: list[SitemapEntry]


class SitemapError(ValueError):
    """Not a sitemap: unparseable, or another kind of XML document."""


def parse_sitemap(body: bytes, zone: tzinfo, max_size: int = 0) -> Sitemap:
    """A sitemap or sitemap index from its bytes (gzipped or not)."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, EOFError, ValueError) as error:
            raise SitemapError(f"cannot gunzip: {error}") from None
    try:
        root = etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise SitemapError(str(error)) from None
    if root is None:
        raise SitemapError("no XML document")
    kind = etree.QName(root).localname
    if kind not in ("sitemapindex", "urlset"):
        raise SitemapError(f"root element is <{kind}>, not <urlset> or <sitemapindex>")
    entries = []
    for item in root:
        if not isinstance(item.tag, str) or etree.QName(item).localname not in ("url", "sitemap"):
            continue
        fields = {etree.QName(el).localname: (el.text or "").strip() for el in item.iter() if isinstance(el.tag, str)}
        if fields.get("loc"):
            when = fields.get("publication_date") or fields.get("lastmod")
            entries.append(SitemapEntry(fields["loc"], parse_w3c_date(when, zone) if when else None))
    return Sitemap(kind, entries)  # type: ignore[arg-type]


def parse_w3c_date(text: str, zone: tzinfo) -> datetime | None:
    """A W3C datetime (``2025-06-01``, ``2025-06-01T09:30+08:00``...) as an aware datetime."""
    text = text.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text or " " in text else None
        if when is None:
            when = datetime.combine(date.fromisoformat(text[:10]), datetime.min.time())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=zone)


class NewsSitemapSpider(SourceSpider):
    name = "sitemap"

    def entry_requests(self) -> Iterator[scrapy.Request]:
        yield from self.index_requests(self.source.sitemaps, "sitemap", self.parse_sitemap)
        yield from super().entry_requests()

    def parse_sitemap(self, response: Response) -> Iterator[RawPage | scrapy.Request]:
        page = self.page(response)
        if not page.ok:
            yield page
            return
        try:
            sitemap = parse_sitemap(response.body, self.source.zone, self.job.limits.max_body_bytes)
        except SitemapError as error:
            page.error = f"sitemap_invalid: {error}"
            yield page
            return
        if not sitemap.entries:
            page.error = "sitemap_empty: no <url> or <sitemap> entries"
        yield page
        oldest = datetime.now(UTC) - timedelta(days=self.source.sitemap_max_age_days)
        with self.state.batch():
            fresh = []
            for entry in sitemap.entries:
                if entry.published is not None and entry.published < oldest:
                    self.decide(entry.loc, response.url, "skipped", "too_old")
                else:
                    fresh.append(entry.loc)
            if sitemap.kind == "sitemapindex":
                requests = [
                    r for link in fresh if (r := self.follow_index(link, response.url, "sitemap", self.parse_sitemap))
                ]
                self.remember_validators(response)
            else:
                requests = list(self.follow_links(fresh, response))
        yield from requests
