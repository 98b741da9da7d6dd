"""The fixture web: English and Chinese news sites with feeds, a news-sitemap index, paginated
listings, GBK/Big5 pages and every bad case of the crawler issue, on 127.0.0.1.

One server answers for two hosts: ``127.0.0.1:<port>`` (the sites) and ``localhost:<port>``
(somewhere else: off-site redirects land there). It records every request it receives and
how many were in flight at once, so tests can check what the crawler asked for, not only what
it stored. Dates in sitemaps are computed at request time, relative to now.

Routes (all under the base URL):

=============================== =============================================================
/robots.txt                     disallows /private/
/feeds/news.xml                 RSS (ETag "news-v1", Last-Modified; 304 when they match):
                                good, relative, tracking-tagged, duplicate, 404, 410, 503-then-
                                ok (Retry-After), 500 storm, slow, redirect loop, redirect,
                                off-site redirect, PDF, JPEG, oversized, malformed, robots-
                                forbidden, off-domain, invalid and missing links, a non-article
/feeds/broken.xml, /feeds/empty.xml   not a feed; a feed without entries
/feeds/alias.xml                RSS linking a page by an alias URL whose rel=canonical is
                                another URL; /feeds/canonical.xml links that URL and an alias
/feeds/paused.xml               a page answering 429 with Retry-After: 3600, then two pages
/zh/feed-gb2312.xml             RSS in GB2312 linking GBK, Big5, UTF-8 and undeclared pages,
                                some whose header and meta disagree
/zh/feed-big5.xml               Atom in Big5
/sitemap_index.xml              index: today's news sitemap, an old archive, a gzipped one,
                                a broken one, an off-domain one
/list/ (and /list/page/N/)      4 listing pages of article links, "next" links; /list/empty/
                                whose layout matches no selector
/resume/feed.xml                30 articles answering slowly (for killing a crawl halfway)
/bulk/feed.xml?n=N              N plain articles (for the benchmark)
=============================== =============================================================
"""

from __future__ import annotations

import gzip
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from pipeline.sample_site.server import serve_http

ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n"
FEED_ETAG = '"news-v1"'
FEED_LAST_MODIFIED = "Mon, 02 Jun 2025 08:00:00 GMT"
OVERSIZED_BYTES = 2 * 1024 * 1024
SLOW_SECONDS = 3.0
RESUME_ARTICLES = 30
RESUME_DELAY = 0.15

ZH_SIMPLIFIED = "国家药监局批准一款国产手术机器人上市，动脉网报道称该产品已在多家三甲医院完成临床试验。"
ZH_TRADITIONAL = "衛福部核准國產手術機器人上市，多家醫學中心已完成臨床試驗，業界看好後續發展。"


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Hit:
    """One request the server received."""

    at: float
    host: str
    path: str
    headers: dict[str, str]


