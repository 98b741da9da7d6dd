"""What a news source is: the typed shape of one entry of ``sources.yaml``.

Loading and error reporting for the file live in ``pipeline.config``; the crawler receives
validated ``Source`` objects (inside a ``CrawlJob``) and never reads YAML itself.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

SOURCE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class Source(BaseModel):
    """One outlet MedRadar watches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SOURCE_ID_PATTERN, description="stable slug, used in ids and paths")
    name: str = Field(min_length=1)
    language: Literal["en", "zh"]
    homepage: AnyHttpUrl
    feeds: list[AnyHttpUrl] = Field(default_factory=list, description="RSS or Atom feed URLs")
    sitemaps: list[AnyHttpUrl] = Field(default_factory=list, description="news sitemap URLs")
    listings: list[AnyHttpUrl] = Field(default_factory=list, description="listing page URLs")
    allowed_domains: list[str] = Field(
        default_factory=list,
        description="hosts the crawler may fetch; defaults to the homepage's host",
    )
    crawl_delay: float = Field(default=1.0, ge=0, description="seconds between requests")
    max_new_articles: int = Field(default=100, ge=1, description="new articles per run at most")
    timezone: str = Field(default="UTC", description="IANA time zone of the dates the outlet prints")

    @model_validator(mode="after")
    def _needs_an_entry_point(self) -> Source:
        if not (self.feeds or self.sitemaps or self.listings):
            raise ValueError("a source needs at least one of feeds, sitemaps or listings")
        return self

    @property
    def domains(self) -> list[str]:
        """The hosts the crawler may fetch from."""
        return self.allowed_domains or [urlsplit(str(self.homepage)).hostname or ""]
