"""Helpers shared by the tests (fixtures are in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from pipeline.sample_site.server import SampleSite

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
MEDRADAR = Path(sys.executable).with_name("medradar")


def medradar(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed `medradar` command as a user would."""
    return subprocess.run(
        [str(MEDRADAR), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def write_sample_config(directory: Path, sample_site_url: str) -> Path:
    sources = SampleSite().sources(sample_site_url)
    (directory / "sources.yaml").write_text(
        yaml.safe_dump({"sources": [s.model_dump(mode="json") for s in sources]}, allow_unicode=True)
    )
    config = directory / "medradar.yaml"
    config.write_text("data_dir: data\nsources_file: sources.yaml\n")
    return config
