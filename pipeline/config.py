"""Configuration: one typed settings model, read from ``medradar.yaml`` and ``MEDRADAR_*``.

Where the file comes from: ``--config``, else ``MEDRADAR_CONFIG``, else ``./medradar.yaml``
if it exists, else built-in defaults. Environment variables override the file; nested keys
use ``__`` (``MEDRADAR_SEARCH__BACKEND=sqlite``). Relative paths in a file are relative to
that file's directory. Sources live in their own file (``sources_file``), read by
``load_sources``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Hashable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from enrich.dedupe import DedupeParams
from enrich.quality import ArticleRules
from enrich.translation import TranslatorConfig
from search.query import SearchQuery
from search.watches import email_addresses
from spiders.job import CrawlLimits
from spiders.sources import Source, known_timezone

CONFIG_ENV = "MEDRADAR_CONFIG"
DEFAULT_CONFIG_NAME = "medradar.yaml"


class ConfigError(Exception):
    """A configuration or sources file that cannot be used; says where and why."""

    def __init__(self, path: Path | str, problems: list[tuple[str, str]]):
        self.path = Path(path)
        self.problems = problems
        lines = [f"{self.path}: {key}: {reason}" if key else f"{self.path}: {reason}" for key, reason in problems]
        super().__init__("\n".join(lines))


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "medradar"


class CrawlSettings(CrawlLimits):
    """The ``crawl`` section: politeness and limits (``spiders.job.CrawlLimits``), who we are,
    and when a source's silence becomes suspicious."""

    model_config = ConfigDict(extra="forbid")

    contact_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://github.com/medradar/medradar"),
        description="where a site owner can reach whoever runs this crawler",
    )
    user_agent: str = Field(
        default="MedRadar/0.1 (+{contact_url})",
        description="sent with every request; {contact_url} is filled in",
    )
    stale_after_runs: int = Field(
        default=3, ge=1, description="consecutive crawls of a source without a new article before its check fails"
    )

    @property
    def resolved_user_agent(self) -> str:
        return self.user_agent.format(contact_url=self.contact_url)


class SearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["sqlite", "elasticsearch", "opensearch", "cluster"] = Field(
        default="sqlite", description="sqlite (embedded), elasticsearch, opensearch, or cluster (engine detected)"
    )
    sqlite_path: Path | None = Field(default=None, description="default: <data_dir>/index.sqlite")
    # The search cluster (backend elasticsearch, opensearch or cluster).
    urls: Annotated[list[str], NoDecode] = Field(
        default=["http://127.0.0.1:9200"], description="node URLs; in the environment, comma-separated"
    )
    index_prefix: str = Field(
        default="medradar", pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="indexes are <prefix>-articles, ..."
    )
    username: str | None = None
    password: SecretStr | None = Field(default=None, description="environment only: MEDRADAR_SEARCH__PASSWORD")
    api_key: SecretStr | None = Field(default=None, description="environment only: MEDRADAR_SEARCH__API_KEY")
    ca_certs: Path | None = Field(default=None, description="CA bundle for https URLs")
    verify_certs: bool = True
    timeout: float = Field(default=30.0, gt=0, description="seconds per request")
    retries: int = Field(default=3, ge=0, description="retries per request, with backoff for bulk writes")
    shards: int = Field(default=1, ge=1)
    replicas: int | None = Field(default=None, ge=0, description="default: 1 when the cluster has 2+ nodes")
    spool_dir: Path | None = Field(
        default=None, description="articles kept while the cluster is unreachable; default <data_dir>/spool/<prefix>"
    )

    @field_validator("urls", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [url.strip() for url in value.split(",") if url.strip()]
        return value

    @field_validator("urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        bad = [url for url in urls if not url.startswith(("http://", "https://"))]
        if bad or not urls:
            raise ValueError(f"expected http:// or https:// URLs, got {', '.join(bad) or 'none'}")
        return [url.rstrip("/") for url in urls]


class ClassifySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_types_file: Path | None = Field(
        default=None, description="event types and triggers; default: the bundled definitions"
    )
    gazetteer_file: Path | None = Field(
        default=None, description="the organisation gazetteer; default: the bundled one"
    )


class ZeroShotSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    model: str = Field(
        default="MoritzLaurer/mDeBERTa-v3-base-mnli-xnli",
        description="a multilingual NLI model: Hugging Face id or local directory",
    )
    threshold: float = Field(default=0.6, gt=0, lt=1, description="entailment probability that says yes")
    max_length: int = Field(default=256, ge=32, le=512, description="tokens of each article read")
    batch_size: int = Field(default=8, ge=1)


class HeadSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    path: Path | None = Field(default=None, description="default: <data_dir>/models/event-head")
    embedding_model: str | None = Field(
        default=None,
        description="sentence-transformers model train-classifier embeds with (a head then always uses "
        "the one it was trained with); default: the bundled all-MiniLM-L6-v2",
    )


class ModelsSettings(BaseModel):
    """The transformer layers beside the rules; a model that cannot be loaded is skipped with
    a warning and the other layers decide."""

    model_config = ConfigDict(extra="forbid")

    device: str = Field(default="cpu", description="torch device: cpu, cuda, cuda:1, mps")
    zero_shot: ZeroShotSettings = ZeroShotSettings()
    head: HeadSettings = HeadSettings()


class FxSettings(BaseModel):
    """Exchange rates for converting deal amounts to US dollars."""

    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(default=date(2025, 6, 30), description="the date the rates are from")
    usd_per_unit: dict[str, float] = Field(
        # Approximate market rates on 30 June 2025 (US dollars for one unit).
        default={
            "USD": 1.0, "CNY": 0.1396, "HKD": 0.1274, "EUR": 1.1787, "GBP": 1.3732, "JPY": 0.00694,
            "CHF": 1.2598, "AUD": 0.6563, "CAD": 0.7337, "SGD": 0.7855, "KRW": 0.000741,
        },
        description="US dollars for one unit of each ISO 4217 currency",
    )


class EventsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_days: int = Field(default=90, ge=1, description="reports this close in time can be one deal")
    single_party_window_days: int = Field(
        default=14, ge=1, description="the window for reports naming one organisation (an AI launch, a funding round)"
    )
    max_amount_ratio: float = Field(
        default=1.5, ge=1, description="reports whose USD amounts differ by more than this factor are different deals"
    )
    store_path: Path | None = Field(default=None, description="default: <data_dir>/events.sqlite")
    coverage_drop: float = Field(
        default=0.5, gt=0, le=1,
        description="the events check fails when a source's share of articles with an event falls "
        "below this fraction of its recent average",
    )


class ArticlesSettings(BaseModel):
    """The quality gates between a fetched page and an article. Defaults measured on the
    shared corpora: see bench/results/extraction.md."""

    model_config = ConfigDict(extra="forbid")

    min_text_chars: dict[str, int] = Field(
        default={"en": 300, "zh": 100, "other": 300},
        description="less main text than this (whitespace not counted) is a stub, not an article;"
        " Chinese packs about three times the content per character",
    )
    max_page_bytes: int = Field(
        default=10_000_000, ge=1, description="larger pages are rejected unread (the largest real page seen: 3.2 MB)"
    )
    max_undecodable_share: float = Field(
        default=0.01, ge=0, le=1, description="share of characters no encoding could read before a page is rejected"
    )
    listing_min_links: int = Field(default=30, ge=1, description="headline links a listing page has at least")
    listing_max_chars_per_link: float = Field(
        default=6.0, gt=0, description="main-text characters per headline link below which a page is a listing"
    )
    paywall_max_chars: dict[str, int] = Field(
        default={"en": 1000, "zh": 400, "other": 1000},
        description="a page that says it is paywalled is a teaser when its text is shorter than this"
        " (measured: real paywalled articles that carry their whole text start at 1,370)",
    )
    rejection_rate_jump: float = Field(
        default=0.3, gt=0, le=1,
        description="the articles check fails when a partition rejects this much more of its pages"
        " than the source's earlier partitions did",
    )
    rejection_min_pages: int = Field(default=5, ge=1, description="partitions with fewer article pages are not judged")
    rejection_history: int = Field(default=7, ge=1, description="earlier partitions of the source the rate is compared with")

    @field_validator("min_text_chars", "paywall_max_chars")
    @classmethod
    def _has_other(cls, value: dict[str, int]) -> dict[str, int]:
        if "other" not in value:
            raise ValueError("needs an 'other' entry, for languages without their own")
        return value

    def rules(self) -> ArticleRules:
        return ArticleRules(
            min_text_chars=dict(self.min_text_chars),
            max_page_bytes=self.max_page_bytes,
            max_undecodable_share=self.max_undecodable_share,
            listing_min_links=self.listing_min_links,
            listing_max_chars_per_link=self.listing_max_chars_per_link,
            paywall_max_chars=dict(self.paywall_max_chars),
        )


class DedupeSettings(BaseModel):
    """Exact and near-duplicate articles. Threshold and shingles chosen by precision and
    recall on labelled pairs: see bench/results/duplicates.md."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(
        default=0.3, gt=0, le=1,
        description="estimated Jaccard similarity of shingle sets from which two texts are copies"
        " (measured: independent write-ups of one story reach 0.17, reprints start at 0.34)",
    )
    shingle_size: int = Field(default=3, ge=1, le=10, description="tokens (words, Chinese characters) per shingle")
    num_perm: int = Field(default=128, ge=16, le=1024, description="MinHash permutations")
    store_path: Path | None = Field(default=None, description="default: <data_dir>/duplicates.sqlite")

    def params(self) -> DedupeParams:
        return DedupeParams(threshold=self.threshold, num_perm=self.num_perm, shingle_size=self.shingle_size)


class TranslateSettings(TranslatorConfig):
    """The ``translate`` section: Chinese → English (``enrich.translation.TranslatorConfig``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="false: Chinese articles are indexed untranslated")


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: SecretStr | None = Field(default=None, description="from MEDRADAR_ALERTS__SMTP__PASSWORD only")
    sender: str = "MedRadar <alerts@localhost>"
    timeout: float = Field(default=30.0, gt=0)


class TrendSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    window_days: int = Field(default=7, ge=1)
    baseline_weeks: int = Field(default=8, ge=1)
    p_value: float = Field(default=0.001, gt=0, lt=1, description="Poisson upper tail of a spike")
    min_count: int = Field(default=5, ge=1)
    min_ratio: float = Field(default=2.0, ge=1)
    min_expected: float = Field(default=1.0, gt=0)
    topics: dict[str, str] = Field(
        default_factory=lambda: {"hospitals": "hospital", "医院": "医院"},
        description="name → search text; counted per event type and language",
    )
    watched_parties: list[str] = Field(default_factory=list, description="gazetteer ids: alert the first time seen")
    emails: list[str] = Field(default_factory=list, description="where trend alerts are mailed")
    webhooks: list[str] = Field(default_factory=list, description="where trend alerts are posted")
    webhook_secret: SecretStr | None = Field(default=None, description="from MEDRADAR_ALERTS__TRENDS__WEBHOOK_SECRET only")

    @field_validator("emails")
    @classmethod
    def _addresses(cls, emails: list[str]) -> list[str]:
        return email_addresses(emails)


class AlertsSettings(BaseModel):
    """The ``alerts`` section: SMTP, retries, the outbox check, trend spikes."""

    model_config = ConfigDict(extra="forbid")

    smtp: SmtpSettings = SmtpSettings()
    outbox_path: Path | None = Field(default=None, description="default: <data_dir>/alerts.sqlite")
    webhook_timeout: float = Field(default=10.0, gt=0)
    attempts_per_run: int = Field(default=3, ge=1)
    retry_wait_seconds: float = Field(default=1.0, ge=0)
    backoff_minutes: float = Field(default=5.0, ge=0)
    max_backoff_minutes: float = Field(default=60.0, ge=0)
    outbox_max_unsent: int = Field(default=100, ge=0, description="the outbox check fails above this many unsent")
    outbox_max_age_hours: float = Field(default=24.0, gt=0, description="...or when one waits longer than this")
    daily_at: str = Field(default="0 7 * * *", description="cron (UTC) of daily watches and trend alerts")
    trends: TrendSettings = TrendSettings()


# What a digest can hold, in the order it shows them (README: Weekly digest).
DigestSection = Literal[
    "headline", "chart", "top_deals", "partnership", "merger_acquisition", "ai", "funding", "licensing",
    "regulatory", "china", "rising",
]
DIGEST_SECTIONS: tuple[str, ...] = get_args(DigestSection)
# The digest picks its own week and pages: a filter says only what it is about.
_NOT_DIGEST_FILTER_KEYS = ("since", "until", "limit", "sort", "after", "facets", "facet_size", "histogram")


class DigestProfile(BaseModel):
    """One weekly digest: who gets it, what it is about, when it goes."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="lower case letters, digits, _: names the archive folder and the Dagster asset",
    )
    title: str | None = Field(default=None, max_length=80, description="shown in the subject; default: the name")
    recipients: list[str] = Field(default_factory=list, description="email addresses")
    filter: SearchQuery = Field(
        default_factory=SearchQuery,
        description="the shared query model: text, types, langs, sources, parties, statuses, min_usd",
    )
    timezone: str = Field(default="UTC", description="IANA name: the week's days and the send time are local")
    send_day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    send_time: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, local")
    sections: list[DigestSection] = Field(default_factory=lambda: list(DIGEST_SECTIONS))
    items_per_section: int = Field(default=5, ge=1, le=50)
    watched_parties: list[str] = Field(
        default_factory=list, description="gazetteer ids or names: their deals rank higher"
    )

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, recipients: list[str]) -> list[str]:
        return email_addresses(recipients)

    @field_validator("filter")
    @classmethod
    def _filter_only(cls, query: SearchQuery) -> SearchQuery:
        given = sorted(set(_NOT_DIGEST_FILTER_KEYS) & query.model_fields_set)
        if given:
            raise ValueError(f"{', '.join(given)}: not a digest filter key (the digest chooses its week itself)")
        return query

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        return known_timezone(zone)

    @property
    def label(self) -> str:
        return self.title or self.name


class DigestSettings(BaseModel):
    """The ``digest`` section: weekly digest profiles (README: Weekly digest)."""

    model_config = ConfigDict(extra="forbid")

    profiles: list[DigestProfile] = Field(default_factory=list, description="none: `medradar digest` renders 'weekly'")
    archive_dir: Path | None = Field(default=None, description="default: <data_dir>/digests")
    first_week: date = Field(
        default=date(2025, 1, 6), description="a Monday: the first week Dagster offers to back-fill"
    )

    @field_validator("profiles")
    @classmethod
    def _unique_names(cls, profiles: list[DigestProfile]) -> list[DigestProfile]:
        seen: dict[str, int] = {}
        for index, profile in enumerate(profiles):
            if profile.name in seen:
                raise ValueError(f"profiles[{index}]: duplicate name {profile.name!r} (also profiles[{seen[profile.name]}])")
            seen[profile.name] = index
        return profiles

    @field_validator("first_week")
    @classmethod
    def _monday(cls, day: date) -> date:
        if day.weekday() != 0:
            raise ValueError(f"{day} is not a Monday")
        return day


class WebSettings(BaseModel):
    """``medradar serve``: the analysts' JSON API and pages."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="any other address needs api_token")
    port: int = Field(default=8000, ge=0, le=65535)
    max_query_chars: int = Field(default=500, ge=1, le=1000, description="longer query text is refused (400)")
    max_page_size: int = Field(default=100, ge=1, le=1000, description="results per page at most")
    export_limit: int = Field(default=1000, ge=1, le=10000, description="rows in a CSV or JSON export at most")


class DagsterSettings(BaseModel):
    """How Dagster stores and runs the pipeline: the ``embedded`` deployment (SQLite storage
    under DAGSTER_HOME) or the ``team`` one (PostgreSQL storage at $DAGSTER_POSTGRES_URL, the
    queued run coordinator); which executor runs the steps of a run the daemon or UI launches."""

    model_config = ConfigDict(extra="forbid")

    instance: Literal["embedded", "team"] = Field(
        default="embedded", description="which dagster.yaml <data_dir>/dagster gets when DAGSTER_HOME is unset"
    )
    executor: Literal["in_process", "multiprocess"] = Field(
        default="in_process", description="multiprocess: each step in its own process"
    )
    max_concurrent: int = Field(default=2, ge=1, description="steps at once per run (multiprocess)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MEDRADAR_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    sources_file: Path = Path("sources.yaml")
    crawl: CrawlSettings = CrawlSettings()
    search: SearchSettings = SearchSettings()
    classify: ClassifySettings = ClassifySettings()
    articles: ArticlesSettings = ArticlesSettings()
    dedupe: DedupeSettings = DedupeSettings()
    models: ModelsSettings = ModelsSettings()
    events: EventsSettings = EventsSettings()
    fx: FxSettings = FxSettings()
    translate: TranslateSettings = TranslateSettings()
    alerts: AlertsSettings = AlertsSettings()
    web: WebSettings = WebSettings()
    digest: DigestSettings = DigestSettings()
    dagster: DagsterSettings = DagsterSettings()
    api_token: SecretStr | None = Field(
        default=None, description="environment only: MEDRADAR_API_TOKEN; required by `serve` off loopback"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's values arrive as init arguments; the environment overrides them.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _absolute_paths(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().resolve()
        self.sources_file = self.sources_file.expanduser().resolve()
        return self

    @property
    def index_path(self) -> Path:
        return self.search.sqlite_path or self.data_dir / "index.sqlite"

    @property
    def spool_dir(self) -> Path:
        return self.search.spool_dir or self.data_dir / "spool" / self.search.index_prefix

    @property
    def dedupe_path(self) -> Path:
        return self.dedupe.store_path or self.data_dir / "duplicates.sqlite"

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def assets_dir(self) -> Path:
        return self.data_dir / "assets"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def crawl_state_dir(self) -> Path:
        """Where the crawler remembers, per source, what it has seen (``spiders.state``)."""
        return self.data_dir / "crawl"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"

    @property
    def event_head_path(self) -> Path:
        return self.models.head.path or self.data_dir / "models" / "event-head"

    @property
    def events_path(self) -> Path:
        return self.events.store_path or self.data_dir / "events.sqlite"

    @property
    def translation_dir(self) -> Path:
        """The translation memory and the articles waiting for a translation."""
        return self.data_dir / "translation"

    @property
    def outbox_path(self) -> Path:
        return self.alerts.outbox_path or self.data_dir / "alerts.sqlite"

    @property
    def digests_dir(self) -> Path:
        """The digest archive: ``<profile>/<ISO week>.html`` (and its chart, and what it held)."""
        return self.digest.archive_dir or self.data_dir / "digests"

    @property
    def translator_config(self) -> TranslatorConfig:
        """The ``translate`` section with its paths filled in under the data directory."""
        translate = self.translate
        slug = re.sub(r"[^\w.-]+", "--", translate.model).strip("-.")
        return TranslatorConfig(
            **translate.model_dump(exclude={"enabled", "memory_path", "ct2_dir"}),
            memory_path=translate.memory_path or self.translation_dir / "memory.sqlite",
            ct2_dir=translate.ct2_dir or self.data_dir / "models" / "ctranslate2" / f"{slug}-{translate.quantization}",
        )


# Keys whose relative values are relative to the configuration file's directory.
_PATH_KEYS = (
    ("data_dir",), ("sources_file",), ("search", "sqlite_path"), ("search", "ca_certs"), ("search", "spool_dir"),
    ("classify", "event_types_file"), ("classify", "gazetteer_file"), ("models", "head", "path"),
    ("events", "store_path"), ("dedupe", "store_path"), ("translate", "ct2_dir"), ("translate", "memory_path"),
    ("alerts", "outbox_path"), ("digest", "archive_dir"),
)
# Keys holding a Hugging Face id or a path: a value written as a path is resolved like the above.
_MODEL_KEYS = (("translate", "model"),)
# Secrets are read from the environment only, never from a file that may be shared or committed.
_SECRET_KEYS = (
    ("search", "api_key"), ("search", "password"), ("alerts", "smtp", "password"), ("alerts", "trends", "webhook_secret"),
)
_TOP_SECRET_KEYS = ("api_token",)


def find_config(explicit: Path | str | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = Path.cwd() / DEFAULT_CONFIG_NAME
    return local if local.is_file() else None


def load_settings(path: Path | str | None = None) -> Settings:
    """Settings from the configuration file (see module docs), or ConfigError."""
    config_path = find_config(path)
    data: dict[str, Any] = {}
    base_dir = Path.cwd()
    if config_path is not None:
        data = read_yaml_mapping(config_path)
        base_dir = config_path.resolve().parent
    for key_path in _PATH_KEYS:
        _resolve_path(data, key_path, base_dir)
    secrets = [keys for keys in _SECRET_KEYS if _has_key(data, keys)]
    secrets += [(key,) for key in _TOP_SECRET_KEYS if key in data]
    if secrets and config_path is not None:
        raise ConfigError(
            config_path,
            [(".".join(keys), f"secrets are not read from files: set MEDRADAR_{'__'.join(keys).upper()}") for keys in secrets],
        )
    for key_path in _MODEL_KEYS:
        _resolve_path(data, key_path, base_dir, only_if=_looks_like_path)
    if "sources_file" not in data and "MEDRADAR_SOURCES_FILE" not in os.environ:
        data["sources_file"] = str(base_dir / "sources.yaml")
    try:
        return Settings(**data)
    except ValidationError as error:
        raise ConfigError(config_path or "environment", _problems(error)) from None


def _has_key(data: Any, keys: tuple[str, ...]) -> bool:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


def load_sources(path: Path) -> list[Source]:
    """The sources registry, validated: every problem named by key, or ConfigError."""
    data = read_yaml_mapping(path)
    unknown = sorted(set(data) - {"sources"})
    if unknown:
        raise ConfigError(path, [(key, "unknown key (expected only 'sources')") for key in unknown])
    entries = data.get("sources")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(path, [("sources", "expected a non-empty list of sources")])
    problems: list[tuple[str, str]] = []
    sources: list[Source] = []
    first_index: dict[str, int] = {}
    for index, entry in enumerate(entries):
        try:
            source = Source.model_validate(entry)
        except ValidationError as error:
            problems.extend(_problems(error, prefix=f"sources[{index}]"))
            continue
        if source.id in first_index:
            problems.append(
                (f"sources[{index}].id", f"duplicate id {source.id!r} (also sources[{first_index[source.id]}])")
            )
            continue
        first_index[source.id] = index
        sources.append(source)
    if problems:
        raise ConfigError(path, problems)
    return sources


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [("", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, [("", f"cannot read: {error}")]) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        if isinstance(error, _DuplicateKey):
            raise ConfigError(path, [("", f"{where}{reason}")]) from None
        raise ConfigError(path, [("", f"{where}invalid YAML: {reason}")]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, [("", f"expected a mapping at the top level, found {type(data).__name__}")])
    return data


class _DuplicateKey(yaml.constructor.ConstructorError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (PyYAML keeps the last
    one silently, so a second ``feeds:`` in a source would hide the first)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                break  # SafeLoader reports unhashable keys itself
            if key in seen:
                raise _DuplicateKey(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping)


def _looks_like_path(value: str) -> bool:
    return value.startswith((".", "~", "/"))


def _resolve_path(
    data: dict[str, Any], key_path: tuple[str, ...], base_dir: Path, only_if: Callable[[str], bool] | None = None
) -> None:
    *parents, leaf = key_path
    node: Any = data
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get(leaf), str) and (only_if is None or only_if(node[leaf])):
        value = Path(node[leaf]).expanduser()
        node[leaf] = str(value if value.is_absolute() else base_dir / value)


def _problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    problems = []
    for item in error.errors():
        key = prefix
        for part in item["loc"]:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        reason = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            reason = "unknown key"
        elif item["type"] == "missing":
            reason = "required key is missing"
        problems.append((key, reason))
    return problems
