"""Back-fills: a date range of (source, day) partitions as one Dagster asset back-fill.

The back-fill is Dagster's own (the one the UI's "Materialize → Backfill" creates): stored in
the instance, turned into one run per partition by the daemon's back-fill loop, queued, and
launched in parallel by the queued run coordinator within dagster.yaml's limits (at most one
run per source at a time). ``medradar backfill`` submits it and, when no daemon is running
for the instance, runs ``dagster-daemon`` until the back-fill is done; a daemon killed half
way and started again carries on from what the instance recorded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetKey, DagsterInstance
from dagster._core.execution.backfill import BULK_ACTION_TERMINAL_STATUSES, BulkActionStatus, PartitionBackfill
from dagster._core.storage.tags import BACKFILL_ID_TAG
from dagster._core.utils import make_new_backfill_id
from dagster._daemon.controller import get_daemon_statuses

from pipeline.config import Settings
from pipeline.definitions import ASSETS, build_definitions
from pipeline.partitions import SourceDay
from pipeline.runner import FINISHED, PartitionReport, register_sources, run_report, stage_counts, tagged_runs

# The stages a back-fill materialises: everything (crawl included), or only what the stored
# raw pages feed (``reprocess``: nothing is fetched).
ALL_STAGES = [asset.key for asset in ASSETS]
REPROCESS_STAGES = ALL_STAGES[1:]
# Daemons a back-fill needs: the back-fill loop, and the queue that launches its runs.
DAEMONS = ("BACKFILL", "QUEUED_RUN_COORDINATOR")


def submit_backfill(
    settings: Settings, instance: DagsterInstance, partitions: Sequence[SourceDay], stages: Sequence[AssetKey]
) -> str:
    """Store an asset back-fill of ``stages`` over ``partitions`` in the instance; its id."""
    register_sources(instance, partitions)
    backfill_id = make_new_backfill_id()
    days = sorted({partition.day for partition in partitions})
    sources = sorted({partition.source_id for partition in partitions})
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id=backfill_id,
        asset_graph=build_definitions(settings).resolve_asset_graph(),
        partition_names=[str(partition.key) for partition in partitions],
        asset_selection=list(stages),
        backfill_timestamp=time.time(),
        tags={},
        dynamic_partitions_store=instance,
        all_partitions=False,
        title=f"medradar backfill {days[0]}..{days[-1]}",
        description=f"{len(partitions)} partition(s): {', '.join(sources)} × {days[0]}..{days[-1]}",
        run_config=None,
    )
    instance.add_backfill(backfill)
    return backfill_id


# A daemon writes a heartbeat every 30 s or so; one silent for longer is gone (Dagster's own
# default tolerance, 30 minutes, would keep a killed daemon "running" that long).
HEARTBEAT_TOLERANCE_SECONDS = 90


def daemon_running(instance: DagsterInstance) -> bool:
    """Whether a daemon heartbeats for this instance (a team's own, or another command's)."""
    statuses = get_daemon_statuses(
        instance, DAEMONS, ignore_errors=True, heartbeat_tolerance_seconds=HEARTBEAT_TOLERANCE_SECONDS
    )
    return all(status.healthy for status in statuses.values())


def daemon_command() -> list[str]:
    return [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-m", "pipeline.definitions"]


@contextmanager
def daemon(instance: DagsterInstance, environment: Mapping[str, str], log_file: Path) -> Iterator[subprocess.Popen]:
    """``dagster-daemon run`` on the definitions, for as long as the block runs; its output in
    ``log_file``. ``environment`` must name the instance (DAGSTER_HOME) and the settings.
    Its heartbeats are wiped when it stops, so the next command does not take it for alive."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own executable
            daemon_command(), env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        instance.wipe_daemon_heartbeats()


@dataclass
class BackfillProgress:
    """A back-fill as the instance records it."""

    backfill_id: str
    status: BulkActionStatus
    partitions: int
    runs: Counter[str] = field(default_factory=Counter)  # by run status
    stages: Counter[str] = field(default_factory=Counter)  # partitions materialised per stage

    @property
    def done(self) -> bool:
        return self.status in BULK_ACTION_TERMINAL_STATUSES


class BackfillWatcher:
    """Reads a back-fill's state and its runs' events from the instance; a finished run's
    events are read once."""

    def __init__(self, instance: DagsterInstance, backfill_id: str, partitions: int):
        self.instance = instance
        self.backfill_id = backfill_id
        self.partitions = partitions
        self._finished: dict[str, Counter[str]] = {}

    def runs(self):
        return tagged_runs(self.instance, {BACKFILL_ID_TAG: self.backfill_id})

    def progress(self) -> BackfillProgress:
        backfill = self.instance.get_backfill(self.backfill_id)
        runs = self.runs()
        stages: Counter[str] = Counter()
        for run in runs:
            if run.run_id in self._finished:
                stages.update(self._finished[run.run_id])
                continue
            counts = stage_counts(self.instance, [run])
            if run.status in FINISHED:
                self._finished[run.run_id] = counts
            stages.update(counts)
        return BackfillProgress(
            backfill_id=self.backfill_id,
            status=backfill.status,
            partitions=self.partitions,
            runs=Counter(run.status.value for run in runs),
            stages=stages,
        )

    def wait(
        self, on_progress: Callable[[BackfillProgress], None] | None = None, poll_seconds: float = 2.0,
        timeout: float | None = None,
    ) -> BackfillProgress:
        """Until the back-fill is finished (or ``timeout`` seconds): its last progress."""
        started = time.monotonic()
        while True:
            progress = self.progress()
            if on_progress:
                on_progress(progress)
            if progress.done or (timeout is not None and time.monotonic() - started > timeout):
                return progress
            time.sleep(poll_seconds)

    def reports(self) -> list[PartitionReport]:
        """One report per partition: its latest finished run's (a partition retried from the
        UI has more than one run)."""
        latest: dict[tuple[str, str], PartitionReport] = {}
        for run in self.runs():
            if run.status in FINISHED:
                report = run_report(self.instance, run)
                latest[(report.source_id, report.day.isoformat())] = report
        return sorted(latest.values(), key=lambda r: (r.day, r.source_id))

    def unfinished_runs(self) -> list[str]:
        return [run.run_id for run in self.runs() if run.status not in FINISHED]
