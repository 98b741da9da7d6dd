"""Crawl speed and memory against the fixture web on loopback, politeness off and on.

Each configuration crawls a feed of plain ~15 KB articles (``/bulk/feed.xml?n=N`` of
``tests/spiders/fixture_web``) in its own ``python -m spiders`` process, as the pipeline runs
it, into a throw-away data directory. Reported: pages per second over the crawl itself
(Scrapy's elapsed time, process start-up excluded), wall time of the whole process, and the
process's CPU time and peak resident memory (``wait4`` rusage). With 1-2 requests in flight per
site, the rate is bound by the server's answer time: CPU time says what the crawler itself costs.

Configurations:
- ``off``: robots.txt ignored, no AutoThrottle, no delay, 2 requests in flight;
- ``on``: robots.txt obeyed, AutoThrottle, 1 request in flight, no per-source delay;
- ``on, delay``: the same with the registry's usual 1 s ``crawl_delay`` (fewer pages: the
  rate is what matters).

Usage: .venv/bin/python bench/crawl.py [--pages 400] [--delayed-pages 20] [--out bench/results/crawl.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from time import perf_counter

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from spiders.job import CrawlJob, CrawlLimits  # noqa: E402
from spiders.sources import Source  # noqa: E402
from tests.spiders.fixture_web.server import serve_fixture_web  # noqa: E402


@dataclass
class Result:
    name: str
    pages: int
    crawl_seconds: float
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.crawl_seconds if self.crawl_seconds else 0.0


def run(name: str, base_url: str, articles: int, limits: CrawlLimits, crawl_delay: float) -> Result:
    source = Source(
        id="bench", name="Bench", language="en", homepage=f"{base_url}/", allowed_domains=["127.0.0.1"],
        feeds=[f"{base_url}/bulk/feed.xml?n={articles}"], crawl_delay=crawl_delay, max_new_articles=articles,
    )
    with tempfile.TemporaryDirectory() as tmp:
        job = CrawlJob(
            source=source, raw_dir=Path(tmp) / "raw", state_dir=Path(tmp) / "state", day=date(2025, 6, 1),
            crawl_id=name.replace(" ", "-").replace(",", ""), user_agent="MedRadar-bench/0.1 (+https://example.org)",
            limits=limits, log_file=Path(tmp) / "crawl.log",
        )
        job_file = Path(tmp) / "job.json"
        job_file.write_text(job.model_dump_json())
        started = perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "spiders", str(job_file)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
        )
        output = process.stdout.read() if process.stdout else ""
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = perf_counter() - started
        if process.returncode != 0:
            raise SystemExit(f"{name}: the crawl failed; see {job.log_file}")
        stats = json.loads(output)
    if stats["articles"] != articles:
        raise SystemExit(f"{name}: {stats['articles']} of {articles} articles fetched: {stats['failed_by_reason']}")
    cpu = usage.ru_utime + usage.ru_stime
    return Result(name, stats["pages"], stats["seconds"], wall, cpu, usage.ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=400, help="articles per crawl, politeness off and on")
    parser.add_argument("--delayed-pages", type=int, default=20, help="articles for the run with a 1 s delay")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results" / "crawl.md")
    args = parser.parse_args()

    off = CrawlLimits(obey_robots=False, autothrottle=False, concurrency_per_domain=2)
    on = CrawlLimits()
    with serve_fixture_web() as web:
        results = [
            run("off", web.base_url, args.pages, off, crawl_delay=0),
            run("on", web.base_url, args.pages, on, crawl_delay=0),
            run("on, delay 1 s", web.base_url, args.delayed_pages, on, crawl_delay=1.0),
        ]

    baseline = results[0]
    lines = [
        "# Crawl benchmark: the fixture web on loopback, politeness off and on",
        "",
        f"Command: `.venv/bin/python bench/crawl.py --pages {args.pages} --delayed-pages {args.delayed_pages}`  ",
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}), shared with other work.",
        "",
        "Pages include the feed (robots.txt is fetched but not counted). Rates are over the crawl itself;",
        "wall time adds the process start-up (imports, reactor); CPU is the crawl process's user + system time.",
        "The fixture server (Python's http.server, in the benchmark's process) answers each request on a new",
        "connection, so with at most 2 requests in flight its latency, not the crawler, sets the 'off' rate.",
        "",
        "| politeness | pages | pages/s | vs off | crawl s | wall s | CPU s | peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        ratio = result.pages_per_second / baseline.pages_per_second
        lines.append(
            f"| {result.name} | {result.pages} | {result.pages_per_second:.1f} | {ratio:.3f}× | "
            f"{result.crawl_seconds:.1f} | {result.wall_seconds:.1f} | {result.cpu_seconds:.1f} | "
            f"{result.peak_rss_mb:.0f} |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
