"""A crawl killed halfway (SIGKILL: no chance to clean up) resumes on the next run without
losing or duplicating a page."""

import signal
import subprocess
import sys
import time
from collections import Counter

from spiders.rawstore import read_segment
from spiders.state import CrawlState
from tests.spiders.conftest import crawl, crawl_job, fixture_source
from tests.spiders.fixture_web.server import RESUME_ARTICLES


def test_a_killed_crawl_resumes_without_losing_or_duplicating_pages(tmp_path, web):
    source = fixture_source(web, feeds=[web.url("/resume/feed.xml")])
    job = crawl_job(tmp_path, source, "killed")
    job_file = tmp_path / "job-killed.json"
    job_file.write_text(job.model_dump_json())
    segment = tmp_path / "raw" / source.id / job.day.isoformat() / "killed.jsonl.gz"

    crawler = subprocess.Popen([sys.executable, "-m", "spiders", str(job_file)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (segment.is_file() and sum(p.kind == "article" for p in read_segment(segment)) >= 8):
            assert crawler.poll() is None and time.monotonic() < deadline, "the crawl ended before it was killed"
            time.sleep(0.05)
        crawler.send_signal(signal.SIGKILL)
    finally:
        crawler.wait(timeout=30)
    assert crawler.returncode == -signal.SIGKILL
    before_kill = [p.request_url for p in read_segment(segment) if p.kind == "article"]
    assert 8 <= len(before_kill) < RESUME_ARTICLES
    requested_before = len(web.paths("/resume/a"))
    with CrawlState(tmp_path / "state", source.id) as state:
        assert state.counts()["pending"] >= RESUME_ARTICLES - len(before_kill)

    resumed = crawl(tmp_path, source, "resumed")

    every_article = [web.url(f"/resume/a{i:02d}.html") for i in range(RESUME_ARTICLES)]
    stored = Counter(before_kill) + Counter(p.request_url for p in resumed.pages if p.kind == "article" and p.ok)
    assert sorted(stored) == every_article  # nothing lost
    assert set(stored.values()) == {1}  # nothing stored twice
    # The second run asked only for what the first had not stored (plus, at most, the one
    # page that was in flight when the first was killed).
    asked_again = web.paths("/resume/a")[requested_before:]
    assert not set(asked_again) & {url.removeprefix(web.base_url) for url in before_kill}
    assert resumed.stats["new_articles"] == RESUME_ARTICLES - len(before_kill)
    with CrawlState(tmp_path / "state", source.id) as state:
        assert state.counts() == {"stored": RESUME_ARTICLES}
        assert [c.crawl_id for c in state.recent_crawls(5)] == ["resumed", "killed"]
