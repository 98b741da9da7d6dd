"""The crawler's URL keys: one canonical form per page."""

import pytest

from spiders.urls import absolute_url, canonical_url

FEED = "http://127.0.0.1:8000/feeds/news.xml"


@pytest.mark.parametrize(
    ("link", "canonical"),
    [
        ("/news/a.html?utm_source=rss&utm_medium=feed", "http://127.0.0.1:8000/news/a.html"),
        ("HTTP://Example.COM:80/News/A.html#comments", "http://example.com/News/A.html"),
        ("https://example.com:443/a?b=2&a=1&fbclid=x", "https://example.com/a?a=1&b=2"),
        ("show.php?newsid=2&from=rss", "http://127.0.0.1:8000/feeds/show.php?from=rss&newsid=2"),
        ("//cdn.example.com/a", "http://cdn.example.com/a"),
        ("/zh/中文路径.html", "http://127.0.0.1:8000/zh/%E4%B8%AD%E6%96%87%E8%B7%AF%E5%BE%84.html"),
        ("  https://example.com/a  ", "https://example.com/a"),
    ],
)
def test_links_resolve_to_one_canonical_url(link, canonical):
    url = absolute_url(link, FEED)
    assert url is not None and canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical  # a canonical URL is its own key


@pytest.mark.parametrize(
    "link", ["", "   ", "javascript:void(0)", "mailto:news@example.com", "http://", "https:///x", "http://a.example:99999/"]
)
def test_what_is_not_an_http_url(link):
    assert absolute_url(link, FEED) is None


def test_overlong_urls_have_no_key():
    assert canonical_url("https://example.com/" + "a" * 3000) is None
