"""Fixtures for crawler tests: the fixture web, and crawls run as the pipeline runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from spiders.job import CrawlJob, CrawlLimits
from spiders.rawstore import RawPage, RawStore
from spiders.sources import Source
from spiders.state import CrawlState, Link
from tests.spiders.fixture_web.server import FixtureWeb, serve_fixture_web

DAY = date(2025, 6, 1)
USER_AGENT = "MedRadar-test/0.1 (+https://example.org/medradar-contact)"
# Fast and deterministic: no throttling, short timeouts and backoffs; robots.txt obeyed.
TEST_LIMITS = CrawlLimits(autothrottle=False, timeout=1.0, retry_backoff=0.2, max_body_bytes=1024 * 1024)


@pytest.fixture
def web() -> Iterator[FixtureWeb]:
    with serve_fixture_web() as fixture_web:
        yield fixture_web


def fixture_source(web: FixtureWeb, **fields: object) -> Source:
    """A source on the fixture web; ``fields`` says how to crawl it."""
    defaults: dict[str, object] = {
        "id": "fixture",
        "name": "Fixture News",
        "language": "en",
        "homepage": f"{web.base_url}/",
        "allowed_domains": ["127.0.0.1"],
        "crawl_delay": 0,
    }
    return Source.model_validate({**defaults, **fields})


@dataclass
class Crawl:
    """What one crawl did: its statistics, the pages it stored, and its link decisions."""

    stats: dict
    pages: list[RawPage]
    links: list[Link]

    def stored(self, kind: str = "article") -> set[str]:
        return {p.request_url for p in self.pages if p.kind == kind and p.ok}

    def failed(self, kind: str = "article") -> dict[str, str]:
        return {p.request_url: p.reason for p in self.pages if p.kind == kind and p.reason}

    def skipped(self) -> dict[str, str]:
        return {link.url: link.reason for link in self.links if link.decision == "skipped"}

    def deferred(self) -> dict[str, str]:
        return {link.url: link.reason for link in self.links if link.decision == "deferred"}

    def page(self, url: str) -> RawPage:
        return next(p for p in self.pages if p.request_url == url)


def crawl_job(tmp_path: Path, source: Source, crawl_id: str = "run-1", limits: CrawlLimits = TEST_LIMITS) -> CrawlJob:
    return CrawlJob(
        source=source, raw_dir=tmp_path / "raw", state_dir=tmp_path / "state", day=DAY, crawl_id=crawl_id,
        user_agent=USER_AGENT, limits=limits, log_file=tmp_path / f"crawl-{crawl_id}.log",
    )


def run_job(job: CrawlJob, tmp_path: Path) -> dict:
    """``python -m spiders JOB.json`` in its own process, as the pipeline runs it."""
    job_file = tmp_path / f"job-{job.crawl_id}.json"
    job_file.write_text(job.model_dump_json())
    done = subprocess.run([sys.executable, "-m", "spiders", str(job_file)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def crawl(tmp_path: Path, source: Source, crawl_id: str = "run-1", **limits: object) -> Crawl:
    job = crawl_job(tmp_path, source, crawl_id, TEST_LIMITS.model_copy(update=limits))
    stats = run_job(job, tmp_path)
    pages = [p for p in RawStore(tmp_path / "raw").pages(source.id, DAY) if p.crawl_id == crawl_id]
    with CrawlState(tmp_path / "state", source.id) as state:
        links = state.links(crawl_id)
    return Crawl(stats, pages, links)
