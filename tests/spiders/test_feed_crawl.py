"""The feed spider, run as the pipeline runs it (``python -m spiders JOB.json``, its own
process), against the fixture web: what is stored, what fails and why, what is skipped and why."""

from datetime import date

from spiders.rawstore import RawStore
from spiders.sources import Source
from spiders.state import CrawlState
from tests.spiders.conftest import USER_AGENT, crawl, crawl_job, fixture_source, run_job

NEWS_PATTERN = r"/(news|private)/"


def test_the_sample_site_feed_is_fetched_and_stored_losslessly(tmp_path, sample_site_url):
    source = Source(
        id="yixie-guancha", name="医械观察", language="zh", homepage=f"{sample_site_url}/yixie-guancha/",
        feeds=[f"{sample_site_url}/yixie-guancha/atom.xml"], crawl_delay=0,
    )
    stats = run_job(crawl_job(tmp_path, source), tmp_path)
    pages = list(RawStore(tmp_path / "raw").pages("yixie-guancha", date(2025, 6, 1)))
    # The Atom feed links its entries relatively; each resolves against the feed's URL.
    assert sorted(p.url for p in pages if p.kind == "article") == sorted(
        f"{sample_site_url}/yixie-guancha/news/{slug}.html"
        for slug in [
            "mayo-six-collaborations", "mayo-six-collaborations-special", "top-hospitals-ai-models",
            "stryker-completes-inari-acquisition", "pumch-rare-disease-model", "night-clinic",
        ]
    )
    assert stats["articles"] == 6 and stats["new_articles"] == 6 and stats["failed"] == 0
    gbk_page = next(p for p in pages if p.url.endswith("night-clinic.html"))
    assert "滨江市".encode("gbk") in gbk_page.body  # the bytes exactly as served
    assert gbk_page.headers["content-type"] == ["text/html"]
    assert (gbk_page.header_encoding, gbk_page.declared_encoding, gbk_page.detected_encoding) == (None, "gb18030", "gb18030")
    assert all(p.fetched_at.tzinfo is not None for p in pages)


def test_every_bad_case_is_recorded_with_its_reason_and_the_crawl_goes_on(tmp_path, web):
    source = fixture_source(web, feeds=[web.url("/feeds/news.xml")], article_pattern=NEWS_PATTERN)
    result = crawl(tmp_path, source, retry_backoff=0.3)
    url = web.url

    assert result.stored() == {
        url("/news/ok.html"),
        url("/news/relative.html"),  # relative in the feed, utm_* parameters stripped
        url("/news/flaky.html"),  # 503 with Retry-After, then 200
        url("/news/moved.html"),  # 301 to /news/moved-here.html
        url("/news/malformed.html"),  # unclosed tags, NUL and stray bytes: kept as they are
    }
    assert result.failed() == {
        url("/news/missing.html"): "http_404",
        url("/news/gone.html"): "http_410",
        url("/news/storm.html"): "http_500",
        url("/news/slow.html"): "timeout",
        url("/news/loop.html"): "redirect_loop",
        url("/news/offsite.html"): "offsite_redirect",
        url("/news/report.pdf"): "not_html",
        url("/news/photo.jpg"): "not_html",
        url("/news/huge.html"): "too_large",
        url("/private/secret.html"): "robots_disallowed",
    }
    assert result.skipped() == {
        url("/news/ok.html"): "duplicate",  # listed again as ok.html#comments
        "http://elsewhere.example/news/x.html": "off_domain",
        "javascript:void(0)": "invalid_url",
        "http://": "invalid_url",
        "(empty link)": "invalid_url",  # an item without <link>
        url("/about.html"): "not_article",
    }
    assert result.stats["failed_by_reason"] == {
        "http_404": 1, "http_410": 1, "http_500": 1, "timeout": 1, "redirect_loop": 1, "offsite_redirect": 1,
        "not_html": 2, "too_large": 1, "robots_disallowed": 1,
    }
    assert result.stats["new_articles"] == 5 and result.stats["fetched"] == {"article": 5, "feed": 1}

    moved = result.page(url("/news/moved.html"))
    assert moved.url == url("/news/moved-here.html")
    assert [(r.url, r.reason) for r in moved.redirects] == [(url("/news/moved.html"), "301")]
    loop = result.page(url("/news/loop.html"))
    assert [r.url for r in loop.redirects] == [url("/news/loop.html"), url("/news/loop-b.html")]
    pdf = result.page(url("/news/report.pdf"))
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF-1.4")  # unusable, but kept
    offsite = result.page(url("/news/offsite.html"))
    assert offsite.url == f"{web.other_url}/news/elsewhere.html" and offsite.status is None

    # What was never asked for: robots-forbidden, off-domain, off-site redirect targets.
    requested = web.paths()
    assert "/private/secret.html" not in requested and "/about.html" not in requested
    assert not [h for h in web.hits if h.host.startswith(("localhost", "elsewhere"))]
    assert requested.count("/news/ok.html") == 1  # the #comments duplicate was not fetched
    # Every request said who we are.
    assert {h.headers.get("user-agent") for h in web.hits} == {USER_AGENT}

    # Retries wait: exponential backoff per host, longer when Retry-After asks for it.
    flaky = web.times("/news/flaky.html")
    assert len(flaky) == 2 and flaky[1] - flaky[0] >= 0.95  # Retry-After: 1, over a 0.3 s backoff
    storm = web.times("/news/storm.html")
    assert len(storm) == 3  # the request and RETRY_TIMES=2 retries
    assert storm[1] - storm[0] >= 0.28 and storm[2] - storm[1] >= 0.58  # 0.3 s, then 0.6 s


