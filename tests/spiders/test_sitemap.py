"""Reading sitemaps: index or urlset, gzipped or not, news dates in the source's time zone."""

import gzip
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from spiders.sitemap import SitemapError, parse_sitemap, parse_w3c_date

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://a.example/1</loc><lastmod>2025-06-01</lastmod>
    <news:news><news:publication_date>2025-06-02T09:30:00+08:00</news:publication_date></news:news></url>
  <url><loc> https://a.example/2 </loc><lastmod>2025-06-01T10:00</lastmod></url>
  <url><loc>https://a.example/3</loc></url>
  <url><lastmod>2025-06-01</lastmod></url>
</urlset>"""


def test_news_entries_with_their_dates():
    sitemap = parse_sitemap(NEWS, SHANGHAI)
    assert sitemap.kind == "urlset"
    assert [(e.loc, e.published) for e in sitemap.entries] == [
        ("https://a.example/1", datetime(2025, 6, 2, 1, 30, tzinfo=UTC)),  # the news date wins over lastmod
        ("https://a.example/2", datetime(2025, 6, 1, 10, 0, tzinfo=SHANGHAI)),  # naive: the source's zone
        ("https://a.example/3", None),
    ]


def test_gzipped_sitemap_index():
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://a.example/news.xml</loc><lastmod>2025-06-01T00:00:00Z</lastmod></sitemap>
    </sitemapindex>"""
    sitemap = parse_sitemap(gzip.compress(index), UTC)
    assert sitemap.kind == "sitemapindex"
    assert sitemap.entries[0].published == datetime(2025, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html><body>not a sitemap</body></html>", "root element is <html>"),
        (b"", "no XML document|Document is empty"),
        (b"\x1f\x8b\x08garbage", "cannot gunzip"),
    ],
)
def test_what_is_not_a_sitemap(body, problem):
    with pytest.raises(SitemapError, match=problem):
        parse_sitemap(body, UTC)


def test_entities_are_not_expanded():
    body = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://a.example/&e;</loc></url></urlset>"""
    assert "root:" not in "".join(e.loc for e in parse_sitemap(body, UTC).entries)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-01", datetime(2025, 6, 1, tzinfo=SHANGHAI)),
        ("2025-06-01T08:00Z", datetime(2025, 6, 1, 8, tzinfo=UTC)),
        ("2025-06-01T08:00:00.5+0800", datetime(2025, 6, 1, 8, 0, 0, 500000, tzinfo=timezone(timedelta(hours=8)))),
        ("June 1st", None),
    ],
)
def test_w3c_dates(text, expected):
    assert parse_w3c_date(text, SHANGHAI) == expected
