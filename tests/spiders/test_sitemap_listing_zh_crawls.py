"""News sitemaps, listing pages and Chinese sites, crawled from the fixture web."""

from tests.spiders.conftest import crawl, fixture_source
from tests.spiders.fixture_web.server import ZH_PAGES, ZH_SIMPLIFIED, ZH_TRADITIONAL


def test_news_sitemap_index_recent_entries_only(tmp_path, web):
    source = fixture_source(
        web, sitemaps=[web.url("/sitemap_index.xml")], timezone="Asia/Shanghai", sitemap_max_age_days=2
    )
    result = crawl(tmp_path, source)
    url = web.url
    assert result.stored() == {url("/news/s1.html"), url("/news/s3.html"), url("/news/s4.html"), url("/news/s5.html")}
    assert result.stored("sitemap") == {
        url("/sitemap_index.xml"), url("/sitemaps/news-today.xml"), url("/sitemaps/news-gz.xml.gz"),
    }
    assert result.failed("sitemap") == {url("/sitemaps/broken.xml"): "sitemap_invalid"}
    assert result.skipped() == {
        url("/sitemaps/news-archive.xml"): "too_old",  # the index says it last changed in 2019
        "http://elsewhere.example/sitemap.xml": "off_domain",
        url("/news/s2.html"): "too_old",  # published five days ago
        url("/news/s6.html"): "too_old",  # 49 hours ago in Shanghai time (41 if read as UTC)
    }
    assert "/sitemaps/news-archive.xml" not in web.paths()


def test_listing_pages_links_pagination_and_page_limit(tmp_path, web):
    source = fixture_source(
        web, listings=[web.url("/list/"), web.url("/list/empty/")], link_css="a.headline", next_css="a.next",
        max_pages=3,
    )
    result = crawl(tmp_path, source)
    url = web.url
    assert result.stored() == {url(f"/news/l{n}.html") for n in range(1, 9)}  # page 2 is malformed HTML
    assert result.stored("listing") == {url("/list/"), url("/list/page/2/"), url("/list/page/3/")}
    assert result.failed("listing") == {url("/list/empty/"): "no_links"}
    assert result.skipped() == {url("/list/page/4/"): "page_limit"}
    assert "/about.html" not in web.paths()  # other links on the page are not article links


def test_listing_by_xpath_within_the_new_article_limit_then_the_rest_next_run(tmp_path, web):
    source = fixture_source(
        web, listings=[web.url("/list/")], link_xpath="//a[@class='headline']/@href",
        next_xpath="//a[@class='next']", max_pages=3, max_new_articles=2,
    )
    first = crawl(tmp_path, source, "run-1")
    url = web.url
    assert first.stored() == {url("/news/l1.html"), url("/news/l2.html")}
    assert first.deferred() == {url(f"/news/l{n}.html"): "max_new_articles" for n in range(3, 9)}

    second = crawl(tmp_path, source, "run-2")
    # What the first run found and deferred comes first, oldest first.
    assert second.stored() == {url("/news/l3.html"), url("/news/l4.html")}
    assert second.skipped()[url("/news/l1.html")] == "seen"


def test_the_page_budget_caps_what_a_run_requests(tmp_path, web):
    source = fixture_source(web, feeds=[web.url("/resume/feed.xml")])
    result = crawl(tmp_path, source, page_budget=3)
    assert web.paths() == ["/resume/feed.xml", "/resume/a00.html", "/resume/a01.html"]
    assert set(result.deferred().values()) == {"page_budget"} and len(result.deferred()) == 28


def test_chinese_encodings_from_headers_meta_and_detection(tmp_path, web):
    source = fixture_source(
        web, language="zh", feeds=[web.url("/zh/feed-gb2312.xml"), web.url("/zh/feed-big5.xml")],
        timezone="Asia/Shanghai",
    )
    result = crawl(tmp_path, source)
    pages = {p.request_url.rsplit("/", 1)[-1]: p for p in result.pages if p.kind == "article"}
    assert result.failed() == {} and result.skipped() == {}
    assert set(pages) == {*ZH_PAGES, "big5-atom.html", "%E4%B8%AD%E6%96%87%E8%B7%AF%E5%BE%84.html"}

    found = {name: (p.header_encoding, p.declared_encoding, p.detected_encoding) for name, p in pages.items()}
    assert found == {
        "gbk-meta.html": (None, "gb18030", "gb18030"),
        "gbk-header-says-utf8.html": ("utf-8", "gb18030", "gb18030"),  # the header is wrong
        "big5-header.html": ("big5hkscs", None, "big5hkscs"),
        "big5-header-says-gbk.html": ("gb18030", "big5hkscs", "big5hkscs"),  # both decode; the text decides
        "utf8-stale-meta.html": (None, "gb18030", "utf-8"),  # a page re-saved as UTF-8
        "gb18030-undeclared.html": (None, None, "gb18030"),
        "big5-atom.html": (None, "big5hkscs", "big5hkscs"),
        "%E4%B8%AD%E6%96%87%E8%B7%AF%E5%BE%84.html": ("utf-8", "utf-8", "utf-8"),  # /zh/中文路径.html
    }
    for name, page in pages.items():
        text = page.body.decode(page.detected_encoding)
        assert (ZH_TRADITIONAL if "big5" in name else ZH_SIMPLIFIED) in text, name
    feeds = [p for p in result.pages if p.kind == "feed"]
    assert {p.detected_encoding for p in feeds} == {"gb18030", "big5hkscs"}
