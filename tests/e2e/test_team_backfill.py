"""The team deployment for real: Dagster storage on a PostgreSQL server (tests/postgres.py),
`medradar backfill` over source × day partitions run by the Dagster daemon as parallel runs,
the multiprocess executor; a re-run changes nothing; a daemon killed half way through a
back-fill and started again finishes it without running a finished partition twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._core.execution.backfill import BulkActionStatus
from dagster._core.storage.tags import BACKFILL_ID_TAG

from pipeline.backfill import daemon_command
from pipeline.config import load_settings
from pipeline.eventstore import EventStore
from pipeline.instance import TEAM_DAGSTER_YAML
from pipeline.notify.mailserver import LocalMailServer
from pipeline.runner import StageSummary, run_report
from search.query import SearchQuery
from search.sqlite import SqliteBackend
from spiders.rawstore import RawStore
from tests.support import medradar

pytestmark = pytest.mark.e2e

SOURCES = ("medtech-wire", "yixie-guancha")


def team_config(config: Path, executor: str, smtp_port: int | None = None) -> Path:
    text = config.read_text() + f"dagster:\n  instance: team\n  executor: {executor}\n"
    if smtp_port:
        text += f"alerts:\n  smtp:\n    host: 127.0.0.1\n    port: {smtp_port}\n"
    config.write_text(text)
    return config


def instance_of(config: Path) -> DagsterInstance:
    return DagsterInstance.from_config(str(load_settings(config).dagster_home))


def backfill_id(stdout: str) -> str:
    return re.search(r"back-fill (\w+): ", stdout).group(1)


def stage_summary(stdout: str) -> dict[str, str]:
    block = stdout.split("per stage:\n", 1)[1].splitlines()
    return {line.split()[0]: " ".join(line.split()[1:]) for line in block[:7]}


def state(config: Path) -> dict:
    """What the pipeline holds: stored article pages, index, events, per-partition articles."""
    settings = load_settings(config)
    store = RawStore(settings.raw_dir)
    article_pages = [
        page.url for source in SOURCES for day in store.days(source) for page in store.pages(source, day)
        if page.kind == "article" and page.ok
    ]
    with SqliteBackend(settings.index_path) as index:
        indexed = sorted(hit.id for hit in index.search(SearchQuery(limit=100)).hits)
    with EventStore(settings.events_path, settings.events.window_days) as events:
        event_ids = sorted((e.id, tuple(e.article_ids)) for e in events.events())
    return {"article_pages": sorted(article_pages), "indexed": indexed, "events": event_ids}


def test_a_backfill_on_postgres_runs_partitions_in_parallel_and_rerunning_changes_nothing(
    sample_config, postgres_url, monkeypatch
):
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", postgres_url)
    with LocalMailServer() as mail:
        config = team_config(sample_config, "multiprocess", mail.port)
        watch = medradar("--config", str(config), "watch", "add", "ortho", "", "--type", "merger_acquisition",
                         "--email", "analyst@example.com")  # fmt: skip
        assert watch.returncode == 0, watch.stderr
        done = medradar("--config", str(config), "backfill", "--since", "2025-06-01", "--until", "2025-06-02")
        assert done.returncode == 0, done.stderr + done.stdout
        first = state(config)
        assert len(mail.messages) == 1  # Stryker–Inari, reported by both outlets: one alert

        instance = instance_of(config)
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        [backfill] = instance.get_backfills()
        assert backfill.backfill_id == backfill_id(done.stdout) and backfill.status == BulkActionStatus.COMPLETED_SUCCESS
        runs = instance.get_runs()
        assert len(runs) == 4 and all(run.status == DagsterRunStatus.SUCCESS for run in runs)
        assert all(run.tags[BACKFILL_ID_TAG] == backfill.backfill_id for run in runs)
        partitions = Counter((run.tags["dagster/partition/source"], run.tags["dagster/partition/day"]) for run in runs)
        assert partitions == {(s, d): 1 for s in SOURCES for d in ("2025-06-01", "2025-06-02")}
        # every stage of a partition in one run, each step in its own process
        for run in runs:
            records = instance.get_records_for_run(run.run_id).records
            messages = " ".join(r.event_log_entry.message or "" for r in records)
            assert "multiprocess executor" in messages
            starts = [r.event_log_entry.dagster_event for r in records if r.event_log_entry.is_dagster_event
                      and r.event_log_entry.dagster_event.event_type_value == "STEP_START"]  # fmt: skip
            # the six stages and the event_coverage check, each in a process of its own
            assert {e.step_key for e in starts} >= {"raw_pages", "search_index"} and len(starts) == 7
            assert len({e.pid for e in starts}) == 7
        # two runs overlapped in time: partitions of different sources ran in parallel
        spans = sorted((r.start_time, r.end_time) for r in instance.get_run_records())
        assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))

        # The per-stage summary is the sum of the assets' metadata in the Dagster instance.
        summary = StageSummary.of(run_report(instance, run) for run in runs)
        printed = stage_summary(done.stdout)
        assert printed["extract"].startswith(f"extracted {summary.extracted} of {summary.article_pages}")
        metadata_sum = sum(
            record.asset_materialization.metadata["extracted"].value
            for record in instance.fetch_materializations(AssetKey("articles"), limit=100).records
        )
        assert summary.extracted == metadata_sum == 11
        assert printed["crawl"] == f"fetched {summary.fetched}, failed 0" and summary.fetched > 0
        assert printed["index"] == "indexed 11, unchanged 0, failed 0"
        assert printed["runs"] == "4 succeeded, 0 failed"

        # Re-running a partition changes nothing: no page fetched twice, no article, event or alert doubled.
        again = medradar("--config", str(config), "backfill", "--since", "2025-06-01", "--until", "2025-06-01",
                         "--source", "yixie-guancha")  # fmt: skip
        assert again.returncode == 0, again.stderr + again.stdout
        assert "index      indexed 0, unchanged 6" in again.stdout
        after = state(config)
        assert after == first and len(after["article_pages"]) == len(set(after["article_pages"])) == 11
        assert len(after["indexed"]) == 11
        assert len(mail.messages) == 1
        instance = instance_of(config)
        assert len(instance.get_backfills()) == 2 and len(instance.get_runs()) == 5


def test_a_daemon_killed_mid_backfill_finishes_it_when_restarted_without_repeating_partitions(
    sample_config, postgres_url, monkeypatch, tmp_path
):
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", postgres_url)
    config = team_config(sample_config, "in_process")
    days = ("2025-06-01", "2025-06-02")
    submitted = medradar("--config", str(config), "backfill", "--since", days[0], "--until", days[-1], "--detach")
    assert submitted.returncode == 0, submitted.stderr
    backfill = backfill_id(submitted.stdout)
    settings = load_settings(config)
    env = {**os.environ, "DAGSTER_HOME": str(settings.dagster_home), "MEDRADAR_CONFIG": str(config)}
    instance = instance_of(config)

    def start_daemon(name: str) -> subprocess.Popen:
        return _start_daemon(env, tmp_path / f"{name}.log")

    def succeeded() -> list:
        return [r for r in instance.get_runs() if r.status == DagsterRunStatus.SUCCESS]

    daemon = start_daemon("first")
    try:
        _wait_for(lambda: len(succeeded()) >= 1, 300, "a first partition")
        # The daemon only: the runs it launched live on in their own processes (the code
        # server that started them exits once they finish), as when the daemon process alone dies.
        os.kill(daemon.pid, signal.SIGKILL)
        daemon.wait()
        done_before = {r.run_id for r in succeeded()}
        assert len(done_before) < 4 and instance.get_backfill(backfill).status == BulkActionStatus.REQUESTED
        restarted = start_daemon("restarted")
        try:
            _wait_for_backfill(instance, backfill, 420)
        finally:
            _kill_group(restarted)
    finally:
        _kill_group(daemon)  # whatever the first daemon left, if the test failed early
    assert instance.get_backfill(backfill).status == BulkActionStatus.COMPLETED_SUCCESS
    runs = instance.get_runs()
    # one successful run per partition, the finished ones kept and not run again
    done = [run for run in runs if run.status == DagsterRunStatus.SUCCESS]
    partitions = Counter((run.tags["dagster/partition/source"], run.tags["dagster/partition/day"]) for run in done)
    assert partitions == {(s, d): 1 for s in SOURCES for d in days}
    assert done_before <= {r.run_id for r in done}
    # Any other run is one the killed daemon was launching: it never started a step, was
    # failed by run monitoring and retried within the back-fill.
    for run in (r for r in runs if r.status != DagsterRunStatus.SUCCESS):
        _assert_lost_and_retried(instance, run.run_id)
    raw = instance.fetch_materializations(AssetKey("raw_pages"), limit=100).records
    assert Counter(record.partition_key for record in raw) == {str(k): 1 for k in _keys(days)}


def test_a_run_lost_while_being_launched_is_launched_again_within_the_backfill(
    sample_config, postgres_url, monkeypatch, tmp_path
):
    """The daemon and its code server killed while a run is STARTING: that launch is lost. Run
    monitoring fails the run for not starting in time and run retries launch it again, within
    the same back-fill (the team instance's 180 s start timeout shortened to 10 s here)."""
    monkeypatch.setenv("DAGSTER_POSTGRES_URL", postgres_url)
    config = team_config(sample_config, "in_process")
    home = tmp_path / "dagster"
    home.mkdir()
    team = yaml.safe_load(TEAM_DAGSTER_YAML.read_text())
    assert team["run_retries"]["enabled"] and not team["run_retries"]["retry_on_asset_or_op_failure"]
    team["run_monitoring"].update(start_timeout_seconds=10, poll_interval_seconds=5)
    (home / "dagster.yaml").write_text(yaml.safe_dump(team))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    day = "2025-06-01"
    submitted = medradar("--config", str(config), "backfill", "--since", day, "--until", day, "--detach")
    assert submitted.returncode == 0, submitted.stderr
    backfill = backfill_id(submitted.stdout)
    env = {**os.environ, "MEDRADAR_CONFIG": str(config)}
    instance = DagsterInstance.from_config(str(home))

    def starting() -> list:
        return [run for run in instance.get_runs() if run.status == DagsterRunStatus.STARTING]

    daemon = _start_daemon(env, tmp_path / "first.log")
    try:
        _wait_for(starting, 300, "a run being launched", poll=0.02)
        _kill_group(daemon)
        [lost] = starting()
        restarted = _start_daemon(env, tmp_path / "restarted.log")
        try:
            _wait_for_backfill(instance, backfill, 300)
        finally:
            _kill_group(restarted)
    finally:
        _kill_group(daemon)
    assert instance.get_backfill(backfill).status == BulkActionStatus.COMPLETED_SUCCESS
    runs = instance.get_runs()
    failed = [run for run in runs if run.status != DagsterRunStatus.SUCCESS]
    assert [run.run_id for run in failed] == [lost.run_id] and lost.tags[BACKFILL_ID_TAG] == backfill
    _assert_lost_and_retried(instance, lost.run_id)
    done = Counter(run.tags["dagster/partition"] for run in runs if run.status == DagsterRunStatus.SUCCESS)
    assert done == {str(key): 1 for key in _keys((day,))}
    raw = instance.fetch_materializations(AssetKey("raw_pages"), limit=100).records
    assert Counter(record.partition_key for record in raw) == done


def _start_daemon(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """``dagster-daemon`` in a process group of its own (with the code server it starts)."""
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the test's tmp_path
    return subprocess.Popen(daemon_command(), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(condition, timeout: float, what: str, poll: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll)


def _wait_for_backfill(instance: DagsterInstance, backfill: str, timeout: float) -> None:
    _wait_for(lambda: instance.get_backfill(backfill).status.value.startswith("COMPLETED"), timeout, "the back-fill")


def _assert_lost_and_retried(instance: DagsterInstance, run_id: str) -> None:
    """A run that failed without starting a step, and that Dagster decided to launch again."""
    run = instance.get_run_by_id(run_id)
    assert run.status == DagsterRunStatus.FAILURE and run.tags.get("dagster/will_retry") == "true", run.tags
    records = instance.get_records_for_run(run_id).records
    assert not [r for r in records if r.event_log_entry.dagster_event_type == DagsterEventType.STEP_START]


def _kill_group(process: subprocess.Popen) -> None:
    """The daemon and what it started (its code server, run workers left behind)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _keys(days: tuple[str, ...]):
    from pipeline.partitions import SourceDay

    return [SourceDay(source, date.fromisoformat(day)).key for source in SOURCES for day in days]
