"""A fixture web at scale for the end-to-end benchmark, served on 127.0.0.1.

Built from real text: the ground-truth article texts and titles of ``../shared/corpora``
(English and Chinese) and the bundled sample site's articles. Each generated article mixes
paragraphs of several real articles of its language (so thousands of pages are not copies of
one another for the duplicate detector), under a real headline, with a publication date
spread over the last 90 days, on one of several outlets per language with their own URL
shapes (dated paths, ids, ``.shtml``). Besides those, every real corpus article page is served
once as it was saved (its own markup, encoding and boilerplate). Each outlet has an RSS feed of
its articles. Pages are rendered on request from a seed, so 100,000 pages cost no memory.

Usage: ``python bench/scale_web.py --pages 2000`` serves until interrupted and prints the
sources.yaml it needs.
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.corpora import load_all  # noqa: E402
from pipeline.sample_site.server import SampleSite  # noqa: E402
from spiders.sources import Source  # noqa: E402

# URL shapes per outlet: real news sites' variety (dated paths, numeric ids, .shtml).
URL_SHAPES = (
    "/{outlet}/{when:%Y/%m/%d}/{slug}.html",
    "/{outlet}/news/{when:%Y%m%d}/{number}.shtml",
    "/{outlet}/article/{number}",
    "/{outlet}/{section}/{slug}-{number}",
)
SECTIONS = {"en": ["devices", "deals", "digital-health", "regulatory"], "zh": ["qixie", "touzi", "shuzi", "zhengce"]}
MIN_PARAGRAPH = {"en": 60, "zh": 20}


@dataclass(frozen=True)
class RealText:
    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Outlet:
    id: str
    lang: str
    shape: str


@dataclass(frozen=True)
class PageSpec:
    number: int
    outlet: Outlet
    published: datetime
    path: str
    real_page: Path | None = None  # a corpus page served as saved


class ScaleWeb:
    """``pages`` article pages over ``outlets_per_lang`` outlets per language, a share
    ``zh_share`` of them Chinese; deterministic for a seed."""

    def __init__(self, pages: int, zh_share: float = 0.25, outlets_per_lang: int = 3, seed: int = 0):
        self.seed = seed
        self.now = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
        texts = self.texts
        real = self.real_pages
        self.outlets = [
            Outlet(f"{'wire' if lang == 'en' else 'guancha'}-{n}", lang, URL_SHAPES[(n + (lang == "zh")) % len(URL_SHAPES)])
            for lang in ("en", "zh")
            for n in range(1, outlets_per_lang + 1)
        ]
        rng = random.Random(seed)
        self.specs: list[PageSpec] = []
        by_lang = {lang: [o for o in self.outlets if o.lang == lang] for lang in ("en", "zh")}
        real_by_lang = {lang: [p for p in real if p[0] == lang] for lang in ("en", "zh")}
        for number in range(pages):
            lang = "zh" if rng.random() < zh_share else "en"
            outlet = by_lang[lang][number % len(by_lang[lang])]
            published = self.now - timedelta(days=rng.randrange(90), minutes=rng.randrange(24 * 60))
            # one page in five is a real corpus page, each used once, while they last
            real_page = real_by_lang[lang].pop()[1] if real_by_lang[lang] and number % 5 == 0 else None
            slug = f"story-{number:06d}"
            path = outlet.shape.format(
                outlet=outlet.id, when=published, slug=slug, number=100000 + number,
                section=SECTIONS[lang][number % 4],
            )  # fmt: skip
            self.specs.append(PageSpec(number, outlet, published, path, real_page))
        self.by_path = {spec.path: spec for spec in self.specs}
        if not texts["en"] or not texts["zh"]:
            raise RuntimeError("no real texts found under ../shared/corpora")

    @cached_property
    def texts(self) -> dict[str, list[RealText]]:
        """Real titles and paragraphs per language: corpus ground truth and the sample site."""
        texts: dict[str, list[RealText]] = {"en": [], "zh": []}
        for page in load_all():
            if page.lang not in texts or not page.truth_text or not page.is_article:
                continue
            paragraphs = tuple(
                p.strip() for p in page.truth_text.splitlines() if len(p.strip()) >= MIN_PARAGRAPH[page.lang]
            )
            if len(paragraphs) >= 2:
                texts[page.lang].append(RealText(page.truth_title or paragraphs[0][:90], paragraphs))
        site = SampleSite()
        for outlet in site.outlets("http://x"):
            for article in site.articles(outlet):
                texts[outlet.language].append(RealText(article.title, tuple(article.paragraphs)))
        return texts

    @cached_property
    def real_pages(self) -> list[tuple[str, Path]]:
        """(language, path) of the corpora's real article pages with text ground truth."""
        return sorted(
            (page.lang, page.path) for page in load_all()
            if page.lang in ("en", "zh") and page.is_article and page.truth_text
        )  # fmt: skip

    def sources(self, base_url: str, lang: str | None = None) -> list[Source]:
        return [
            Source(
                id=outlet.id, name=outlet.id, language=outlet.lang, homepage=f"{base_url}/{outlet.id}/",
                feeds=[f"{base_url}/{outlet.id}/feed.xml"], allowed_domains=["127.0.0.1"], crawl_delay=0,
                max_new_articles=len(self.specs),
            )  # fmt: skip
            for outlet in self.outlets
            if lang is None or outlet.lang == lang
        ]

    def counts(self) -> dict[str, int]:
        counts = {"en": 0, "zh": 0}
        for spec in self.specs:
            counts[spec.outlet.lang] += 1
        return counts

    # -- rendering ---------------------------------------------------------------------------

    def render(self, path: str, base_url: str) -> tuple[int, str, bytes]:
        path = path.split("?", 1)[0]
        if path == "/robots.txt":
            return 200, "text/plain", b"User-agent: *\nAllow: /\n"
        match = re.fullmatch(r"/([\w-]+)/feed\.xml", path)
        if match:
            return self._feed(match.group(1), base_url)
        spec = self.by_path.get(path)
        if spec is None:
            return 404, "text/plain", b"not found"
        if spec.real_page is not None:
            import gzip

            with gzip.open(spec.real_page, "rb") as stream:
                return 200, "text/html", stream.read()
        return 200, "text/html; charset=utf-8", self._article(spec, base_url).encode("utf-8")

    def _article(self, spec: PageSpec, base_url: str) -> str:
        rng = random.Random(f"{self.seed}-{spec.number}")
        pool = self.texts[spec.outlet.lang]
        headline = rng.choice(pool)
        paragraphs = list(headline.paragraphs[:1])
        for other in rng.sample(pool, 4):
            start = rng.randrange(len(other.paragraphs))
            paragraphs.extend(other.paragraphs[start : start + 2])
        zh = spec.outlet.lang == "zh"
        when = spec.published
        shown = f"{when.year}年{when.month:02d}月{when.day:02d}日 {when:%H:%M}" if zh else f"{when:%B} {when.day}, {when.year}"
        url = base_url + spec.path
        body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        related = "".join(
            f'<li><a href="{base_url}{other.path}">{html.escape(self._title(other))}</a></li>'
            for other in rng.sample(self.specs, 5)
        )
        return f"""<!DOCTYPE html>
<html lang="{spec.outlet.lang}"><head><meta charset="utf-8">
<title>{html.escape(headline.title)} - {spec.outlet.id}</title>
<link rel="canonical" href="{url}">
<meta property="og:type" content="article"><meta property="og:title" content="{html.escape(headline.title)}">
<meta property="article:published_time" content="{when.isoformat()}">
</head><body>
<header><nav><a href="{base_url}/{spec.outlet.id}/">{'首页' if zh else 'Home'}</a></nav></header>
<main><article><h1>{html.escape(headline.title)}</h1>
<div class="meta"><span class="author">{'本站记者' if zh else 'Staff reporter'}</span> <time datetime="{when.isoformat()}">{shown}</time></div>
{body}
</article>
<aside><h2>{'相关阅读' if zh else 'Related stories'}</h2><ul>{related}</ul></aside></main>
<footer>© 2026 {spec.outlet.id}</footer></body></html>"""

    def _title(self, spec: PageSpec) -> str:
        return random.Random(f"{self.seed}-{spec.number}").choice(self.texts[spec.outlet.lang]).title

    def _feed(self, outlet_id: str, base_url: str) -> tuple[int, str, bytes]:
        own = [spec for spec in self.specs if spec.outlet.id == outlet_id]
        if not own:
            return 404, "text/plain", b"not found"
        items = "".join(
            f"<item><title>{html.escape(self._title(spec))}</title><link>{base_url}{spec.path}</link>"
            f"<guid>{base_url}{spec.path}</guid><pubDate>{format_datetime(spec.published)}</pubDate></item>"
            for spec in sorted(own, key=lambda s: s.published, reverse=True)
        )
        feed = (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{outlet_id}</title>'
            f"<link>{base_url}/{outlet_id}/</link><description>{outlet_id}</description>{items}</channel></rss>"
        )
        return 200, "application/rss+xml; charset=utf-8", feed.encode("utf-8")


@contextmanager
def serve(web: ScaleWeb) -> Iterator[str]:
    """The web on 127.0.0.1 (any free port) for as long as the block runs; its base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            status, content_type, body = web.render(self.path, base_url)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--zh-share", type=float, default=0.25)
    parser.add_argument("--sources-file", type=Path, help="write the sources.yaml here")
    args = parser.parse_args()
    web = ScaleWeb(args.pages, args.zh_share)
    with serve(web) as base_url:
        document = {"sources": [s.model_dump(mode="json") for s in web.sources(base_url)]}
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
        if args.sources_file:
            args.sources_file.write_text(text)
        print(f"serving {len(web.specs)} article pages {web.counts()} at {base_url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
