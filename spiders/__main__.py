"""``python -m spiders JOB.json`` runs one crawl job; under Dagster Pipes the job arrives as
the ``job`` extra and the summary goes back as the asset's materialization metadata."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dagster_pipes import PipesEnvVarParamsLoader, open_dagster_pipes

from spiders.crawl import run_crawl
from spiders.job import CrawlJob


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except Exception as problem:  # noqa: BLE001 - one line for the user; Pipes has the details
        print(f"crawl failed: {type(problem).__name__}: {problem}", file=sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    if PipesEnvVarParamsLoader().is_dagster_pipes_process():
        # On an exception, leaving this block reports it to Dagster before it propagates.
        with open_dagster_pipes() as pipes:
            job = CrawlJob.model_validate(pipes.get_extra("job"))
            stats = run_crawl(job)
            pipes.report_asset_materialization(
                metadata={
                    "pages_fetched": stats.pages - stats.failed,
                    "pages_failed": stats.failed,
                    "pages_not_modified": stats.not_modified,
                    "articles_fetched": stats.articles,
                    "new_articles": stats.new_articles,
                    "bytes": stats.bytes,
                    "crawl_seconds": stats.seconds,
                    "failed_by_reason": {"raw_value": stats.failed_by_reason, "type": "json"},
                    "skipped_by_reason": {"raw_value": stats.skipped_by_reason, "type": "json"},
                    "deferred_by_reason": {"raw_value": stats.deferred_by_reason, "type": "json"},
                    "segment": {"raw_value": stats.segment or "", "type": "path"},
                }
            )
        return 0

    parser = argparse.ArgumentParser(
        prog="python -m spiders",
        description="Run one crawl job and print its statistics as JSON.",
        epilog="example: python -m spiders job.json",
    )
    parser.add_argument("job", type=Path, help="a CrawlJob as JSON")
    args = parser.parse_args(argv)
    job = CrawlJob.model_validate_json(args.job.read_text(encoding="utf-8"))
    print(json.dumps(run_crawl(job).as_dict(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
