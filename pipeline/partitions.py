"""How the pipeline's data is partitioned: by source and by the day it was crawled (UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable
from datetime import date, timedelta

from dagster import (
    AssetExecutionContext,
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
)

# Sources are dynamic partitions: registered in the Dagster instance when a run first needs
# them, so adding a source to sources.yaml (or running the demo's) needs no code change.
SOURCE_PARTITIONS = DynamicPartitionsDefinition(name="source")
DAY_PARTITIONS = DailyPartitionsDefinition(start_date="2024-01-01", end_offset=1, timezone="UTC")
SOURCE_DAY = MultiPartitionsDefinition({"source": SOURCE_PARTITIONS, "day": DAY_PARTITIONS})

# Dagster tags each run of a multi-partition with one tag per dimension; the queued run
# coordinator limits concurrent runs per value of this tag (see dagster.yaml).
SOURCE_TAG = "dagster/partition/source"
DAY_TAG = "dagster/partition/day"


@dataclass(frozen=True)
class SourceDay:
    source_id: str
    day: date

    @property
    def key(self) -> MultiPartitionKey:
        return MultiPartitionKey({"source": self.source_id, "day": self.day.isoformat()})

    @classmethod
    def between(cls, source_ids: Iterable[str], since: date, until: date) -> list[SourceDay]:
        """Every (source, day) from ``since`` to ``until`` inclusive, oldest day first."""
        days = [since + timedelta(days=offset) for offset in range((until - since).days + 1)]
        return [cls(source_id, day) for day in days for source_id in source_ids]

    @classmethod
    def of(cls, context: AssetExecutionContext) -> SourceDay:
        keys = context.partition_key.keys_by_dimension
        return cls(keys["source"], date.fromisoformat(keys["day"]))
