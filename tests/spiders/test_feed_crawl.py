"""The feed spider, run as the pipeline runs it: `python -m spiders JOB.json` in its own process."""

import json
import subprocess
import sys
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from spiders.job import CrawlJob
from spiders.rawstore import RawStore
from spiders.sources import Source


def crawl(tmp_path, source: Source) -> dict:
    job = CrawlJob(
        source=source, raw_dir=tmp_path / "raw", state_dir=tmp_path / "state", day=date(2025, 6, 1), crawl_id="run-1",
        user_agent="MedRadar-test (+http://127.0.0.1/contact)", log_file=tmp_path / "crawl.log",
    )
    job_file = tmp_path / "job.json"
    job_file.write_text(job.model_dump_json())
    done = subprocess.run(
        [sys.executable, "-m", "spiders", str(job_file)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_feed_articles_are_fetched_and_stored_losslessly(tmp_path, sample_site_url):
    source = Source(
        id="yixie-guancha", name="医械观察", language="zh", homepage=f"{sample_site_url}/yixie-guancha/",
        feeds=[f"{sample_site_url}/yixie-guancha/atom.xml"], crawl_delay=0,
    )
    stats = crawl(tmp_path, source)
    pages = list(RawStore(tmp_path / "raw").pages("yixie-guancha", date(2025, 6, 1)))
    # The Atom feed links its entries relatively; each resolves against the feed's URL.
    articles = sorted(p.url for p in pages if p.kind == "article")
    assert articles == sorted(
        f"{sample_site_url}/yixie-guancha/news/{slug}.html"
        for slug in [
            "mayo-six-collaborations", "mayo-six-collaborations-special", "top-hospitals-ai-models",
            "stryker-completes-inari-acquisition", "pumch-rare-disease-model", "night-clinic",
        ]
    )
    assert stats["articles"] == 6 and stats["failed"] == 0
    gbk_page = next(p for p in pages if p.url.endswith("night-clinic.html"))
    assert "滨江市".encode("gbk") in gbk_page.body  # the bytes exactly as served
    assert gbk_page.headers["content-type"] == ["text/html"]
    assert all(p.fetched_at.tzinfo is not None for p in pages)


class _BrokenSite(BaseHTTPRequestHandler):
    """A feed whose links lead to a good page, a missing page and a server error."""

    def do_GET(self):  # noqa: N802
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        routes = {
            "/robots.txt": (200, "User-agent: *\nDisallow: /private/\n"),
            "/feed.xml": (200, f"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
                <item><title>ok</title><link>{base}/ok.html</link></item>
                <item><title>gone</title><link>/gone.html</link></item>
                <item><title>boom</title><link>{base}/boom.html</link></item>
                <item><title>private</title><link>{base}/private/x.html</link></item>
                <item><title>elsewhere</title><link>http://example.invalid/x.html</link></item>
                <item><title>no link</title></item>
                </channel></rss>"""),
            "/ok.html": (200, "<html><body><p>fine</p></body></html>"),
            "/boom.html": (500, "oops"),
        }
        status, body = routes.get(self.path, (404, "not here"))
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def broken_site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BrokenSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_failures_are_recorded_with_their_reason_and_the_crawl_goes_on(tmp_path, broken_site):
    source = Source(
        id="broken", name="Broken", language="en", homepage=f"{broken_site}/",
        feeds=[f"{broken_site}/feed.xml"], crawl_delay=0,
    )
    stats = crawl(tmp_path, source)
    pages = {p.url: p for p in RawStore(tmp_path / "raw").pages("broken", date(2025, 6, 1))}
    assert pages[f"{broken_site}/ok.html"].ok
    assert pages[f"{broken_site}/gone.html"].error == "http_404"
    assert pages[f"{broken_site}/boom.html"].status == 500
    private = pages[f"{broken_site}/private/x.html"]  # robots.txt forbids it: never fetched
    assert private.status is None and private.error.startswith("robots_disallowed:")
    assert not any("example.invalid" in url for url in pages)  # off-site links are not followed
    assert stats["failed_by_reason"] == {"http_404": 1, "http_500": 1, "robots_disallowed": 1}
