"""Dagster resources: one per external system the assets touch."""

from __future__ import annotations

import sys
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, ConfigurableResource, MaterializeResult, PipesSubprocessClient
from pydantic import Field

from enrich.events import RuleClassifier, load_event_types
from enrich.translation import Translator, TranslatorConfig, build_translator
from pipeline.config import Settings, load_sources
from pipeline.pending import PendingTranslations
from search.backend import SearchBackend, open_backend
from spiders.job import CrawlJob, CrawlLimits
from spiders.rawstore import RawStore
from spiders.sources import Source
from spiders.state import CrawlState


class SourcesResource(ConfigurableResource):
    """The sources registry (``sources.yaml``)."""

    sources_file: str

    def all(self) -> list[Source]:
        return load_sources(Path(self.sources_file))

    def get(self, source_id: str) -> Source:
        for source in self.all():
            if source.id == source_id:
                return source
        raise KeyError(f"{self.sources_file}: no source with id {source_id!r}")


class RawStoreResource(ConfigurableResource):
    """The lossless store of every fetched page."""

    root: str

    @property
    def store(self) -> RawStore:
        return RawStore(Path(self.root))


class CrawlerResource(ConfigurableResource):
    """Scrapy, run in a subprocess per crawl through Dagster Pipes, with its memory of what
    each source has already given (``spiders.state``)."""

    user_agent: str
    limits: dict[str, Any] = Field(default_factory=dict, description="spiders.job.CrawlLimits")
    state_dir: str
    logs_dir: str
    stale_after_runs: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> CrawlerResource:
        crawl = settings.crawl
        return cls(
            user_agent=crawl.resolved_user_agent,
            limits=CrawlLimits.model_validate(crawl.model_dump(include=set(CrawlLimits.model_fields))).model_dump(),
            state_dir=str(settings.crawl_state_dir),
            logs_dir=str(settings.logs_dir),
            stale_after_runs=crawl.stale_after_runs,
        )

    def runs_without_new_articles(self, source_id: str) -> int:
        """How many of the source's latest finished crawls in a row found no new article."""
        with CrawlState(Path(self.state_dir), source_id) as state:
            recent = state.recent_crawls(self.stale_after_runs + 5)
        quiet = 0
        for crawl in recent:
            if crawl.new_articles is None:
                continue  # killed before it could count: says nothing either way
            if crawl.new_articles or quiet == self.stale_after_runs:
                break
            quiet += 1
        return quiet

    def crawl(
        self, context: AssetExecutionContext, source: Source, day: date, raw_store: RawStore
    ) -> MaterializeResult:
        job = CrawlJob(
            source=source,
            raw_dir=raw_store.root,
            state_dir=Path(self.state_dir),
            day=day,
            crawl_id=context.run_id,
            user_agent=self.user_agent,
            limits=CrawlLimits.model_validate(self.limits),
            log_file=Path(self.logs_dir) / f"crawl-{source.id}-{context.run_id}.log",
        )
        context.log.info(f"crawling {source.id}; Scrapy log: {job.log_file}")
        invocation = PipesSubprocessClient().run(
            command=[sys.executable, "-m", "spiders"],
            context=context,
            extras={"job": job.model_dump(mode="json")},
        )
        return invocation.get_materialize_result()


class SearchBackendResource(ConfigurableResource):
    """The search index: the embedded SQLite index by default."""

    backend: str = "sqlite"
    sqlite_path: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchBackendResource:
        return cls(backend=settings.search.backend, sqlite_path=str(settings.index_path))

    def open(self) -> SearchBackend:
        """The backend, to be used as a context manager (closed on exit)."""
        return open_backend(self.backend, sqlite_path=Path(self.sqlite_path))


class ModelsResource(ConfigurableResource):
    """The classifiers and the translator, each loaded once per process, on first use."""

    event_types_file: str | None = None
    translate: dict[str, Any] = Field(default_factory=dict, description="enrich.translation.TranslatorConfig")
    translate_enabled: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelsResource:
        path = settings.classify.event_types_file
        return cls(
            event_types_file=str(path) if path else None,
            translate=settings.translator_config.model_dump(mode="json"),
            translate_enabled=settings.translate.enabled,
        )

    def rule_classifier(self) -> RuleClassifier:
        return _rule_classifier(self.event_types_file)

    @property
    def translator_config(self) -> TranslatorConfig:
        return TranslatorConfig.model_validate(self.translate)

    def translator(self) -> Translator:
        """The zh → en translator; TranslatorUnavailable (one line: which model, why) if its
        model cannot be loaded."""
        return _translator(self.translator_config)


@lru_cache(maxsize=2)
def _translator(config: TranslatorConfig) -> Translator:
    return build_translator(config)


class PendingTranslationsResource(ConfigurableResource):
    """The articles waiting for a translation, by partition (``pipeline.pending``)."""

    path: str

    @classmethod
    def from_settings(cls, settings: Settings) -> PendingTranslationsResource:
        return cls(path=str(settings.translation_dir / "pending.sqlite"))

    def open(self) -> PendingTranslations:
        """The registry, to be used as a context manager (closed on exit)."""
        return PendingTranslations(Path(self.path))


@lru_cache(maxsize=4)
def _rule_classifier(event_types_file: str | None) -> RuleClassifier:
    return RuleClassifier(load_event_types(Path(event_types_file) if event_types_file else None))
