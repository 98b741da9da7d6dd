"""``medradar demo``: the whole pipeline against the bundled sample site, offline."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import yaml
from dagster import DagsterInstance

from pipeline.config import Settings
from pipeline.resources import (
    DuplicateStoreResource,
    EventStoreResource,
    PendingTranslationsResource,
    SearchBackendResource,
)
from pipeline.runner import PartitionReport, run_ingest
from pipeline.sample_site.server import SampleSite, serve_sample_site
from spiders.sources import Source


@dataclass
class DemoResult:
    base_url: str
    sources: list[Source]
    reports: list[PartitionReport]


def demo_settings(settings: Settings) -> Settings:
    """The user's settings, with the sample site's sources instead of theirs."""
    return settings.model_copy(update={"sources_file": settings.data_dir / "demo" / "sources.yaml"})


def run_demo(
    settings: Settings,
    instance: DagsterInstance,
    port: int = 0,
    on_report: Callable[[PartitionReport], None] | None = None,
) -> DemoResult:
    settings = demo_settings(settings)
    with serve_sample_site(port=port) as base_url:
        sources = SampleSite().sources(base_url)
        write_sources(settings, sources)
        forget_sources(settings, [source.id for source in sources])
        reports = run_ingest(
            settings, [source.id for source in sources], datetime.now(UTC).date(), instance, on_report
        )
    return DemoResult(base_url=base_url, sources=sources, reports=reports)


def write_sources(settings: Settings, sources: list[Source]) -> None:
    settings.sources_file.parent.mkdir(parents=True, exist_ok=True)
    document = {"sources": [source.model_dump(mode="json") for source in sources]}
    settings.sources_file.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


def forget_sources(settings: Settings, source_ids: list[str]) -> None:
    """Remove what earlier runs stored for these sources: raw pages, the crawler's memory,
    stage outputs, pending translations, index, event mentions, duplicate fingerprints."""
    for source_id in source_ids:
        shutil.rmtree(settings.raw_dir / source_id, ignore_errors=True)
        shutil.rmtree(settings.crawl_state_dir / source_id, ignore_errors=True)
        if settings.assets_dir.is_dir():
            for asset_dir in settings.assets_dir.iterdir():
                shutil.rmtree(asset_dir / source_id, ignore_errors=True)
    with PendingTranslationsResource.from_settings(settings).open() as pending:
        pending.forget_sources(source_ids)
    with SearchBackendResource.from_settings(settings).open() as backend:
        backend.delete_sources(source_ids)
    with EventStoreResource.from_settings(settings).open() as store:
        store.delete_sources(source_ids)
    with DuplicateStoreResource.from_settings(settings).open() as duplicates:
        duplicates.forget_sources(source_ids)
