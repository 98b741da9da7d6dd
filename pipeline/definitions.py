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
    ArticleRulesResource,
    CrawlerResource,
    DuplicateStoreResource,
    EventStoreResource,
    ModelsResource,
    PendingTranslationsResource,
    RawStoreResource,
    SearchBackendResource,
    SourcesResource,
)

ASSETS = [
    assets.raw_pages,
    assets.articles,
    assets.translated_articles,
    assets.enriched_articles,
    assets.events,
    assets.search_index,
]
ASSET_CHECKS = [assets.event_coverage]

ingest_job = define_asset_job(
    "ingest",
    selection=AssetSelection.assets(*ASSETS),
    description="Crawl a source for a day, extract, translate, classify, merge events and index what was found.",
)

reprocess_job = define_asset_job(
    "reprocess",
    # Everything the raw pages feed, so a stage added later is reprocessed too.
    selection=AssetSelection.assets(assets.raw_pages).downstream(include_self=False),
    description="Extract, translate, classify and index a source's stored raw pages for a day again, fetching"
    " nothing: after the extraction, the quality gates or the classifiers changed.",
)

# Partitions whose articles are still waiting for a translation (pipeline.pending) are run
# again from the translation stage on: no crawl, no extraction.
translate_pending_job = define_asset_job(
    "translate_pending",
    selection=AssetSelection.assets(assets.translated_articles).downstream(),
    description="Translate a partition's pending articles, then update what depends on them.",
)


def build_definitions(settings: Settings) -> Definitions:
    return Definitions(
        assets=ASSETS,
        asset_checks=ASSET_CHECKS,
        jobs=[ingest_job, reprocess_job, translate_pending_job],
        resources={
            "io_manager": JsonPartitionIOManager(root=str(settings.assets_dir)),
            "sources": SourcesResource(sources_file=str(settings.sources_file)),
            "raw_store": RawStoreResource(root=str(settings.raw_dir)),
            "crawler": CrawlerResource.from_settings(settings),
            "search": SearchBackendResource.from_settings(settings),
            "models": ModelsResource.from_settings(settings),
            "event_store": EventStoreResource.from_settings(settings),
            "article_rules": ArticleRulesResource.from_settings(settings),
            "duplicates": DuplicateStoreResource.from_settings(settings),
            "pending_translations": PendingTranslationsResource.from_settings(settings),
        },
    )


@definitions
def defs() -> Definitions:
    return build_definitions(load_settings())
