"""The raw_pages asset in Dagster: its metadata per run, and the check that a source still
yields new articles."""

from datetime import UTC, datetime

from dagster import AssetCheckKey, AssetKey
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from pipeline.assets import NEW_ARTICLES_CHECK
from pipeline.config import load_settings
from pipeline.instance import open_instance
from pipeline.partitions import SOURCE_TAG
from pipeline.runner import run_ingest


def test_crawl_metadata_and_the_quiet_source_check(tmp_path, sample_config):
    sample_config.write_text(sample_config.read_text() + "crawl:\n  stale_after_runs: 2\n")
    settings = load_settings(sample_config)
    instance = open_instance(settings)
    day = datetime.now(UTC).date()

    reports = [run_ingest(settings, ["medtech-wire"], day, instance)[0] for _ in range(3)]
    assert all(report.success for report in reports), [r.error for r in reports]

    first, second = reports[0].stages["raw_pages"], reports[1].stages["raw_pages"]
    assert (first["pages_fetched"], first["new_articles"], first["articles_fetched"]) == (8, 5, 5)
    assert first["failed_by_reason"] == {} and first["bytes"] > 10_000
    # The same day again: the feed and listing pages, no article (all seen), nothing failed.
    assert (second["pages_fetched"], second["new_articles"], second["articles_fetched"]) == (3, 0, 0)
    assert second["skipped_by_reason"] == {"seen": 10}  # 5 from the feed, 5 from the listing

    history = instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(AssetKey("raw_pages"), NEW_ARTICLES_CHECK), limit=10
    )
    statuses = [record.status for record in reversed(history)]  # oldest first
    assert statuses == [
        AssetCheckExecutionRecordStatus.SUCCEEDED,  # 5 new articles
        AssetCheckExecutionRecordStatus.SUCCEEDED,  # 1 quiet run: under the threshold of 2
        AssetCheckExecutionRecordStatus.FAILED,  # 2 quiet runs in a row
    ]
    latest = history[0].event.dagster_event.event_specific_data.metadata
    assert latest["runs_without_new_articles"].value == 2


def test_one_crawl_per_source_at_a_time(tmp_path, sample_config):
    """The queued run coordinator limits runs per value of the tag Dagster puts on every run
    of a multi-partition: the source. Two sources crawl in parallel; one source never twice."""
    settings = load_settings(sample_config)
    instance = open_instance(settings)
    limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert limits == [{"key": SOURCE_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
    report = run_ingest(settings, ["yixie-guancha"], datetime.now(UTC).date(), instance)[0]
    assert instance.get_run_by_id(report.run_id).tags[SOURCE_TAG] == "yixie-guancha"
