"""The Dagster instance the CLI runs against: ``$DAGSTER_HOME``, or ``<data_dir>/dagster``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster import DagsterInstance

from pipeline.config import Settings

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dagster_yaml() -> Path:
    """The project's ``dagster.yaml``: at the repository root, or inside an installed wheel."""
    for candidate in (_PACKAGE_DIR.parent / "dagster.yaml", _PACKAGE_DIR / "dagster.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("dagster.yaml is missing from the MedRadar installation")


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME if set, else ``<data_dir>/dagster`` holding a current copy of dagster.yaml."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shipped = shipped_dagster_yaml()
    target = home / "dagster.yaml"
    if not target.is_file() or target.read_bytes() != shipped.read_bytes():
        shutil.copyfile(shipped, target)
    return home


def open_instance(settings: Settings) -> DagsterInstance:
    return DagsterInstance.from_config(str(dagster_home(settings)))
