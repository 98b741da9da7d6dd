"""Politeness: how many requests a site gets at once, how far apart, and what Scrapy is told."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from scrapy.http import Response

from spiders.crawl import scrapy_settings, spider_for
from spiders.job import CrawlLimits
from spiders.middlewares import _retry_after
from tests.spiders.conftest import USER_AGENT, crawl, crawl_job, fixture_source


@pytest.mark.parametrize("concurrency", [1, 2])
def test_no_more_requests_in_flight_per_site_than_allowed(tmp_path, web, concurrency):
    source = fixture_source(web, feeds=[web.url("/resume/feed.xml")], max_new_articles=8)
    crawl(tmp_path, source, concurrency_per_domain=concurrency)
    assert len(web.paths("/resume/a")) == 8
    assert web.max_in_flight == concurrency  # the articles answer slowly: they overlap if allowed to


def test_requests_are_spaced_by_the_source_crawl_delay(tmp_path, web):
    source = fixture_source(web, feeds=[web.url("/feeds/alias.xml"), web.url("/feeds/canonical.xml")], crawl_delay=0.4)
    crawl(tmp_path, source)
    times = sorted(hit.at for hit in web.hits if hit.path != "/robots.txt")
    assert len(times) == 4
    # Scrapy varies the delay by ±50% so requests do not fall in step.
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.19


def test_requests_are_spaced_by_the_robots_txt_crawl_delay(tmp_path, web):
    web.robots_txt += "Crawl-delay: 0.5\n"
    source = fixture_source(web, feeds=[web.url("/feeds/alias.xml"), web.url("/feeds/canonical.xml")])
    crawl(tmp_path, source)  # the source's own crawl_delay is 0
    times = sorted(hit.at for hit in web.hits if hit.path != "/robots.txt")
    assert len(times) == 4
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.45


def test_a_crawl_delay_beyond_the_maximum_leaves_the_site_for_the_run(tmp_path, web):
    web.robots_txt += "Crawl-delay: 30\n"
    source = fixture_source(web, feeds=[web.url("/feeds/alias.xml")])
    result = crawl(tmp_path, source, robots_crawl_delay_max=10)
    assert web.paths() == []
    assert set(result.failed("feed").values()) == {"crawl_delay_too_long"}


def test_scrapy_is_configured_from_the_job(tmp_path, web):
    source = fixture_source(web, feeds=[web.url("/feeds/news.xml")], crawl_delay=3)
    job = crawl_job(tmp_path, source, limits=CrawlLimits(concurrency_per_domain=2, timeout=12, retry_times=4))
    settings = scrapy_settings(job)
    assert settings["USER_AGENT"] == USER_AGENT
    assert settings.getbool("ROBOTSTXT_OBEY") and settings["ROBOTSTXT_PARSER"] == "scrapy.robotstxt.ProtegoRobotParser"
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getfloat("DOWNLOAD_DELAY") == 3 and settings.getfloat("AUTOTHROTTLE_START_DELAY") == 3
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2 and settings.getint("CONCURRENT_REQUESTS") == 2
    assert settings.getint("RETRY_TIMES") == 4 and 429 in settings.getlist("RETRY_HTTP_CODES")
    assert settings.getfloat("DOWNLOAD_TIMEOUT") == 12


def test_sources_with_several_kinds_of_entry_point_get_one_spider_combining_them(web):
    source = fixture_source(
        web, feeds=[web.url("/feeds/alias.xml")], listings=[web.url("/list/")], link_css="a.headline"
    )
    spider = spider_for(source)
    assert spider.__name__ == "FeedListingSpider" and spider.name == "feed+listing"
    assert [base.__name__ for base in spider.__bases__] == ["FeedSpider", "ListingSpider"]


def test_retry_after_in_seconds_or_as_a_date():
    def asked(value: str) -> float | None:
        return _retry_after(Response("http://127.0.0.1/x", status=429, headers={"Retry-After": value}))

    def http_date(offset: int) -> str:
        return format_datetime(datetime.now(UTC) + timedelta(seconds=offset), usegmt=True)

    assert asked("120") == 120
    assert asked(http_date(90)) == pytest.approx(90, abs=2)
    assert asked(http_date(-90)) == 0
    assert asked("soon") is None
