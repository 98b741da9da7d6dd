"""Configuration: one typed settings model, read from ``medradar.yaml`` and ``MEDRADAR_*``.

Where the file comes from: ``--config``, else ``MEDRADAR_CONFIG``, else ``./medradar.yaml``
if it exists, else built-in defaults. Environment variables override the file; nested keys
use ``__`` (``MEDRADAR_SEARCH__BACKEND=sqlite``). Relative paths in a file are relative to
that file's directory. Sources live in their own file (``sources_file``), read by
``load_sources``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from enrich.dedupe import DedupeParams
from enrich.quality import ArticleRules
from spiders.sources import Source

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


class CrawlSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://github.com/medradar/medradar"),
        description="where a site owner can reach whoever runs this crawler",
    )
    user_agent: str = Field(
        default="MedRadar/0.1 (+{contact_url})",
        description="sent with every request; {contact_url} is filled in",
    )
    obey_robots: bool = True
    concurrency_per_domain: int = Field(default=1, ge=1, le=2)
    autothrottle: bool = True
    page_budget: int = Field(default=500, ge=1, description="pages per source per run at most")
    timeout: float = Field(default=30.0, gt=0, description="seconds per request")

    @property
    def resolved_user_agent(self) -> str:
        return self.user_agent.format(contact_url=self.contact_url)


class SearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: Literal["sqlite"] = "sqlite"
    sqlite_path: Path | None = Field(default=None, description="default: <data_dir>/index.sqlite")


class ClassifySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_types_file: Path | None = Field(
        default=None, description="event types and triggers; default: the bundled definitions"
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
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"


# Keys whose relative values are relative to the configuration file's directory.
_PATH_KEYS = (("data_dir",), ("sources_file",), ("search", "sqlite_path"), ("classify", "event_types_file"), ("dedupe", "store_path"))


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
    if "sources_file" not in data and "MEDRADAR_SOURCES_FILE" not in os.environ:
        data["sources_file"] = str(base_dir / "sources.yaml")
    try:
        return Settings(**data)
    except ValidationError as error:
        raise ConfigError(config_path or "environment", _problems(error)) from None


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
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        raise ConfigError(path, [("", f"{where}invalid YAML: {reason}")]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, [("", f"expected a mapping at the top level, found {type(data).__name__}")])
    return data


def _resolve_path(data: dict[str, Any], key_path: tuple[str, ...], base_dir: Path) -> None:
    *parents, leaf = key_path
    node: Any = data
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get(leaf), str):
        value = Path(node[leaf]).expanduser()
        node[leaf] = str(value if value.is_absolute() else base_dir / value)


def _problems(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    problems = []
    for item in error.errors():
        key = prefix
        for part in item["loc"]:
            key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
        reason = item["msg"]
        if item["type"] == "extra_forbidden":
            reason = "unknown key"
        elif item["type"] == "missing":
            reason = "required key is missing"
        problems.append((key, reason))
    return problems
