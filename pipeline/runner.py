"""Running the ingest job through Dagster from the CLI, one run per (source, day) partition.

Runs execute in this process against the persistent instance, so they are recorded in its
storage and show in ``dagster dev`` like runs launched from the UI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dagster import DagsterInstance, ExecuteInProcessResult

from enrich.translation import TranslatorUnavailable
from pipeline.config import Settings
from pipeline.definitions import ASSETS, build_definitions, ingest_job, translate_pending_job
from pipeline.io_manager import partition_file
from pipeline.partitions import SOURCE_PARTITIONS, SourceDay
from pipeline.resources import ModelsResource, PendingTranslationsResource

# The CLI shows its own per-stage counts; Dagster's event log stays in the instance.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
STAGES = [asset.key.to_user_string() for asset in ASSETS]


@dataclass
class PartitionReport:
    """What one run did: metadata per stage (asset), or why it failed."""

    source_id: str
    day: date
    run_id: str
    success: bool
    error: str | None = None
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)

    def count(self, stage: str, key: str) -> int:
        value = self.stages.get(stage, {}).get(key, 0)
        return value if isinstance(value, int) else 0


def run_ingest(
    settings: Settings,
    source_ids: Iterable[str],
    day: date,
    instance: DagsterInstance,
    on_report: Callable[[PartitionReport], None] | None = None,
) -> list[PartitionReport]:
    partitions = [SourceDay(source_id, day) for source_id in source_ids]
    return run_partitions(settings, ingest_job.name, partitions, instance, on_report)


@dataclass
class PendingRetry:
    """What became of the articles still waiting for a translation from earlier runs."""

    waiting: int = 0  # articles, in the partitions below
    partitions: list[SourceDay] = field(default_factory=list)
    unavailable: str | None = None  # why they were not tried again: the model cannot be loaded
    reports: list[PartitionReport] = field(default_factory=list)


def run_pending_translations(
    settings: Settings,
    instance: DagsterInstance,
    skip: Iterable[SourceDay] = (),
    on_report: Callable[[PartitionReport], None] | None = None,
) -> PendingRetry:
    """Run the translation stage, and every stage after it, again for each partition whose
    articles still wait for a translation (except ``skip``: partitions this command just ran)."""
    skip = set(skip)
    with PendingTranslationsResource.from_settings(settings).open() as registry:
        waiting = registry.partitions()
    todo = [
        partition
        for partition in waiting
        if partition not in skip
        and partition_file(settings.assets_dir, "articles", partition.source_id, partition.day.isoformat()).is_file()
    ]
    retry = PendingRetry(waiting=sum(waiting[p] for p in todo), partitions=todo)
    if not todo or not settings.translate.enabled:
        return retry
    try:
        ModelsResource.from_settings(settings).translator()  # loaded once: the runs below reuse it
    except TranslatorUnavailable as problem:
        retry.unavailable = str(problem)
        return retry
    retry.reports = run_partitions(settings, translate_pending_job.name, todo, instance, on_report)
    return retry


def run_partitions(
    settings: Settings,
    job_name: str,
    partitions: Iterable[SourceDay],
    instance: DagsterInstance,
    on_report: Callable[[PartitionReport], None] | None = None,
) -> list[PartitionReport]:
    """One run of the job per partition, in the order given."""
    partitions = list(partitions)
    known = set(instance.get_dynamic_partitions(SOURCE_PARTITIONS.name))
    missing = sorted({partition.source_id for partition in partitions} - known)
    if missing:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, missing)
    job = build_definitions(settings).resolve_job_def(job_name)
    reports = []
    for partition in partitions:
        result = job.execute_in_process(
            partition_key=partition.key,
            instance=instance,
            run_config=QUIET_RUN_CONFIG,
            raise_on_error=False,
        )
        report = _report(partition, result)
        reports.append(report)
        if on_report:
            on_report(report)
    return reports


def _report(partition: SourceDay, result: ExecuteInProcessResult) -> PartitionReport:
    stages = {}
    for stage in STAGES:
        for materialization in result.asset_materializations_for_node(stage):
            stages[stage] = {key: value.value for key, value in materialization.metadata.items()}
    error = None
    if not result.success:
        failures = result.get_step_failure_events()
        cause = failures[0].step_failure_data.error if failures else None
        while cause is not None and cause.cause is not None:
            cause = cause.cause  # the user code's own error, not Dagster's wrappers
        if cause is not None:
            error = f"{failures[0].step_key}: {cause.message.strip().splitlines()[-1]}"
        else:
            error = f"run {result.run_id} failed; see its event log in the Dagster UI"
    return PartitionReport(
        source_id=partition.source_id,
        day=partition.day,
        run_id=result.run_id,
        success=result.success,
        error=error,
        stages=stages,
        failed_checks=[e.check_name for e in result.get_asset_check_evaluations() if not e.passed],
    )
