"""The records enrichment produces: the types ``search`` and ``pipeline`` build on."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["en", "zh", "other"]


class Translation(BaseModel):
    """How a Chinese article's English fields were made, or why they are missing."""

    status: Literal["done", "pending"] = Field(description="pending: a later run will translate it")
    model: str = Field(description="the translation model (Hugging Face id or local path)")
    scope: Literal["full", "title_lead"] = Field(
        default="full", description="title_lead: text_en is the translation of the first sentences only"
    )
    error: str | None = Field(default=None, description="why it is pending")


class Article(BaseModel):
    """One news article, extracted from one fetched page."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="hash of the canonical URL: stable across re-runs")
    source_id: str
    url: str = Field(description="the URL the page was fetched from")
    canonical_url: str
    title: str
    text: str
    lang: Language
    published_at: datetime | None = None
    fetched_at: datetime
    author: str | None = None
    site_name: str | None = None
    # zh → en translation, beside the originals (Chinese articles only)
    title_en: str | None = None
    text_en: str | None = None
    translation: Translation | None = None


class Rejection(BaseModel):
    """A fetched page that did not become an article, and why."""

    source_id: str
    url: str
    reason: str
    detail: str = ""


class EventMention(BaseModel):
    """An event type an article reports, with the sentences that show it."""

    type: str
    score: float
    evidence: list[str] = Field(default_factory=list)
    layers: list[str] = Field(default_factory=list, description="which classifiers spoke")


class EnrichedArticle(Article):
    events: list[EventMention] = Field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [event.type for event in self.events]
