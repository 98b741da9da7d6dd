"""The records enrichment produces: the types ``search`` and ``pipeline`` build on."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["en", "zh", "other"]
Script = Literal["Hans", "Hant"]


class SourceRef(BaseModel):
    """One outlet's copy of an article: who published it where, and when."""

    source_id: str
    url: str
    site_name: str | None = None
    published_at: datetime | None = None


class DuplicateLink(BaseModel):
    """This article is a copy of another one (syndicated, reprinted or re-posted)."""

    canonical_id: str = Field(description="id of the article every copy links to")
    kind: Literal["exact", "near"] = Field(description="same normalised text, or MinHash-similar")
    similarity: float = Field(description="estimated Jaccard similarity of the two texts (1 for exact)")


class Article(BaseModel):
    """One news article, extracted from one fetched page."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="hash of the canonical URL: stable across re-runs")
    source_id: str
    url: str = Field(description="the URL the page was fetched from")
    canonical_url: str
    title: str
    text: str = Field(description="main text as published, paragraphs separated by newlines")
    lang: Language = Field(description="language of the text")
    published_at: datetime | None = Field(default=None, description="UTC")
    fetched_at: datetime
    author: str | None = None
    site_name: str | None = None
    updated_at: datetime | None = Field(default=None, description="UTC; only when later than published_at")
    published_from: Literal["metadata", "byline"] | None = Field(
        default=None, description="where published_at was found: meta tags/JSON-LD/URL, or the printed byline"
    )
    description: str | None = None
    image_url: str | None = None
    declared_lang: str | None = Field(default=None, description="the language the page declares, as written")
    title_lang: Language | None = Field(default=None, description="language of the title, told apart from the text's")
    script: Script | None = Field(default=None, description="Chinese script of the original: Simplified or Traditional")
    title_simplified: str | None = Field(default=None, description="the title in Simplified Chinese, when the original is Traditional")
    text_simplified: str | None = Field(default=None, description="the text in Simplified Chinese, when the original is Traditional")
    content_hash: str = Field(default="", description="hash of the normalised text: equal for exact copies")
    duplicate: DuplicateLink | None = Field(default=None, description="set when this article copies another")
    reported_by: list[SourceRef] = Field(
        default_factory=list, description="every outlet that published this article (set on the canonical copy)"
    )

    @property
    def index_title(self) -> str:
        """The title to index and classify: Simplified Chinese when the original is Traditional."""
        return self.title_simplified or self.title

    @property
    def index_text(self) -> str:
        return self.text_simplified or self.text

    @property
    def source_ref(self) -> SourceRef:
        return SourceRef(
            source_id=self.source_id, url=self.url, site_name=self.site_name, published_at=self.published_at
        )


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
