"""Dagster resources: one per external system the assets touch."""

from __future__ import annotations

import sys
from datetime import date
from functools import lru_cache
from pathlib import Path

from dagster import AssetExecutionContext, ConfigurableResource, MaterializeResult, PipesSubprocessClient

from enrich.dedupe import DedupeParams, DuplicateStore
from enrich.events import RuleClassifier, load_event_types
from enrich.quality import ArticleRules
from pipeline.config import ArticlesSettings, Settings, load_sources
from search.backend import SearchBackend, open_backend
from spiders.job import CrawlJob
from spiders.rawstore import RawStore
from spiders.sources import Source


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


class ArticleRulesResource(ConfigurableResource):
    """The quality gates' thresholds and the rejection-rate check (``articles:`` settings)."""

    min_text_chars: dict[str, int]
    max_page_bytes: int
    max_undecodable_share: float
    listing_min_links: int
    listing_max_chars_per_link: float
    paywall_max_chars: dict[str, int]
    rejection_rate_jump: float
    rejection_min_pages: int
    rejection_history: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ArticleRulesResource:
        return cls(**settings.articles.model_dump())

    @property
    def settings(self) -> ArticlesSettings:
        return ArticlesSettings.model_validate({name: getattr(self, name) for name in ArticlesSettings.model_fields})

    def rules(self) -> ArticleRules:
        return self.settings.rules()


class DuplicateStoreResource(ConfigurableResource):
    """The fingerprints of every article seen, across sources and runs (SQLite)."""

    path: str
    threshold: float
    num_perm: int
    shingle_size: int

    @classmethod
    def from_settings(cls, settings: Settings) -> DuplicateStoreResource:
        dedupe = settings.dedupe
        return cls(
            path=str(settings.dedupe_path),
            threshold=dedupe.threshold,
            num_perm=dedupe.num_perm,
            shingle_size=dedupe.shingle_size,
        )

    def open(self) -> DuplicateStore:
        """The store, to be used as a context manager (closed on exit)."""
        params = DedupeParams(threshold=self.threshold, num_perm=self.num_perm, shingle_size=self.shingle_size)
        return DuplicateStore(Path(self.path), params)


class CrawlerResource(ConfigurableResource):
    """Scrapy, run in a subprocess per crawl through Dagster Pipes."""

    user_agent: str
    obey_robots: bool = True
    concurrency_per_domain: int = 1
    autothrottle: bool = True
    page_budget: int = 500
    timeout: float = 30.0
    logs_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> CrawlerResource:
        crawl = settings.crawl
        return cls(
            user_agent=crawl.resolved_user_agent,
            obey_robots=crawl.obey_robots,
            concurrency_per_domain=crawl.concurrency_per_domain,
            autothrottle=crawl.autothrottle,
            page_budget=crawl.page_budget,
            timeout=crawl.timeout,
            logs_dir=str(settings.logs_dir),
        )

    def crawl(
        self, context: AssetExecutionContext, source: Source, day: date, raw_store: RawStore
    ) -> MaterializeResult:
        job = CrawlJob(
            source=source,
            raw_dir=raw_store.root,
            day=day,
            crawl_id=context.run_id,
            user_agent=self.user_agent,
            obey_robots=self.obey_robots,
            concurrency_per_domain=self.concurrency_per_domain,
            autothrottle=self.autothrottle,
            page_budget=self.page_budget,
            timeout=self.timeout,
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
    """The classifiers, loaded once per process."""

    event_types_file: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelsResource:
        path = settings.classify.event_types_file
        return cls(event_types_file=str(path) if path else None)

    def rule_classifier(self) -> RuleClassifier:
        return _rule_classifier(self.event_types_file)


@lru_cache(maxsize=4)
def _rule_classifier(event_types_file: str | None) -> RuleClassifier:
    return RuleClassifier(load_event_types(Path(event_types_file) if event_types_file else None))
