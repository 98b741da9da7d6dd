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


def shipped_dagster_yaml(instance: str = "embedded") -> Path:
    """The project's ``dagster.yaml``: at the repository root, or inside an installed wheel;
    the team deployment's, for ``instance="team"``."""
    if instance == "team":
        return TEAM_DAGSTER_YAML
    for candidate in (_PACKAGE_DIR.parent / "dagster.yaml", _PACKAGE_DIR / "dagster.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("dagster.yaml is missing from the MedRadar installation")


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME if set, else ``<data_dir>/dagster`` holding a current copy of the
    deployment's dagster.yaml (``dagster.instance``)."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    if settings.dagster.instance == "team" and not os.environ.get(POSTGRES_URL_ENV):
        raise ConfigError(f"${POSTGRES_URL_ENV}", [("", "unset, and dagster.instance is team: set it to the PostgreSQL URL")])
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shipped = shipped_dagster_yaml(settings.dagster.instance)
    target = home / "dagster.yaml"
    if not target.is_file() or target.read_bytes() != shipped.read_bytes():
        shutil.copyfile(shipped, target)
    return home


def open_instance(settings: Settings) -> DagsterInstance:
    return DagsterInstance.from_config(str(dagster_home(settings)))
