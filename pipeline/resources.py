"""Dagster resources: one per external system the assets touch."""

from __future__ import annotations

import json
import sys
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, ConfigurableResource, EnvVar, MaterializeResult, PipesSubprocessClient
from pydantic import Field

from enrich.amounts import FxRates
from enrich.analyser import AnalyserConfig, ArticleAnalyser, build_analyser
from enrich.dedupe import DedupeParams, DuplicateStore
from enrich.gazetteer import Gazetteer
from enrich.quality import ArticleRules
from enrich.translation import Translator, TranslatorConfig, build_translator
from pipeline.config import (
    AlertsSettings,
    ArticlesSettings,
    EventsSettings,
    ModelsSettings,
    SearchSettings,
    Settings,
    load_sources,
)
from pipeline.eventstore import EventStore
from pipeline.notify.outbox import Outbox
from pipeline.pending import PendingTranslations
from search.backend import ClusterOptions, SearchBackend, open_backend
from spiders.job import CrawlJob, CrawlLimits
from spiders.rawstore import RawStore
from spiders.sources import Source
from spiders.state import CrawlState

# A resource's defaults are the settings' defaults (a resource built without from_settings).
_SEARCH, _MODELS, _EVENTS = SearchSettings(), ModelsSettings(), EventsSettings()


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


# Cluster settings passed through as they are (settings → resource → ClusterOptions).
_CLUSTER_SETTINGS = ("index_prefix", "username", "verify_certs", "timeout", "retries", "shards", "replicas")


class SearchBackendResource(ConfigurableResource):
    """The search index: the embedded SQLite index by default, or an Elasticsearch/OpenSearch
    cluster. Secrets stay in the environment (Dagster shows the variable's name, not its value)."""

    backend: str = _SEARCH.backend
    sqlite_path: str
    urls: list[str] = []
    index_prefix: str = _SEARCH.index_prefix
    username: str | None = None
    password: str | None = None
    api_key: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = _SEARCH.verify_certs
    timeout: float = _SEARCH.timeout
    retries: int = _SEARCH.retries
    shards: int = _SEARCH.shards
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
    """The event classifiers (rules, zero-shot NLI, supervised head) with the gazetteer, the
    status cues and the FX table, and the zh → en translator: built once per process, models
    loaded on first use."""

    event_types_file: str | None = None
    gazetteer_file: str | None = None
    device: str = _MODELS.device
    zero_shot_model: str | None = None
    zero_shot_threshold: float = _MODELS.zero_shot.threshold
    zero_shot_max_length: int = _MODELS.zero_shot.max_length
    zero_shot_batch_size: int = _MODELS.zero_shot.batch_size
    head_path: str | None = None
    fx_usd_per_unit: dict[str, float] = {}
    fx_as_of: str | None = None
    translate: dict[str, Any] = Field(default_factory=dict, description="enrich.translation.TranslatorConfig")
    translate_enabled: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelsResource:
        classify, models = settings.classify, settings.models
        return cls(
            event_types_file=_optional(classify.event_types_file),
            gazetteer_file=_optional(classify.gazetteer_file),
            device=models.device,
            zero_shot_model=models.zero_shot.model if models.zero_shot.enabled and models.zero_shot.model else None,
            zero_shot_threshold=models.zero_shot.threshold,
            zero_shot_max_length=models.zero_shot.max_length,
            zero_shot_batch_size=models.zero_shot.batch_size,
            head_path=str(settings.event_head_path) if models.head.enabled else None,
            fx_usd_per_unit=settings.fx.usd_per_unit,
            fx_as_of=settings.fx.as_of.isoformat(),
            translate=settings.translator_config.model_dump(mode="json"),
            translate_enabled=settings.translate.enabled,
        )

    def analyser(self) -> ArticleAnalyser:
        return _analyser(
            AnalyserConfig(
                fx=FxRates.of(self.fx_usd_per_unit, date.fromisoformat(self.fx_as_of) if self.fx_as_of else None),
                event_types_file=_path(self.event_types_file),
                gazetteer_file=_path(self.gazetteer_file),
                device=self.device,
                zero_shot_model=self.zero_shot_model,
                zero_shot_threshold=self.zero_shot_threshold,
                zero_shot_max_length=self.zero_shot_max_length,
                zero_shot_batch_size=self.zero_shot_batch_size,
                head_path=_path(self.head_path),
            )
        )

    @property
    def translator_config(self) -> TranslatorConfig:
        return TranslatorConfig.model_validate(self.translate)

    def translator(self) -> Translator:
        """The zh → en translator, which keeps the gazetteer's organisations by their canonical
        English names; TranslatorUnavailable (one line: which model, why) if its model cannot
        be loaded."""
        return _translator(self.translator_config, self.gazetteer_file)


@lru_cache(maxsize=2)
def _translator(config: TranslatorConfig, gazetteer_file: str | None) -> Translator:
    # cached by the gazetteer's path: the Gazetteer itself is not hashable
    return build_translator(config, names=Gazetteer.load(_path(gazetteer_file)))


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
def _analyser(config: AnalyserConfig) -> ArticleAnalyser:
    return build_analyser(config)


class EventStoreResource(ConfigurableResource):
    """The cross-partition store of event mentions and the events they form."""

    path: str
    window_days: int = _EVENTS.window_days
    single_party_window_days: int = _EVENTS.single_party_window_days
    max_amount_ratio: float = _EVENTS.max_amount_ratio
    coverage_drop: float = _EVENTS.coverage_drop

    @classmethod
    def from_settings(cls, settings: Settings) -> EventStoreResource:
        events = settings.events
        return cls(
            path=str(settings.events_path),
            window_days=events.window_days,
            single_party_window_days=events.single_party_window_days,
            max_amount_ratio=events.max_amount_ratio,
            coverage_drop=events.coverage_drop,
        )

    def open(self) -> EventStore:
        """The store, to be used as a context manager (closed on exit)."""
        return EventStore(Path(self.path), self.window_days, self.single_party_window_days, self.max_amount_ratio)


def _optional(path: Path | None) -> str | None:
    return str(path) if path else None


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


class AlertsResource(ConfigurableResource):
    """The alerts outbox and how to deliver (``alerts:`` settings); secrets stay in the
    environment (Dagster shows the variable's name, not its value)."""

    outbox_path: str
    assets_dir: str = Field(description="where the indexed partitions' articles are read from")
    # JSON: Dagster's config maps cannot hold the settings' nulls
    alerts_json: str = Field(default="{}", description="pipeline.config.AlertsSettings, without its secrets")
    smtp_password: str | None = None
    trends_webhook_secret: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertsResource:
        alerts = settings.alerts
        return cls(
            outbox_path=str(settings.outbox_path),
            assets_dir=str(settings.assets_dir),
            alerts_json=alerts.model_dump_json(exclude={"smtp": {"password"}, "trends": {"webhook_secret"}}),
            smtp_password=EnvVar("MEDRADAR_ALERTS__SMTP__PASSWORD") if alerts.smtp.password else None,
            trends_webhook_secret=EnvVar("MEDRADAR_ALERTS__TRENDS__WEBHOOK_SECRET") if alerts.trends.webhook_secret else None,
        )

    @property
    def settings(self) -> AlertsSettings:
        data = json.loads(self.alerts_json)
        data["smtp"] = {**data.get("smtp", {}), "password": self.smtp_password}
        data["trends"] = {**data.get("trends", {}), "webhook_secret": self.trends_webhook_secret}
        return AlertsSettings.model_validate(data)

    def open(self) -> Outbox:
        """The outbox, to be used as a context manager (closed on exit)."""
        return Outbox(Path(self.outbox_path))
