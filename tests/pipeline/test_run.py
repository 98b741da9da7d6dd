"""`medradar run`: the asset graph through Dagster, recorded in the instance, idempotent."""

import re

from dagster import AssetCheckKey, AssetKey, DagsterInstance, DagsterRunStatus

from pipeline.config import load_settings
from pipeline.eventstore import EventStore
from search.query import SearchQuery
from search.sqlite import SqliteBackend
from tests.support import medradar


def test_run_materialises_every_stage_and_rerunning_changes_nothing(tmp_path, sample_config):
    first = medradar("--config", str(sample_config), "run")
    assert first.returncode == 0, first.stderr
    # feed + listing pages 1 and 2 + 5 articles
    assert re.search(
        r"medtech-wire .* pages 8 \(0 failed\) → articles 5 \(0 rejected, 0 duplicates\) .* indexed 5", first.stdout
    )
    settings = load_settings(sample_config)
    with SqliteBackend(settings.index_path) as index:
        before = {hit.id: index.get(hit.id) for hit in index.search(SearchQuery(limit=100)).hits}
    assert len(before) == 11

    second = medradar("--config", str(sample_config), "run", "--source", "yixie-guancha")
    assert second.returncode == 0, second.stderr
    # The crawler remembers: only the feed and the two listing pages are fetched again.
    assert re.search(r"yixie-guancha .* pages 3 \(0 failed\)", second.stdout)
    assert "indexed 0 (6 unchanged)" in second.stdout
    with SqliteBackend(settings.index_path) as index:
        after = {hit.id: index.get(hit.id) for hit in index.search(SearchQuery(limit=100)).hits}
    assert after == before

    # events: one per deal across both outlets and languages, unchanged by the re-run
    assert "→ events 4 (0 new)" in second.stdout  # the yixie-guancha partition's events already existed
    with EventStore(settings.events_path, settings.events.window_days) as store:
        deal = next(e for e in store.events() if e.type == "merger_acquisition")
    assert deal.sources == ["medtech-wire", "yixie-guancha"] and deal.languages == ["en", "zh"]

    instance = DagsterInstance.from_config(str(settings.dagster_home))
    runs = instance.get_runs()
    assert len(runs) == 3 and all(run.status == DagsterRunStatus.SUCCESS for run in runs)
    checks = instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(AssetKey("events"), "event_coverage"), limit=10
    )
    assert len(checks) == 3 and all(c.event.dagster_event.event_specific_data.passed for c in checks)
    assert {run.tags["dagster/partition/source"] for run in runs} == {"medtech-wire", "yixie-guancha"}
    # Each command ends with a per-stage summary: the sums of its runs' asset metadata as the
    # instance recorded them (and the Dagster UI shows them).
    from pipeline.console import stage_summary_lines
    from pipeline.runner import StageSummary, run_report

    first_runs = [run for run in runs if run.tags["medradar/command"] == runs[-1].tags["medradar/command"]]
    summary = StageSummary.of(run_report(instance, run) for run in first_runs)
    assert len(first_runs) == 2 and summary.extracted == 11 and summary.indexed == 11
    for line in stage_summary_lines(summary):
        assert f"  {line}\n" in first.stdout
    assert instance.get_latest_materialization_event(
        __import__("dagster").AssetKey("search_index")
    ) is not None


def test_unknown_source_is_a_usage_error(sample_config):
    done = medradar("--config", str(sample_config), "run", "--source", "nope")
    assert done.returncode == 2 and "unknown source nope" in done.stderr


def test_an_unreachable_source_is_recorded_and_the_others_still_run(tmp_path, sample_config):
    sources = sample_config.parent / "sources.yaml"
    sources.write_text(
        sources.read_text()
        + "- id: unreachable\n  name: Down\n  language: en\n  homepage: http://127.0.0.1:9/\n"
        "  feeds: [http://127.0.0.1:9/feed.xml]\n  crawl_delay: 0\n"
    )
    done = medradar("--config", str(sample_config), "run")
    assert done.returncode == 0, done.stderr
    assert re.search(r"unreachable .* pages 0 \(1 failed\)", done.stdout)
    assert "articles indexed 11" in done.stdout


def test_a_run_that_fails_exits_1_with_the_reason(tmp_path, sample_config):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "raw").write_text("not a directory")  # the raw store cannot be written
    done = medradar("--config", str(sample_config), "run", "--source", "medtech-wire")
    assert done.returncode == 1
    assert "FAILED: raw_pages:" in done.stdout
    assert "1 of 1 run(s) failed: medtech-wire" in done.stderr


def test_a_sudden_drop_in_articles_with_events_fails_the_coverage_check(tmp_path, sample_config):
    """The source had events in 60% of its articles on each of the last days; today a broken
    trigger file finds none: the run succeeds, the check fails and says so."""
    from datetime import UTC, datetime, timedelta

    from tests.pipeline.test_eventstore import ANALYSER, CLINIC, EN

    settings = load_settings(sample_config)
    today = datetime.now(UTC).date()
    with_event, without = ANALYSER.enrich([EN, CLINIC])
    with EventStore(settings.events_path, settings.events.window_days) as store:
        for back in range(1, 6):
            day = today - timedelta(days=back)
            history = [with_event.model_copy(update={"id": f"{back}-{i}"}) for i in range(6)]
            history += [without.model_copy(update={"id": f"{back}-n{i}"}) for i in range(4)]
            store.replace_partition("medtech-wire", day, history)
    broken = tmp_path / "never.yaml"
    broken.write_text("\n".join(
        f"{name}:\n  en: x\n  zh: 无\n  hypothesis: {{en: x, zh: 无}}\n  triggers: {{en: ['zzz-never-zzz']}}"
        for name in ("partnership", "ai", "merger_acquisition", "funding", "licensing", "regulatory")
    ) + "\n")
    done = medradar("--config", str(sample_config), "run", "--source", "medtech-wire",
                    env={"MEDRADAR_CLASSIFY__EVENT_TYPES_FILE": str(broken)})
    assert done.returncode == 0, done.stderr
    assert re.search(r"medtech-wire .* with events 0 .* check failed: event_coverage", done.stdout)
    instance = DagsterInstance.from_config(str(settings.dagster_home))
    [check] = instance.event_log_storage.get_asset_check_execution_history(
        AssetCheckKey(AssetKey("events"), "event_coverage"), limit=10
    )
    evaluation = check.event.dagster_event.event_specific_data
    assert not evaluation.passed
    assert evaluation.metadata["baseline_share"].value == 0.6 and evaluation.metadata["share"].value == 0.0
