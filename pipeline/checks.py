"""Data-quality checks on the pipeline's assets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, AssetRecordsFilter, DagsterInstance

from pipeline.config import ArticlesSettings
from pipeline.partitions import SourceDay

REJECTION_RATE_CHECK = "rejection_rate_stable"
# How far back earlier partitions of a source are looked for, in days.
HISTORY_DAYS = 60


@dataclass(frozen=True)
class PageCounts:
    """One partition's article pages, and how many of them the gates rejected."""

    pages: int
    rejected: int

    @property
    def rate(self) -> float:
        return self.rejected / self.pages if self.pages else 0.0


def earlier_counts(instance: DagsterInstance, asset: AssetKey, partition: SourceDay, limit: int) -> list[PageCounts]:
    """The page counts of the source's latest ``limit`` earlier partitions (one per day,
    their latest materialization), from the instance's event log."""
    keys = [str(SourceDay(partition.source_id, partition.day - timedelta(days=back)).key) for back in range(1, HISTORY_DAYS + 1)]
    records = instance.fetch_materializations(AssetRecordsFilter(asset_key=asset, asset_partitions=keys), limit=1000).records
    latest: dict[str, PageCounts] = {}
    for record in records:  # newest first
        materialization = record.asset_materialization
        if materialization is None or record.partition_key in latest:
            continue
        metadata = {key: value.value for key, value in materialization.metadata.items()}
        if isinstance(metadata.get("article_pages"), int) and isinstance(metadata.get("rejected"), int):
            latest[record.partition_key] = PageCounts(metadata["article_pages"], metadata["rejected"])
    days = sorted(latest, reverse=True)[:limit]  # the day sorts first in the key
    return [latest[day] for day in days]


def rejection_rate_check(current: PageCounts, history: Iterable[PageCounts], settings: ArticlesSettings) -> AssetCheckResult:
    """Fails (as a warning) when this partition rejects a much larger share of its pages
    than the source's earlier partitions did together: a changed page layout or a site
    that now blocks us, rather than a day of odd pages."""
    history = list(history)
    earlier = PageCounts(sum(h.pages for h in history), sum(h.rejected for h in history))
    metadata = {
        "rejection_rate": round(current.rate, 4),
        "earlier_rate": round(earlier.rate, 4),
        "earlier_partitions": len(history),
        "article_pages": current.pages,
    }
    if current.pages < settings.rejection_min_pages or earlier.pages < settings.rejection_min_pages:
        return AssetCheckResult(
            passed=True,
            check_name=REJECTION_RATE_CHECK,
            metadata={**metadata, "judged": False},
            description="too few article pages to judge",
        )
    jump = current.rate - earlier.rate
    passed = jump < settings.rejection_rate_jump
    return AssetCheckResult(
        passed=passed,
        check_name=REJECTION_RATE_CHECK,
        severity=AssetCheckSeverity.WARN,
        metadata={**metadata, "judged": True},
        description=(
            None
            if passed
            else f"rejected {current.rate:.0%} of the article pages against {earlier.rate:.0%} before:"
            " has the source changed its pages?"
        ),
    )
