"""Every Dagster definition of MedRadar, in one place.

``dagster dev -m pipeline.definitions`` and ``dagster definitions validate -m
pipeline.definitions`` load ``defs`` (configured from ``medradar.yaml``, see
``pipeline.config``); the ``medradar`` CLI calls ``build_definitions`` with its own settings.
"""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, definitions

from pipeline import assets
from pipeline.config import Settings, load_settings
from pipeline.io_manager import JsonPartitionIOManager
from pipeline.resources import (
    CrawlerResource,
    ModelsResource,
    RawStoreResource,
    SearchBackendResource,
    SourcesResource,
)

ASSETS = [assets.raw_pages, assets.articles, assets.enriched_articles, assets.search_index]

ingest_job = define_asset_job(
    "ingest",
    selection=AssetSelection.assets(*ASSETS),
    description="Crawl a source for a day, extract, classify and index what was found.",
)


def build_definitions(settings: Settings) -> Definitions:
    crawl = settings.crawl
    return Definitions(
        assets=ASSETS,
        jobs=[ingest_job],
        resources={
            "io_manager": JsonPartitionIOManager(root=str(settings.assets_dir)),
            "sources": SourcesResource(sources_file=str(settings.sources_file)),
            "raw_store": RawStoreResource(root=str(settings.raw_dir)),
            "crawler": CrawlerResource(
                user_agent=crawl.resolved_user_agent,
                obey_robots=crawl.obey_robots,
                concurrency_per_domain=crawl.concurrency_per_domain,
                autothrottle=crawl.autothrottle,
                page_budget=crawl.page_budget,
                timeout=crawl.timeout,
                logs_dir=str(settings.logs_dir),
            ),
            "search": SearchBackendResource.from_settings(settings),
            "models": ModelsResource(
                event_types_file=str(settings.classify.event_types_file)
                if settings.classify.event_types_file
                else None
            ),
        },
    )


@definitions
def defs() -> Definitions:
    return build_definitions(load_settings())
