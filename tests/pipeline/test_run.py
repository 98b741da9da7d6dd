"""`medradar run`: the asset graph through Dagster, recorded in the instance, idempotent."""

import re

from dagster import DagsterInstance, DagsterRunStatus

from pipeline.config import load_settings
from search.query import SearchQuery
from search.sqlite import SqliteBackend
from tests.support import medradar


def test_run_materialises_every_stage_and_rerunning_changes_nothing(tmp_path, sample_config):
    first = medradar("--config", str(sample_config), "run")
    assert first.returncode == 0, first.stderr
    assert re.search(r"medtech-wire .* pages 6 \(0 failed\) → articles 5 \(0 rejected, 0 duplicates\) .* indexed 5", first.stdout)
    settings = load_settings(sample_config)
    with SqliteBackend(settings.index_path) as index:
        before = {hit.id: index.get(hit.id) for hit in index.search(SearchQuery(limit=100)).hits}
    assert len(before) == 11

    second = medradar("--config", str(sample_config), "run", "--source", "yixie-guancha")
    assert second.returncode == 0, second.stderr
    assert "indexed 0 (6 unchanged)" in second.stdout
    with SqliteBackend(settings.index_path) as index:
        after = {hit.id: index.get(hit.id) for hit in index.search(SearchQuery(limit=100)).hits}
    assert after == before

    instance = DagsterInstance.from_config(str(settings.dagster_home))
    runs = instance.get_runs()
    assert len(runs) == 3 and all(run.status == DagsterRunStatus.SUCCESS for run in runs)
    assert {run.tags["dagster/partition/source"] for run in runs} == {"medtech-wire", "yixie-guancha"}
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
