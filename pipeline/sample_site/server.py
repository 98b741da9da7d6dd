"""The bundled sample site: offline medtech outlets served over HTTP on loopback.

Pages are rendered from ``site.yaml`` with Jinja2 (autoescaped) for the base URL the server
actually listens on, so feeds, canonical links and listings carry real absolute URLs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict

from spiders.sources import Source

SITE_DIR = Path(__file__).parent
ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n"
STYLESHEET = "body{font-family:sans-serif;max-width:60rem;margin:auto}nav li{display:inline;margin:0 .5rem}"


class BodySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str
    lines: str | None = None
    bullets: bool = False

    def paragraphs(self) -> list[str]:
        lines = (SITE_DIR / self.file).read_text(encoding="utf-8").splitlines()
        if self.lines:
            first, _, last = self.lines.partition("-")
            lines = lines[int(first) - 1 : int(last or first)]
        paragraphs = [line.strip() for line in lines if line.strip()]
        if self.bullets:
            # The seeds' summaries put a whole article on one line as " - " bullets.
            paragraphs = [
                part.strip()
                for paragraph in paragraphs
                for part in re.split(r"\s+-\s+|\s+(?=Group \d+:)", paragraph)
                if part.strip()
            ]
        return paragraphs


class OutletSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    language: Literal["en", "zh"]
    feed: Literal["rss", "atom"]
    tagline: str
    nav: list[str]
    footer: str
    listing_page_size: int


class ArticleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outlet: str
    slug: str
    title: str
    author: str
    published: datetime
    section: str
    body: BodySpec
    aside: BodySpec | None = None
    encoding: str = "utf-8"


class SiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outlets: list[OutletSpec]
    articles: list[ArticleSpec]


@dataclass(frozen=True)
class Outlet:
    spec: OutletSpec
    base_url: str

    def __getattr__(self, name: str) -> object:
        return getattr(self.spec, name)

    @property
    def home_url(self) -> str:
        return f"{self.base_url}/{self.spec.id}/"

    @property
    def listing_url(self) -> str:
        return f"{self.home_url}news/"

    @property
    def feed_url(self) -> str:
        return f"{self.home_url}{'feed.xml' if self.spec.feed == 'rss' else 'atom.xml'}"

    @property
    def feed_type(self) -> str:
        return f"application/{self.spec.feed}+xml"

    def listing_page_url(self, page: int) -> str:
        return self.listing_url if page == 1 else f"{self.listing_url}page/{page}/"


@dataclass(frozen=True)
class Article:
    spec: ArticleSpec
    outlet: Outlet

    def __getattr__(self, name: str) -> object:
        return getattr(self.spec, name)

    @property
    def url(self) -> str:
        return f"{self.outlet.listing_url}{self.spec.slug}.html"

    @cached_property
    def paragraphs(self) -> list[str]:
        return self.spec.body.paragraphs()

    @cached_property
    def aside(self) -> list[str]:
        return self.spec.aside.paragraphs() if self.spec.aside else []

    @property
    def description(self) -> str:
        limit = 80 if self.outlet.language == "zh" else 200
        first = self.paragraphs[0]
        return first if len(first) <= limit else first[:limit].rstrip() + "…"

    @property
    def display_date(self) -> str:
        when = self.spec.published
        if self.outlet.language == "zh":
            return f"{when.year}年{when.month:02d}月{when.day:02d}日 {when:%H:%M}"
        return f"{when:%B} {when.day}, {when.year}"

    @property
    def rfc822(self) -> str:
        return format_datetime(self.spec.published)

    @property
    def json_ld(self) -> dict:
        return {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": self.spec.title,
            "datePublished": self.spec.published.isoformat(),
            "author": {"@type": "Person", "name": self.spec.author},
            "publisher": {"@type": "Organization", "name": self.outlet.name},
            "mainEntityOfPage": self.url,
        }


@dataclass(frozen=True)
class Page:
    status: int
    content_type: str
    body: bytes


class SampleSite:
    def __init__(self, site_file: Path = SITE_DIR / "site.yaml"):
        self.spec = SiteSpec.model_validate(yaml.safe_load(site_file.read_text(encoding="utf-8")))
        self.templates = Environment(
            loader=FileSystemLoader(SITE_DIR / "templates"),
            autoescape=select_autoescape(["html", "xml"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def outlets(self, base_url: str) -> list[Outlet]:
        return [Outlet(spec, base_url) for spec in self.spec.outlets]

    def articles(self, outlet: Outlet) -> list[Article]:
        """An outlet's articles, newest first, as a feed or listing shows them."""
        own = [Article(spec, outlet) for spec in self.spec.articles if spec.outlet == outlet.id]
        return sorted(own, key=lambda article: article.spec.published, reverse=True)

    def sources(self, base_url: str) -> list[Source]:
        """The outlets as MedRadar sources, for a server listening at ``base_url``."""
        return [
            Source(
                id=outlet.id,
                name=outlet.name,
                language=outlet.language,
                homepage=outlet.home_url,
                feeds=[outlet.feed_url],
                listings=[outlet.listing_url],
                link_css="a.article-link",
                next_css='a[rel="next"]',
                allowed_domains=["127.0.0.1", "localhost"],
                crawl_delay=0,
            )
            for outlet in self.outlets(base_url)
        ]

    def render(self, path: str, base_url: str) -> Page:
        path = path.split("?", 1)[0].split("#", 1)[0]
        if path == "/robots.txt":
            return Page(200, "text/plain; charset=utf-8", ROBOTS_TXT.encode())
        if path == "/static/site.css":
            return Page(200, "text/css", STYLESHEET.encode())
        if path == "/":
            return self._html("home.html", outlets=self.outlets(base_url))
        for outlet in self.outlets(base_url):
            prefix = f"/{outlet.id}/"
            if path.startswith(prefix):
                return self._render_outlet(outlet, path.removeprefix(prefix))
        return _not_found()

    def _render_outlet(self, outlet: Outlet, rest: str) -> Page:
        articles = self.articles(outlet)
        zh = outlet.language == "zh"
        if rest in ("feed.xml", "atom.xml") and outlet.feed_url.endswith(rest):
            body = self.templates.get_template(f"{outlet.feed}.xml").render(
                outlet=outlet, articles=articles, updated=articles[0].spec.published.isoformat()
            )
            return Page(200, f"{outlet.feed_type}; charset=utf-8", body.encode("utf-8"))
        if rest in ("", "news/") or re.fullmatch(r"news/page/\d+/", rest):
            page = int(rest.split("/")[2]) if rest.startswith("news/page/") else 1
            size = outlet.listing_page_size
            pages = max(1, -(-len(articles) // size))
            if not 1 <= page <= pages:
                return _not_found()
            return self._html(
                "listing.html",
                outlet=outlet,
                zh=zh,
                articles=articles[(page - 1) * size : page * size],
                page=page,
                pages=pages,
                previous_url=outlet.listing_page_url(page - 1) if page > 1 else None,
                next_url=outlet.listing_page_url(page + 1) if page < pages else None,
            )
        for article in articles:
            if rest == f"news/{article.spec.slug}.html":
                related = [other for other in articles if other is not article][:4]
                return self._html(
                    "article.html",
                    encoding=article.spec.encoding,
                    outlet=outlet,
                    zh=zh,
                    article=article,
                    related=related,
                )
        return _not_found()

    def _html(self, template: str, encoding: str = "utf-8", **context: object) -> Page:
        text = self.templates.get_template(template).render(charset=encoding, **context)
        # A page in a legacy encoding declares it only in <meta charset>, as many Chinese
        # sites do, so readers must find it there rather than in the header.
        content_type = "text/html; charset=utf-8" if encoding == "utf-8" else "text/html"
        return Page(200, content_type, text.encode(encoding, errors="xmlcharrefreplace"))


def _not_found() -> Page:
    return Page(404, "text/html; charset=utf-8", b"<html><body><h1>404 Not Found</h1></body></html>")


@contextmanager
def serve_sample_site(host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the sample site in a background thread; yields its base URL."""
    site = SampleSite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            page = site.render(self.path, base_url)
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            self.wfile.write(page.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serve_http(Handler, host, port, name="sample-site") as server:
        base_url = f"http://{host}:{server.server_address[1]}"
        yield base_url


@contextmanager
def serve_http(
    handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0, name: str = "http"
) -> Iterator[ThreadingHTTPServer]:
    """An HTTP server in a background thread, shut down on exit; ``port`` 0 picks a free one."""
    server = ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
