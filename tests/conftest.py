"""Shared fixtures. Every test runs with a clean MedRadar environment: no MEDRADAR_* or
DAGSTER_HOME from the caller, XDG data under a temporary directory, and a temporary
working directory (so the checkout's medradar.yaml is never picked up by accident)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.sample_site.server import serve_sample_site
from tests.support import build_nli_model, build_tiny_marian, write_sample_config

pytest_plugins = ["tests.engines", "tests.postgres"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("MEDRADAR_") or name == "DAGSTER_HOME":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    # No test may download a model (none can be, here or in CI): the Hub is only ever asked
    # for what is already in the local cache.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def sample_site_url() -> Iterator[str]:
    with serve_sample_site() as base_url:
        yield base_url


@pytest.fixture
def sample_config(tmp_path: Path, sample_site_url: str) -> Path:
    """A medradar.yaml (data under tmp_path/data) whose sources are the sample site's outlets."""
    return write_sample_config(tmp_path, sample_site_url)


@pytest.fixture(scope="session")
def nli_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local NLI model directory (tiny, random weights; see tests.support.build_nli_model)."""
    return build_nli_model(tmp_path_factory.mktemp("nli"))


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local MarianMT model directory: real tokenizer, tiny random weights (tests.support)."""
    return build_tiny_marian(tmp_path_factory.mktemp("tiny-marian"))
