"""The query model shared by the CLI, the API, alerts and every backend."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import UTC, date, datetime, time
from functools import lru_cache
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from enrich.events import load_event_types
from enrich.schema import Language, Party, Status
from search.segment import phrase_words, query_terms

if TYPE_CHECKING:
    from enrich.gazetteer import Gazetteer

# A term: words that must appear in this order. A group: alternative terms, any one matching.
Term = list[str]

SortOrder = Literal["relevance", "date"]
Facet = Literal["types", "langs", "sources"]
Interval = Literal["day", "week", "month", "year"]


@lru_cache(maxsize=1)
def known_event_types() -> frozenset[str]:
    return frozenset(load_event_types())


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=1000, description="free text; double quotes make a phrase")
    alternatives: list[list[str]] = Field(
        default_factory=list,
        max_length=20,
        description="groups of phrases that must each match by one of their phrases, e.g. a company's names in"
        " English and Chinese: [[\"Mayo Clinic\", \"梅奥诊所\"]]",
    )
    types: list[str] = Field(default_factory=list, description="event types, any of")
    langs: list[Language] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    parties: list[str] = Field(
        default_factory=list,
        description="organisations, any of: a party of a reported event, by gazetteer id, English or Chinese name"
        " (case-insensitive)",
        max_length=50,
    )
    statuses: list[Status] = Field(default_factory=list, description="where a reported event stands, any of")
    min_usd: float | None = Field(default=None, ge=0, description="a reported event's amount, in US dollars, at least")
    since: datetime | None = Field(default=None, description="published at or after (UTC)")
    until: datetime | None = Field(default=None, description="published before (UTC)")
    limit: int = Field(default=20, ge=1, le=1000, description="hits per page")
    sort: SortOrder = Field(
        default="relevance", description="relevance (newest first among equals; newest first without text) or date"
    )
    after: str | None = Field(default=None, description="the previous page's next_after: the page after it")
    facets: list[Facet] = Field(default_factory=list, description="count matches per event type, language, source")
    facet_size: int = Field(default=10, ge=1, le=100, description="values per facet, most frequent first")
    histogram: Interval | None = Field(default=None, description="count matches per day, week, month or year")

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

    @field_validator("parties")
    @classmethod
    def _party_names(cls, parties: list[str]) -> list[str]:
        if any(not party_key(party) for party in parties):
            raise ValueError("an empty organisation name")
        return parties

    @field_validator("after")
    @classmethod
    def _readable_cursor(cls, after: str | None) -> str | None:
        if after is not None:
            _decode(after)
        return after

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


    @field_validator("alternatives")
    @classmethod
    def _small_groups(cls, groups: list[list[str]]) -> list[list[str]]:
        if any(len(group) > 20 or any(len(phrase) > 200 for phrase in group) for group in groups):
            raise ValueError("at most 20 phrases of at most 200 characters in a group")
        return groups

    def term_groups(self) -> list[list[Term]]:
        """What the text must match: every group, each by one of its terms. A word or phrase of
        ``text`` is a group of one; each group of ``alternatives`` is one group."""
        groups = [[term] for term in query_terms(self.text)]
        for phrases in self.alternatives:
            group = [words for words in map(phrase_words, phrases) if words]
            if group and group not in groups:
                groups.append(group)
        return groups

    def words(self) -> list[str]:
        """Every word of every term, for highlighting."""
        return list(dict.fromkeys(word for group in self.term_groups() for term in group for word in term))

    @property
    def party_keys(self) -> list[str]:
        """The ``parties`` filter as the indexes look parties up (:func:`party_key`)."""
        return sorted({party_key(party) for party in self.parties})

    def fingerprint(self) -> str:
        """What identifies this query's result list (not the page): a cursor belongs to it."""
        selection = self.model_dump(
            mode="json", include={"text", "alternatives", "types", "langs", "sources", "parties", "statuses", "min_usd", "since", "until", "sort"}
        )
        return hashlib.sha256(json.dumps(selection, sort_keys=True).encode()).hexdigest()[:16]

    def cursor_values(self) -> list | None:
        """The sort values to continue after, from ``after``; ValueError if it is another query's."""
        if self.after is None:
            return None
        fingerprint, values = _decode(self.after)
        if fingerprint != self.fingerprint():
            raise ValueError("this paging cursor belongs to another query (text, filters or sort changed)")
        return values

    def next_cursor(self, values: list) -> str:
        payload = json.dumps([self.fingerprint(), values], separators=(",", ":"))
        return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def with_names_in_both_languages(query: SearchQuery, gazetteer: Gazetteer) -> SearchQuery:
    """The query with each organisation the gazetteer finds in its text (outside double quotes)
    searched by any of its names: "梅奥诊所 AI" finds "Mayo Clinic" and "梅奥诊所" articles alike.
    A name in double quotes is searched as written."""
    text = query.text
    quoted = [match.span() for match in re.finditer(r'"[^"]*"', text)]
    found = [
        match for match in gazetteer.find(text) if not any(start <= match.start < end for start, end in quoted)
    ]
    if not found:
        return query
    groups: dict[str, list[str]] = {}
    for match in found:
        groups.setdefault(match.org.id, list(dict.fromkeys(match.org.surfaces))[:20])
    for match in sorted(found, key=lambda match: match.start, reverse=True):
        text = f"{text[: match.start]} {text[match.end :]}"
    alternatives = [*query.alternatives, *groups.values()][:20]
    return query.model_copy(update={"text": " ".join(text.split()), "alternatives": alternatives})


def party_key(name: str) -> str:
    """How a party is looked up: its id or a name, whitespace collapsed, case folded."""
    return " ".join(name.split()).casefold()


def party_keys_of(parties: Iterable[Party]) -> set[str]:
    """Every key the ``parties`` filter finds these parties by: id, English and Chinese name."""
    return {party_key(name) for party in parties for name in (party.id, party.name, party.name_zh) if name}


def _decode(token: str) -> tuple[str, list]:
    try:
        fingerprint, values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, TypeError):
        raise ValueError("not a paging cursor from a search result's next_after") from None
    if not isinstance(fingerprint, str) or not isinstance(values, list):
        raise ValueError("not a paging cursor from a search result's next_after")
    return fingerprint, values


class SearchHit(BaseModel):
    id: str
    title: str
    title_en: str | None = Field(default=None, description="the title's English translation, if it has one")
    url: str
    source_id: str
    lang: str
    published_at: datetime | None
    labels: list[str]
    snippet: str = Field(description="plain text from the article body, around the first match")
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) character spans of matches in snippet"
    )
    score: float | None = Field(default=None, description="relevance; backend-specific scale")
    snippet_en: str | None = Field(
        default=None, description="for a translated article: its English text around the first match"
    )
    highlights_en: list[tuple[int, int]] = Field(default_factory=list, description="match spans in snippet_en")


class FacetCount(BaseModel):
    value: str
    count: int


class HistogramBucket(BaseModel):
    start: date = Field(description="first day of the day, ISO week (Monday), month or year, UTC")
    count: int


class SearchResult(BaseModel):
    total: int
    hits: list[SearchHit]
    terms: list[str] = Field(default_factory=list, description="query terms, for highlighting")
    facets: dict[str, list[FacetCount]] = Field(default_factory=dict, description="facet → counts, most first")
    histogram: list[HistogramBucket] = Field(default_factory=list, description="non-empty buckets, oldest first")
    next_after: str | None = Field(default=None, description="pass as `after` for the next page; None: last page")
