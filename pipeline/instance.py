"""The Dagster instance the CLI runs against: ``$DAGSTER_HOME``, or ``<data_dir>/dagster``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster import DagsterInstance

from pipeline.config import ConfigError, Settings

_PACKAGE_DIR = Path(__file__).resolve().parent


# The team deployment's instance configuration (PostgreSQL storage; README, "Scaling out").
TEAM_DAGSTER_YAML = _PACKAGE_DIR / "dagster-team.yaml"
POSTGRES_URL_ENV = "DAGSTER_POSTGRES_URL"
POSTGRES_SCHEME = "postgresql+psycopg2://"


def shipped_dagster_yaml(instance: str = "embedded") -> Path:
    """The project's ``dagster.yaml``: at the repository root, or inside an installed wheel;
    the team deployment's, for ``instance="team"``."""
    if instance == "team":
        return TEAM_DAGSTER_YAML
    for candidate in (_PACKAGE_DIR.parent / "dagster.yaml", _PACKAGE_DIR / "dagster.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("dagster.yaml is missing from the MedRadar installation")


def check_postgres_url(url: str | None) -> None:
    """ConfigError unless ``url`` is one dagster-postgres can use."""
    if not url:
        problem = "unset, and dagster.instance is team: set it to postgresql+psycopg2://USER:PASSWORD@HOST:5432/DB"
    elif not url.startswith(POSTGRES_SCHEME):
        # SQLAlchemy 2.1 reads postgresql:// as psycopg 3, whose NOTIFY dagster-postgres cannot send
        problem = f"must start with {POSTGRES_SCHEME} (dagster-postgres speaks psycopg2), not {url.split('://')[0]}://"
    else:
        return
    raise ConfigError(f"${POSTGRES_URL_ENV}", [("", problem)])


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME if set, else ``<data_dir>/dagster`` holding a current copy of the
    deployment's dagster.yaml (``dagster.instance``)."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    if settings.dagster.instance == "team":
        check_postgres_url(os.environ.get(POSTGRES_URL_ENV))
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shipped = shipped_dagster_yaml(settings.dagster.instance)
    target = home / "dagster.yaml"
    if not target.is_file() or target.read_bytes() != shipped.read_bytes():
        shutil.copyfile(shipped, target)
    return home


def open_instance(settings: Settings) -> DagsterInstance:
    return DagsterInstance.from_config(str(dagster_home(settings)))
