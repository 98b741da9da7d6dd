"""Dagster resources: one per external system the assets touch."""

from __future__ import annotations

import sys
from datetime import date
from functools import lru_cache
from pathlib import Path

from dagster import AssetExecutionContext, ConfigurableResource, EnvVar, MaterializeResult, PipesSubprocessClient

from enrich.events import RuleClassifier, load_event_types
from pipeline.config import Settings, load_sources
from search.backend import ClusterOptions, SearchBackend, open_backend
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


# Cluster settings passed through as they are (settings → resource → ClusterOptions).
_CLUSTER_SETTINGS = ("index_prefix", "username", "verify_certs", "timeout", "retries", "shards", "replicas")


class SearchBackendResource(ConfigurableResource):
    """The search index: the embedded SQLite index by default, or an Elasticsearch/OpenSearch
    cluster. Secrets stay in the environment (Dagster shows the variable's name, not its value)."""

    backend: str = "sqlite"
    sqlite_path: str
    urls: list[str] = []
    index_prefix: str = "medradar"
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    timeout: float = 30.0
    retries: int = 3
    shards: int = 1
    replicas: int | None = None
    spool_dir: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchBackendResource:
        search = settings.search
        return cls(
            backend=search.backend,
            sqlite_path=str(settings.index_path),
            urls=search.urls,
            password=EnvVar("MEDRADAR_SEARCH__PASSWORD") if search.password else None,
            api_key=EnvVar("MEDRADAR_SEARCH__API_KEY") if search.api_key else None,
            ca_certs=str(search.ca_certs) if search.ca_certs else None,
            spool_dir=str(settings.spool_dir),
            **{name: getattr(search, name) for name in _CLUSTER_SETTINGS},
        )

    def open(self) -> SearchBackend:
        """The backend, to be used as a context manager (closed on exit)."""
        cluster = None
        if self.backend != "sqlite":
            cluster = ClusterOptions(
                urls=tuple(self.urls),
                spool_dir=Path(self.spool_dir),
                password=self.password,
                api_key=self.api_key,
                ca_certs=Path(self.ca_certs) if self.ca_certs else None,
                **{name: getattr(self, name) for name in _CLUSTER_SETTINGS},
            )
        return open_backend(self.backend, sqlite_path=Path(self.sqlite_path), cluster=cluster)


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
