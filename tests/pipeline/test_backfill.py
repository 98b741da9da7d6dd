"""`medradar backfill`'s arguments, the deployments chosen by configuration, and the
partitions a back-fill covers (the back-fills themselves run in tests/e2e/test_team_backfill.py)."""

from datetime import date

import pytest

from pipeline.config import Settings
from pipeline.definitions import build_definitions
from pipeline.partitions import SourceDay
from tests.support import medradar


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2025-13-01", "--until", "2025-06-02"], "'2025-13-01' is not a day (YYYY-MM-DD)"),
        (["--since", "2025-06-02", "--until", "2025-06-01"], "2025-06-01 is before --since 2025-06-02"),
        (["--since", "2025-06-01", "--until", "2025-06-01", "--source", "nope"], "unknown source nope"),
    ],
)
def test_bad_arguments_are_usage_errors(sample_config, args, message):
    done = medradar("--config", str(sample_config), "backfill", *args)
    assert done.returncode == 2 and message in done.stderr


def test_the_team_instance_needs_a_postgres_url_dagster_postgres_can_use(sample_config):
    sample_config.write_text(sample_config.read_text() + "dagster:\n  instance: team\n")
    args = ("--config", str(sample_config), "backfill", "--since", "2025-06-01", "--until", "2025-06-01")
    unset = medradar(*args)
    assert unset.returncode == 2 and "$DAGSTER_POSTGRES_URL: unset, and dagster.instance is team" in unset.stderr
    bare = medradar(*args, env={"DAGSTER_POSTGRES_URL": "postgresql://u@127.0.0.1:1/db"})
    assert bare.returncode == 2 and "must start with postgresql+psycopg2://" in bare.stderr


def test_the_executor_of_launched_runs_is_configured():
    assert build_definitions(Settings()).resolve_implicit_global_asset_job_def().executor_def.name == "in_process"
    team = Settings(dagster={"executor": "multiprocess", "max_concurrent": 3})
    executor = build_definitions(team).resolve_implicit_global_asset_job_def().executor_def
    assert executor.name == "multiprocess"


def test_a_range_covers_every_source_and_day():
    partitions = SourceDay.between(["a", "b"], date(2025, 6, 30), date(2025, 7, 1))
    assert [(p.source_id, p.day.isoformat()) for p in partitions] == [
        ("a", "2025-06-30"), ("b", "2025-06-30"), ("a", "2025-07-01"), ("b", "2025-07-01"),
    ]
    assert str(partitions[0].key) == "2025-06-30|a"
