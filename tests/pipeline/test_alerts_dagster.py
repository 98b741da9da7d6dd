"""The alerts in Dagster: the sensor on search_index, the alerts asset with its outbox check."""

from __future__ import annotations

import gzip
from datetime import date

from dagster import AssetMaterialization, DagsterInstance, RunRequest, SkipReason, build_sensor_context, materialize
from pydantic import TypeAdapter

from enrich.schema import EnrichedArticle
from pipeline import assets
from pipeline.config import Settings
from pipeline.definitions import build_definitions, watches_sensor
from pipeline.eventstore import EventStore
from pipeline.io_manager import partition_file
from pipeline.notify.mailserver import LocalMailServer
from pipeline.partitions import SourceDay
from pipeline.resources import AlertsResource, EventStoreResource, SearchBackendResource
from search.sqlite import SqliteBackend
from tests.pipeline.test_alerts import FIVE, watch


def test_definitions_have_the_sensor_the_daily_schedule_and_the_outbox_check():
    defs = build_definitions(Settings())
    assert defs.resolve_sensor_def("watches_sensor").job_name == "alerts"
    schedule = defs.resolve_schedule_def("daily_alerts")
    assert (schedule.cron_schedule, schedule.job_name) == ("0 7 * * *", "alerts")
    graph = defs.resolve_asset_graph()
    assert {check.name for check in graph.asset_check_keys} >= {"outbox_not_growing", "event_coverage"}


def test_the_sensor_asks_for_one_alerts_run_per_batch_of_indexed_partitions():
    instance = DagsterInstance.ephemeral()
    for source, day in (("wire", "2025-03-05"), ("36kr", "2025-03-06")):
        partition = SourceDay(source, date.fromisoformat(day)).key
        instance.report_runless_asset_event(AssetMaterialization(asset_key="search_index", partition=partition))
    context = build_sensor_context(instance=instance)
    request = watches_sensor(context)
    assert isinstance(request, RunRequest)
    config = request.run_config["ops"]["alert_outbox"]["config"]
    assert config["partitions"] == [["36kr", "2025-03-06"], ["wire", "2025-03-05"]]
    again = watches_sensor(build_sensor_context(instance=instance, cursor=context.cursor))
    assert isinstance(again, SkipReason)


def test_the_alerts_asset_sends_once_and_its_check_watches_the_outbox(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    backend = SqliteBackend(settings.index_path)
    backend.upsert(FIVE)
    with EventStore(settings.events_path, window_days=90) as store:
        for article in FIVE:
            store.replace_partition(article.source_id, article.published_at.date(), [article])
            path = partition_file(settings.assets_dir, "enriched_articles", article.source_id, article.published_at.date().isoformat())
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(gzip.compress(TypeAdapter(list[EnrichedArticle]).dump_json([article])))
    partitions = [[a.source_id, a.published_at.date().isoformat()] for a in FIVE]
    with LocalMailServer() as mail:
        backend.put_watch(watch())
        backend.close()
        settings.alerts.smtp.port = mail.port
        resources = {
            "search": SearchBackendResource.from_settings(settings),
            "event_store": EventStoreResource.from_settings(settings),
            "alerts": AlertsResource.from_settings(settings),
        }
        run_config = {"ops": {"alert_outbox": {"config": {"partitions": partitions}}}}
        for _ in range(2):
            result = materialize([assets.alert_outbox], resources=resources, run_config=run_config)
            assert result.success
        [check] = result.get_asset_check_evaluations()
        assert check.passed and check.metadata["unsent"].value == 0
        [materialization] = result.asset_materializations_for_node("alert_outbox")
        assert materialization.metadata["sent"].value == 0 and materialization.metadata["outbox_sent"].value == 1
        assert len(mail.messages) == 1
