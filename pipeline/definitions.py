"""Every Dagster definition of MedRadar, in one place.

``dagster dev -m pipeline.definitions`` and ``dagster definitions validate -m
pipeline.definitions`` load ``defs`` (configured from ``medradar.yaml``, see
``pipeline.config``); the ``medradar`` CLI calls ``build_definitions`` with its own settings.
"""

from __future__ import annotations

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    DagsterRunStatus,
    Definitions,
    ExecutorDefinition,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    definitions,
    in_process_executor,
    multiprocess_executor,
    sensor,
)

from pipeline import assets
from pipeline.config import Settings, load_settings
from pipeline.digest.assets import DigestResource, digest_definitions
from pipeline.io_manager import JsonPartitionIOManager
from pipeline.partitions import SOURCE_DAY
from pipeline.resources import (
    AlertsResource,
    ArticleRulesResource,
    CrawlerResource,
    DuplicateStoreResource,
    EventStoreResource,
    ModelsResource,
    PendingTranslationsResource,
    RawStoreResource,
    SearchBackendResource,
    SourcesResource,
)

ASSETS = [
    assets.raw_pages,
    assets.articles,
    assets.translated_articles,
    assets.enriched_articles,
    assets.events,
    assets.search_index,
]
ASSET_CHECKS = [assets.event_coverage]

ingest_job = define_asset_job(
    "ingest",
    selection=AssetSelection.assets(*ASSETS),
    description="Crawl a source for a day, extract, translate, classify, merge events and index what was found.",
)

reprocess_job = define_asset_job(
    "reprocess",
    # Everything the raw pages feed, so a stage added later is reprocessed too.
    selection=AssetSelection.assets(assets.raw_pages).downstream(include_self=False),
    description="Extract, translate, classify and index a source's stored raw pages for a day again, fetching"
    " nothing: after the extraction, the quality gates or the classifiers changed.",
)

# Partitions whose articles are still waiting for a translation (pipeline.pending) are run
# again from the translation stage on: no crawl, no extraction.
translate_pending_job = define_asset_job(
    "translate_pending",
    selection=AssetSelection.assets(assets.translated_articles).downstream(),
    description="Translate a partition's pending articles, then update what depends on them.",
)


alerts_job = define_asset_job(
    "alerts",
    selection=AssetSelection.assets(assets.alert_outbox),
    description="Match watches against newly indexed articles, queue and send alerts (daily: also daily watches"
    " and trend spikes).",
)
# Runs whose indexing the sensor waits for, so that a deal reported by several sources in
# one `medradar run` alerts once, listing them all.
INDEXING_JOBS = [ingest_job.name, reprocess_job.name, translate_pending_job.name]
UNFINISHED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


@sensor(job=alerts_job, minimum_interval_seconds=60, description="Evaluate the watches on what search_index indexed.")
def watches_sensor(context: SensorEvaluationContext):
    """Once no indexing run is unfinished, one alerts run for every search_index
    materialisation since the last one seen (the cursor: its storage id)."""
    after = int(context.cursor) if context.cursor else None
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("search_index"), after_storage_id=after), limit=10_000, ascending=True
    ).records
    if not records:
        return SkipReason("nothing indexed since the last alerts run")
    busy = sum(context.instance.get_runs_count(RunsFilter(job_name=job, statuses=UNFINISHED)) for job in INDEXING_JOBS)
    if busy:
        return SkipReason(f"waiting for {busy} indexing run(s) to finish")
    partitions = sorted(
        {
            (keys["source"], keys["day"])
            for record in records
            if record.partition_key
            for keys in [SOURCE_DAY.get_partition_key_from_str(record.partition_key).keys_by_dimension]
        }
    )
    last = records[-1].storage_id
    context.update_cursor(str(last))
    return RunRequest(
        run_key=f"search_index-{last}",
        run_config={"ops": {"alert_outbox": {"config": {"partitions": [list(p) for p in partitions]}}}},
    )


def daily_alerts_schedule(settings: Settings) -> ScheduleDefinition:
    return ScheduleDefinition(
        name="daily_alerts",
        job=alerts_job,
        cron_schedule=settings.alerts.daily_at,
        execution_timezone="UTC",
        run_config={"ops": {"alert_outbox": {"config": {"daily": True}}}},
        description="Daily watches' messages and trend spikes, then whatever the outbox still holds.",
    )


def executor(settings: Settings) -> ExecutorDefinition:
    """How the steps of a run the daemon or the UI launches execute (``dagster.executor``):
    in the run's process, or each in its own (``medradar run`` always runs in process)."""
    if settings.dagster.executor == "multiprocess":
        return multiprocess_executor.configured({"max_concurrent": settings.dagster.max_concurrent})
    return in_process_executor


def build_definitions(settings: Settings) -> Definitions:
    digests, digest_schedules = digest_definitions(settings)
    return Definitions(
        executor=executor(settings),
        assets=[*ASSETS, assets.alert_outbox, *digests],
        asset_checks=ASSET_CHECKS,
        jobs=[ingest_job, reprocess_job, translate_pending_job, alerts_job],
        sensors=[watches_sensor],
        schedules=[daily_alerts_schedule(settings), *digest_schedules],
        resources={
            "io_manager": JsonPartitionIOManager(root=str(settings.assets_dir)),
            "sources": SourcesResource(sources_file=str(settings.sources_file)),
            "raw_store": RawStoreResource(root=str(settings.raw_dir)),
            "crawler": CrawlerResource.from_settings(settings),
            "search": SearchBackendResource.from_settings(settings),
            "models": ModelsResource.from_settings(settings),
            "event_store": EventStoreResource.from_settings(settings),
            "article_rules": ArticleRulesResource.from_settings(settings),
            "duplicates": DuplicateStoreResource.from_settings(settings),
            "pending_translations": PendingTranslationsResource.from_settings(settings),
            "alerts": AlertsResource.from_settings(settings),
            "digest": DigestResource.from_settings(settings),
        },
    )


@definitions
def defs() -> Definitions:
    return build_definitions(load_settings())