class FixtureWeb:
    def __init__(self, base_url: str, other_url: str):
        self.base_url = base_url
        self.other_url = other_url  # the same server under another host name: off the site
        self.robots_txt = ROBOTS_TXT  # a test may add directives, e.g. a Crawl-delay
        self.hits: list[Hit] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    # -- bookkeeping -------------------------------------------------------------------

    def hit(self, host: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.hits.append(Hit(time.monotonic(), host, path, headers))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def paths(self, prefix: str = "/") -> list[str]:
        """Paths requested (robots.txt aside), in order."""
        return [h.path for h in self.hits if h.path.startswith(prefix) and h.path != "/robots.txt"]

    def times(self, path: str) -> list[float]:
        return [h.at for h in self.hits if h.path == path]

    def _count(self, key: str) -> int:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    # -- routing -----------------------------------------------------------------------

    def respond(self, host: str, raw_path: str, headers: dict[str, str]) -> Response:
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/robots.txt":
            return _text(self.robots_txt, "text/plain; charset=utf-8")
        if host.startswith("localhost"):
            return _html("Elsewhere", "A page on another site.")
        routes = {
            "/feeds/news.xml": lambda: self._news_feed(headers),
            "/feeds/broken.xml": lambda: _text("<html><body>This is not a feed<rss", "application/rss+xml"),
            "/feeds/empty.xml": lambda: _text(_rss("Empty", []), "application/rss+xml; charset=utf-8"),
            "/feeds/alias.xml": lambda: self._feed([self.url("/news/alias.html?from=rss")]),
            "/feeds/canonical.xml": lambda: self._feed(
                [self.url("/news/canonical.html"), self.url("/news/alias.html?utm_source=newsletter&from=rss")]
            ),
            "/feeds/paused.xml": lambda: self._feed([self.url(f"/news/{n}.html") for n in ("paused", "ok", "relative")]),
            "/zh/feed-gb2312.xml": self._gb2312_feed,
            "/zh/feed-big5.xml": self._big5_feed,
            "/sitemap_index.xml": self._sitemap_index,
            "/sitemaps/news-today.xml": self._news_sitemap,
            "/sitemaps/news-archive.xml": self._archive_sitemap,
            "/sitemaps/news-gz.xml.gz": self._gzipped_sitemap,
            "/sitemaps/broken.xml": lambda: _text("<html>not a sitemap</html>", "text/html"),
            "/resume/feed.xml": self._resume_feed,
            "/bulk/feed.xml": lambda: self._bulk_feed(int(query.get("n", ["100"])[0])),
        }
        if path in routes:
            return routes[path]()
        if path.startswith("/list/"):
            return self._listing(path)
        if path.startswith("/news/") or path.startswith("/private/"):
            return self._news_page(path)
        if path.startswith("/zh/"):
            return self._zh_page(path)
        if path.startswith("/resume/a"):
            return Response(200, _article_html("Resumable", "Fetched once, even across a kill."), _HTML_UTF8,
                            delay=RESUME_DELAY)
        if path.startswith("/bulk/a"):
            return _html(f"Bulk article {path}", "Medtech deal news. " * 800)
        if path == "/about.html":
            return _html("About us", "Not an article.")
        return Response(404, b"<html><body>not found</body></html>", _HTML_UTF8)

    # -- the English news site -------------------------------------------------------------

    def _news_feed(self, headers: dict[str, str]) -> Response:
        if headers.get("if-none-match") == FEED_ETAG or headers.get("if-modified-since") == FEED_LAST_MODIFIED:
            return Response(304, b"", {"ETag": FEED_ETAG, "Last-Modified": FEED_LAST_MODIFIED})
        base = self.base_url
        links = [
            f"{base}/news/ok.html",
            "/news/relative.html?utm_source=rss&utm_medium=feed",
            f"{base}/news/ok.html#comments",
            f"{base}/news/missing.html",
            f"{base}/news/gone.html",
            f"{base}/news/flaky.html",
            f"{base}/news/storm.html",
            f"{base}/news/slow.html",
            f"{base}/news/loop.html",
            f"{base}/news/moved.html",
            f"{base}/news/offsite.html",
            f"{base}/news/report.pdf",
            f"{base}/news/photo.jpg",
            f"{base}/news/huge.html",
            f"{base}/news/malformed.html",
            f"{base}/private/secret.html",
            "http://elsewhere.example/news/x.html",
            "javascript:void(0)",
            "http://",
            f"{base}/about.html",
            None,  # an item without a link
        ]
        return Response(
            200,
            _rss("MedTech Fixture News", links).encode("utf-8"),
            {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": FEED_ETAG, "Last-Modified": FEED_LAST_MODIFIED},
        )

    def _feed(self, links: list[str | None]) -> Response:
        return _text(_rss("Fixture", links), "application/rss+xml; charset=utf-8")

    def _news_page(self, path: str) -> Response:
        name = path.rsplit("/", 1)[-1]
        if name in ("ok.html", "relative.html", "moved-here.html", "canonical.html") or re.fullmatch(r"[sl]\d+\.html", name):
            return _html(f"Article {name}", f"The article at {path}.")
        if name == "alias.html":
            canonical = f'<link rel="canonical" href="{self.base_url}/news/canonical.html">'
            return Response(200, _article_html("Aliased", "Known by its canonical URL.", head=canonical), _HTML_UTF8)
        if name == "missing.html":
            return Response(404, b"<html><body>not found</body></html>", _HTML_UTF8)
        if name == "gone.html":
            return Response(410, b"<html><body>gone</body></html>", _HTML_UTF8)
        if name == "flaky.html":
            if self._count(path) == 1:
                return Response(503, b"busy", {"Content-Type": "text/plain", "Retry-After": "1"})
            return _html("Flaky", "Answered on the second try.")
        if name == "paused.html":
            return Response(429, b"slow down", {"Content-Type": "text/plain", "Retry-After": "3600"})
        if name == "storm.html":
            return Response(500, b"server error", {"Content-Type": "text/plain"})
        if name == "slow.html":
            return Response(200, _article_html("Slow", "Too late."), _HTML_UTF8, delay=SLOW_SECONDS)
        if name == "loop.html":
            return Response(302, b"", {"Location": "/news/loop-b.html"})
        if name == "loop-b.html":
            return Response(302, b"", {"Location": "/news/loop.html"})
        if name == "moved.html":
            return Response(301, b"", {"Location": "/news/moved-here.html"})
        if name == "offsite.html":
            return Response(302, b"", {"Location": f"{self.other_url}/news/elsewhere.html"})
        if name == "report.pdf":
            return Response(200, b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", {"Content-Type": "application/pdf"})
        if name == "photo.jpg":
            return Response(200, b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64), {"Content-Type": "image/jpeg"})
        if name == "huge.html":
            return Response(200, b"<html><body>" + b"x" * OVERSIZED_BYTES + b"</body></html>", _HTML_UTF8)
        if name == "malformed.html":
            body = b"<html><head><title>Broken</title><body><div><p>Unclosed <b>tags <i>everywhere\x00\xff</div></span>"
            return Response(200, body, _HTML_UTF8)
        if name == "secret.html":
            return _html("Secret", "robots.txt forbids this page.")
        return Response(404, b"<html><body>not found</body></html>", _HTML_UTF8)

    # -- the Chinese sites ---------------------------------------------------------------

    def _gb2312_feed(self) -> Response:
        links = [f"{self.base_url}/zh/{name}" for name in ZH_PAGES] + [f"{self.base_url}/zh/中文路径.html"]
        feed = _rss("医疗器械资讯", links, title="国产手术机器人获批", encoding="gb2312")
        return Response(200, feed.encode("gb2312"), {"Content-Type": "application/rss+xml"})

    def _big5_feed(self) -> Response:
        link = f"{self.base_url}/zh/big5-atom.html"
        feed = (
            '<?xml version="1.0" encoding="big5"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            "<title>醫療器材新聞</title><id>urn:fixture:big5</id><updated>2025-06-01T00:00:00Z</updated>"
            f'<entry><title>{ZH_TRADITIONAL[:12]}</title><id>urn:fixture:big5:1</id><link href="{link}"/>'
            "<updated>2025-06-01T00:00:00Z</updated></entry></feed>"
        )
        return Response(200, feed.encode("big5"), {"Content-Type": "application/atom+xml"})

    def _zh_page(self, path: str) -> Response:
        name = path.rsplit("/", 1)[-1]
        if name in ZH_PAGES:
            spec = ZH_PAGES[name]
            meta = f'<meta charset="{spec.meta}">' if spec.meta else ""
            html = f"<html><head>{meta}<title>{spec.text[:8]}</title></head><body><p>{spec.text}</p></body></html>"
            content_type = f"text/html; charset={spec.header}" if spec.header else "text/html"
            return Response(200, html.encode(spec.encoding), {"Content-Type": content_type})
        if name == "big5-atom.html":
            html = f'<html><head><meta charset="big5"></head><body><p>{ZH_TRADITIONAL}</p></body></html>'
            return Response(200, html.encode("big5"), {"Content-Type": "text/html"})
        if path == "/zh/%E4%B8%AD%E6%96%87%E8%B7%AF%E5%BE%84.html":
            return _html("中文路径", ZH_SIMPLIFIED)
        return Response(404, b"<html><body>not found</body></html>", _HTML_UTF8)

    # -- the sitemaps ------------------------------------------------------------------

    def _sitemap_index(self) -> Response:
        now = datetime.now(UTC)
        children = [
            (f"{self.base_url}/sitemaps/news-today.xml", now.isoformat()),
            (f"{self.base_url}/sitemaps/news-archive.xml", "2019-03-01"),
            (f"{self.base_url}/sitemaps/news-gz.xml.gz", None),
            (f"{self.base_url}/sitemaps/broken.xml", None),
            ("http://elsewhere.example/sitemap.xml", None),
        ]
        items = "".join(
            f"<sitemap><loc>{escape(loc)}</loc>{f'<lastmod>{when}</lastmod>' if when else ''}</sitemap>"
            for loc, when in children
        )
        body = f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="{_SITEMAP_NS}">{items}</sitemapindex>'
        return _text(body, "application/xml")

    def _news_sitemap(self) -> Response:
        now = datetime.now(UTC)
        shanghai_now = (now + timedelta(hours=8)).replace(tzinfo=None)  # naive, in the source's zone
        entries = [
            (self.url("/news/s1.html"), (now - timedelta(hours=1)).isoformat(timespec="seconds")),
            (self.url("/news/s2.html"), (now - timedelta(days=5)).isoformat(timespec="seconds")),
            # Naive dates, in the source's time zone: 47 hours ago is recent, 49 hours ago is not
            # (read as UTC, both would be recent).
            (self.url("/news/s3.html"), (shanghai_now - timedelta(hours=47)).isoformat(timespec="minutes")),
            (self.url("/news/s6.html"), (shanghai_now - timedelta(hours=49)).isoformat(timespec="minutes")),
            (self.url("/news/s4.html"), None),
        ]
        return _text(_news_urlset(entries), "application/xml")

    def _archive_sitemap(self) -> Response:
        return _text(_news_urlset([(self.url("/news/archived.html"), "2019-03-01")]), "application/xml")

    def _gzipped_sitemap(self) -> Response:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        body = gzip.compress(_news_urlset([(self.url("/news/s5.html"), now)]).encode(), mtime=0)
        return Response(200, body, {"Content-Type": "application/x-gzip"})

    # -- the listings ------------------------------------------------------------------

    def _listing(self, path: str) -> Response:
        if path == "/list/empty/":
            return _html("Redesigned", "Our new layout has no headline links any more.")
        pages = {1: ["l1", "l2", "l3"], 2: ["l4", "l5", "l6"], 3: ["l7", "l8"], 4: ["l9"]}
        number = 1 if path == "/list/" else int(path.strip("/").rsplit("/", 1)[-1])
        if number not in pages:
            return Response(404, b"<html><body>not found</body></html>", _HTML_UTF8)
        items = "".join(
            f'<li><a class="headline" href="/news/{slug}.html">Headline {slug}</a> <a href="/about.html">About</a></li>'
            for slug in pages[number]
        )
        next_link = f'<a class="next" href="/list/page/{number + 1}/">Next</a>' if number + 1 in pages else ""
        # Page 2 is malformed on purpose: unclosed tags must not hide its links.
        closing = "" if number == 2 else "</ul></body></html>"
        html = f"<html><head><title>News page {number}</title></head><body><ul class='news'>{items}{next_link}{closing}"
        return Response(200, html.encode(), _HTML_UTF8)

    # -- resumable and bulk crawls -------------------------------------------------------

    def _resume_feed(self) -> Response:
        links = [self.url(f"/resume/a{i:02d}.html") for i in range(RESUME_ARTICLES)]
        return _text(_rss("Resume", links), "application/rss+xml; charset=utf-8")

    def _bulk_feed(self, count: int) -> Response:
        links = [self.url(f"/bulk/a{i}.html") for i in range(count)]
        return _text(_rss("Bulk", links), "application/rss+xml; charset=utf-8")


@dataclass(frozen=True)
class ZhPage:
    encoding: str  # what the bytes are
    header: str | None  # charset in the Content-Type header
    meta: str | None  # <meta charset>
    text: str


ZH_PAGES = {
    "gbk-meta.html": ZhPage("gbk", None, "gbk", ZH_SIMPLIFIED),
    "gbk-header-says-utf8.html": ZhPage("gbk", "utf-8", "gb2312", ZH_SIMPLIFIED),
    "big5-header.html": ZhPage("big5", "big5", None, ZH_TRADITIONAL),
    "big5-header-says-gbk.html": ZhPage("big5", "gbk", "big5", ZH_TRADITIONAL),
    "utf8-stale-meta.html": ZhPage("utf-8", None, "gb2312", ZH_SIMPLIFIED),
    "gb18030-undeclared.html": ZhPage("gb18030", None, None, ZH_SIMPLIFIED * 3),
}

_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
_HTML_UTF8 = {"Content-Type": "text/html; charset=utf-8"}


def _rss(channel: str, links: list[str | None], title: str = "Item", encoding: str = "utf-8") -> str:
    items = "".join(
        f"<item><title>{escape(title)} {n}</title>{f'<link>{escape(link)}</link>' if link is not None else ''}"
        f"<pubDate>{format_datetime(datetime(2025, 6, 1, 8, n % 60, tzinfo=UTC), usegmt=True)}</pubDate></item>"
        for n, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel><title>{escape(channel)}</title>'
        f"<link>http://127.0.0.1/</link><description>fixture</description>{items}</channel></rss>"
    )


def _news_urlset(entries: list[tuple[str, str | None]]) -> str:
    urls = "".join(
        f"<url><loc>{escape(loc)}</loc>"
        + (
            f"<news:news><news:publication><news:name>Fixture</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{when}</news:publication_date>"
            f"<news:title>t</news:title></news:news>"
            if when
            else ""
        )
        + "</url>"
        for loc, when in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{_SITEMAP_NS}" xmlns:news="{_NEWS_NS}">{urls}</urlset>'


def _article_html(title: str, text: str, head: str = "") -> bytes:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>{head}</head>'
        f"<body><article><h1>{escape(title)}</h1><p>{escape(text)}</p></article></body></html>"
    ).encode("utf-8")


def _html(title: str, text: str) -> Response:
    return Response(200, _article_html(title, text), _HTML_UTF8)


def _text(text: str, content_type: str) -> Response:
    return Response(200, text.encode("utf-8"), {"Content-Type": content_type})


@contextmanager
def serve_fixture_web() -> Iterator[FixtureWeb]:
    """Serve the fixture web on 127.0.0.1 (an ephemeral port) in background threads."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            headers = {key.lower(): value for key, value in self.headers.items()}
            web.hit(self.headers.get("Host", ""), self.path, headers)
            try:
                response = web.respond(self.headers.get("Host", ""), self.path, headers)
                if response.delay:
                    time.sleep(response.delay)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler gave up waiting (a timeout): nothing to answer to
            finally:
                web.done()

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serve_http(Handler, name="fixture-web") as server:
        port = server.server_address[1]
        web = FixtureWeb(f"http://127.0.0.1:{port}", f"http://localhost:{port}")
        yield web
