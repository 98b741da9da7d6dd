"""Running the ingest job through Dagster from the CLI, one run per (source, day) partition.

Runs execute in this process against the persistent instance, so they are recorded in its
storage and show in ``dagster dev`` like runs launched from the UI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dagster import (
    AssetMaterialization,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    ExecuteInProcessResult,
    RunsFilter,
)

from enrich.translation import TranslatorUnavailable
from pipeline.config import Settings
from pipeline.definitions import ASSETS, build_definitions, ingest_job, translate_pending_job
from pipeline.io_manager import partition_file
from pipeline.partitions import DAY_TAG, SOURCE_PARTITIONS, SOURCE_TAG, SourceDay
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

    def counts(self, stage: str, key: str) -> Mapping[str, int]:
        value = self.stages.get(stage, {}).get(key)
        return value if isinstance(value, dict) else {}


@dataclass
class StageSummary:
    """What a command's runs did, stage by stage: sums of the assets' materialisation
    metadata (what the Dagster UI shows for each partition)."""

    runs: int = 0
    runs_failed: int = 0
    fetched: int = 0
    fetch_failed: int = 0
    article_pages: int = 0
    extracted: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    to_translate: int = 0
    translated: int = 0
    translation_pending: int = 0
    classified: int = 0
    with_events: int = 0
    events: int = 0
    new_events: int = 0
    indexed: int = 0
    unchanged: int = 0
    index_failed: int = 0
    spooled: int = 0

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    @classmethod
    def of(cls, reports: Iterable[PartitionReport]) -> StageSummary:
        summary = cls()
        for report in reports:
            summary.runs += 1
            summary.runs_failed += not report.success
            summary.fetched += report.count("raw_pages", "pages_fetched")
            summary.fetch_failed += report.count("raw_pages", "pages_failed")
            summary.article_pages += report.count("articles", "article_pages")
            summary.extracted += report.count("articles", "extracted")
            summary.rejected_by_reason.update(report.counts("articles", "rejected_by_reason"))
            summary.duplicates += report.count("articles", "duplicates")
            summary.to_translate += report.count("translated_articles", "to_translate")
            summary.translated += report.count("translated_articles", "translated")
            summary.translation_pending += report.count("translated_articles", "pending")
            summary.classified += report.count("enriched_articles", "articles")
            summary.with_events += report.count("enriched_articles", "with_events")
            summary.events += report.count("events", "events")
            summary.new_events += report.count("events", "new_events")
            summary.indexed += report.count("search_index", "indexed")
            summary.unchanged += report.count("search_index", "unchanged")
            summary.index_failed += report.count("search_index", "failed")
            summary.spooled += report.count("search_index", "spooled")
        return summary


def run_ingest(
    settings: Settings,
    source_ids: Iterable[str],
    day: date,
    instance: DagsterInstance,
    on_report: Callable[[PartitionReport], None] | None = None,
    tags: Mapping[str, str] | None = None,
) -> list[PartitionReport]:
    partitions = [SourceDay(source_id, day) for source_id in source_ids]
    return run_partitions(settings, ingest_job.name, partitions, instance, on_report, tags)


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


def register_sources(instance: DagsterInstance, partitions: Iterable[SourceDay]) -> None:
    """Add the partitions' sources to the instance's dynamic ``source`` partitions."""
    known = set(instance.get_dynamic_partitions(SOURCE_PARTITIONS.name))
    missing = sorted({partition.source_id for partition in partitions} - known)
    if missing:
        instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, missing)


def run_partitions(
    settings: Settings,
    job_name: str,
    partitions: Iterable[SourceDay],
    instance: DagsterInstance,
    on_report: Callable[[PartitionReport], None] | None = None,
    tags: Mapping[str, str] | None = None,
) -> list[PartitionReport]:
    """One run of the job per partition, in the order given (``tags`` on each run)."""
    partitions = list(partitions)
    register_sources(instance, partitions)
    job = build_definitions(settings).resolve_job_def(job_name)
    reports = []
    for partition in partitions:
        result = job.execute_in_process(
            partition_key=partition.key,
            instance=instance,
            run_config=QUIET_RUN_CONFIG,
            raise_on_error=False,
            tags=tags,
        )
        report = _report(partition, result)
        reports.append(report)
        if on_report:
            on_report(report)
    return reports


def _metadata(materialization: AssetMaterialization) -> dict[str, Any]:
    return {key: value.value for key, value in materialization.metadata.items()}


def _report(partition: SourceDay, result: ExecuteInProcessResult) -> PartitionReport:
    stages = {}
    for stage in STAGES:
        for materialization in result.asset_materializations_for_node(stage):
            stages[stage] = _metadata(materialization)
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


# -- runs read back from the instance (launched by the daemon, or by another process) --------

FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def tagged_runs(instance: DagsterInstance, tags: Mapping[str, str]) -> list[DagsterRun]:
    """The runs carrying these tags, oldest first."""
    return list(reversed(instance.get_runs(RunsFilter(tags=dict(tags)))))


def stage_counts(instance: DagsterInstance, runs: Iterable[DagsterRun]) -> Counter[str]:
    """How many partitions each stage has materialised so far in these runs."""
    counts: Counter[str] = Counter()
    for run in runs:
        records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
        counts.update({record.asset_key.to_user_string() for record in records if record.asset_key})
    return counts


def run_report(instance: DagsterInstance, run: DagsterRun) -> PartitionReport:
    """What a finished run of a (source, day) partition did, from its event log: the same
    report as for a run executed in this process."""
    stages: dict[str, dict[str, Any]] = {}
    failed_checks, error = [], None
    for record in instance.get_records_for_run(run.run_id).records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            stages[event.asset_key.to_user_string()] = _metadata(event.step_materialization_data.materialization)
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION and not event.event_specific_data.passed:
            failed_checks.append(event.event_specific_data.check_name)
        elif event.event_type in (DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE) and error is None:
            cause = getattr(event.event_specific_data, "error", None)
            while cause is not None and cause.cause is not None:
                cause = cause.cause
            message = cause.message.strip().splitlines()[-1] if cause is not None else event.message or "failed"
            error = f"{event.step_key}: {message}" if event.step_key else message
    success = run.status == DagsterRunStatus.SUCCESS
    if not success and error is None:
        error = f"run {run.run_id} {run.status.value.lower()}; see its event log in the Dagster UI"
    return PartitionReport(
        source_id=run.tags.get(SOURCE_TAG, ""),
        day=date.fromisoformat(run.tags.get(DAY_TAG, "1970-01-01")),
        run_id=run.run_id,
        success=success,
        error=error,
        stages=stages,
        failed_checks=failed_checks,
    )
