"""The query model shared by the CLI, the API, alerts and every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from enrich.events import load_event_types
from enrich.schema import Language


@lru_cache(maxsize=1)
def known_event_types() -> frozenset[str]:
    return frozenset(load_event_types())


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", description="free text; double quotes make a phrase")
    types: list[str] = Field(default_factory=list, description="event types, any of")
    langs: list[Language] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    since: datetime | None = Field(default=None, description="published at or after (UTC)")
    until: datetime | None = Field(default=None, description="published before (UTC)")
    limit: int = Field(default=20, ge=1, le=1000)

    @field_validator("types")
    @classmethod
    def _known_types(cls, types: list[str]) -> list[str]:
        unknown = sorted(set(types) - known_event_types())
        if unknown:
            raise ValueError(
                f"unknown event type {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known_event_types()))}"
            )
        return types

    @field_validator("since", "until", mode="before")
    @classmethod
    def _dates_are_utc_midnight(cls, value: object) -> object:
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time(), tzinfo=UTC)
        if isinstance(value, str) and len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        return value

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class SearchHit(BaseModel):
    id: str
    title: str
    title_en: str | None = Field(default=None, description="the title's English translation, if it has one")
    url: str
    source_id: str
    lang: str
    published_at: datetime | None
    labels: list[str]
    snippet: str
    score: float | None = Field(default=None, description="relevance; backend-specific scale")


class SearchResult(BaseModel):
    total: int
    hits: list[SearchHit]
    terms: list[str] = Field(default_factory=list, description="query terms, for highlighting")
