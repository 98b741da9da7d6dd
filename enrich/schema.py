"""The records enrichment produces: the types ``search`` and ``pipeline`` build on."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["en", "zh", "other"]
Status = Literal["announced", "completed", "planned", "rumoured", "terminated"]
Layer = Literal["rules", "zero_shot", "head"]
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


class Amount(BaseModel):
    """A sum of money as a report states it, and in US dollars."""

    value: float = Field(description="in units of `currency`; the midpoint of a range, the bound of 'more than'")
    currency: str = Field(description="ISO 4217 code")
    usd: float | None = Field(default=None, description="value converted with the configured FX table")
    approximate: bool = False
    low: float | None = None
    high: float | None = None
    text: str = Field(default="", description="the words the value was read from")


class Party(BaseModel):
    """An organisation taking part in an event."""

    id: str = Field(description="gazetteer id, or 'candidate:<name>' for an organisation it lacks")
    name: str = Field(description="canonical English name (the surface form for a candidate)")
    name_zh: str | None = None
    role: str | None = Field(default=None, description="acquirer, target, partner, investor, licensee...")
    known: bool = Field(default=True, description="false: discovered, not in the gazetteer")


class EventMention(BaseModel):
    """An event type an article reports, with the sentences that show it."""

    type: str
    score: float = Field(description="combined score in [0, 1] of the layers that were consulted")
    evidence: list[str] = Field(default_factory=list)
    layers: list[str] = Field(default_factory=list, description="the layers whose own decision was yes")
    scores: dict[str, float] = Field(default_factory=dict, description="each consulted layer's score")
    status: Status = "announced"
    parties: list[Party] = Field(default_factory=list)
    amount: Amount | None = None


class EnrichedArticle(Article):
    events: list[EventMention] = Field(default_factory=list)
    classified_by: list[str] = Field(
        default_factory=list, description="the layers consulted for this article, whatever they decided"
    )

    @property
    def labels(self) -> list[str]:
        return [event.type for event in self.events]


class EvidenceRef(BaseModel):
    article_id: str
    source_id: str
    lang: str
    sentence: str


class Event(BaseModel):
    """One deal or launch, however many articles in however many languages report it."""

    id: str = Field(description="hash of type, canonical parties and the first report's date")
    type: str
    status: Status
    parties: list[Party] = Field(default_factory=list)
    amount: Amount | None = None
    date: datetime | None = Field(default=None, description="when it was first reported")
    last_reported: datetime | None = None
    article_ids: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    evidence: list[EvidenceRef] = Field(default_factory=list)