def test_a_server_asking_for_a_long_pause_is_left_alone_for_the_run(tmp_path, web):
    source = fixture_source(web, feeds=[web.url("/feeds/paused.xml")], article_pattern=NEWS_PATTERN)
    result = crawl(tmp_path, source, retry_after_max=60)
    assert result.failed() == {
        web.url("/news/paused.html"): "http_429",
        web.url("/news/ok.html"): "host_paused",
        web.url("/news/relative.html"): "host_paused",
    }
    assert web.paths("/news/") == ["/news/paused.html"]
    with CrawlState(tmp_path / "state", source.id) as state:  # all three are retried by a later run
        assert {known.key for known in state.pending()} == set(result.failed())


def test_a_rerun_fetches_only_what_is_new_or_worth_retrying(tmp_path, web):
    source = fixture_source(web, feeds=[web.url("/feeds/news.xml")], article_pattern=NEWS_PATTERN)
    first = crawl(tmp_path, source, "run-1", retry_times=0, timeout=1.0)
    assert first.stats["new_articles"] == 4  # no retry within the run: flaky.html's 503 stands
    web.hits.clear()

    second = crawl(tmp_path, source, "run-2", retry_times=0, timeout=1.0)
    # The feed is asked for conditionally and has not changed: a 304, recorded, not parsed.
    feed_hit = next(h for h in web.hits if h.path == "/feeds/news.xml")
    assert feed_hit.headers["if-none-match"] == '"news-v1"'
    assert feed_hit.headers["if-modified-since"] == "Mon, 02 Jun 2025 08:00:00 GMT"
    feed_page = next(p for p in second.pages if p.kind == "feed")
    assert feed_page.status == 304 and feed_page.not_modified and not feed_page.ok
    # Nothing stored is fetched again; transient failures are retried; permanent ones are not.
    assert sorted(web.paths()) == ["/feeds/news.xml", "/news/flaky.html", "/news/slow.html", "/news/storm.html"]
    assert second.stored() == {web.url("/news/flaky.html")}
    assert second.stats["new_articles"] == 1 and second.stats["not_modified"] == 1
    with CrawlState(tmp_path / "state", source.id) as state:
        storm = state.get(web.url("/news/storm.html"))
        missing = state.get(web.url("/news/missing.html"))
    assert (storm.state, storm.attempts, storm.reason) == ("pending", 2, "http_500")
    assert (missing.state, missing.attempts, missing.reason) == ("failed", 1, "http_404")


def test_a_page_known_by_its_rel_canonical_is_not_fetched_again(tmp_path, web):
    first = crawl(tmp_path, fixture_source(web, feeds=[web.url("/feeds/alias.xml")]), "run-1")
    alias = first.page(web.url("/news/alias.html?from=rss"))
    assert alias.ok and alias.canonical_url == web.url("/news/canonical.html")

    second = crawl(tmp_path, fixture_source(web, feeds=[web.url("/feeds/canonical.xml")]), "run-2")
    assert second.skipped() == {
        web.url("/news/canonical.html"): "seen",
        web.url("/news/alias.html?from=rss"): "seen",  # utm_source stripped: the same page again
    }
    assert web.paths("/news/") == ["/news/alias.html?from=rss"]
