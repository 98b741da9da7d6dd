"""What one profile's digest says about one ISO week (in the profile's time zone).

- Headline figures: events by type this week, last week, and the average week of the 8
  weeks before this one. Counted by SQL over the event store (``EventStore.daily_type_counts``),
  never by loading events.
- The chart's data: events per local day and type over the 8 weeks ending with this week.
- Top deals: the week's events (one per deal, however many outlets and languages reported
  it), ranked by :func:`deal_score`; then one section per event type with the rest.
- China this week: the week's Chinese stories from the search index, one item per event
  cluster, translated, marked when the translation is pending.
- Rising names: the trend spikes of the week (``pipeline.alerts.current_trends``: parties
  from the event store, topics from the backend's date histograms).

The profile's filter is the shared ``SearchQuery``: types, statuses, amount and parties are
held against each event; languages and sources against its reports; text restricts to the
events whose articles the search index finds for it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from enrich.schema import EnrichedArticle, Event
from pipeline.alerts import current_trends
from pipeline.config import AlertsSettings, DigestProfile
from pipeline.eventstore import EventStore
from search.alerts import AlertItem, article_item, event_item, event_matches
from search.backend import SearchBackend, hit_ids
from search.query import SearchQuery, party_key, party_keys_of
from search.trends import Spike

WEEKS_BACK = 8
# The event types a digest has a section for, in its order, with short English and Chinese names.
TYPE_NAMES: dict[str, tuple[str, str]] = {
    "partnership": ("Partnerships", "合作"),
    "merger_acquisition": ("M&A", "并购"),
    "ai": ("AI", "人工智能"),
    "funding": ("Funding", "融资"),
    "licensing": ("Licensing", "授权"),
    "regulatory": ("Regulatory", "监管"),
}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")

# deal_score's weights (README: Weekly digest).
AMOUNT_WEIGHT = 1.0  # per tenfold amount in USD millions: log10(1 + USD / 1M)
SOURCE_WEIGHT = 1.0  # per independent source beyond the first
LANGUAGE_WEIGHT = 1.0  # per language beyond the first (both markets report it)
WATCHED_WEIGHT = 2.0  # a watched company is a party


@dataclass(frozen=True)
class Week:
    """An ISO week in a time zone: from Monday 00:00 to the next Monday 00:00, local."""

    year: int
    number: int
    timezone: str = "UTC"

    @classmethod
    def parse(cls, text: str, timezone: str = "UTC") -> Week:
        """``2026-W47``; ValueError naming what is wrong."""
        found = _WEEK.match(text.strip())
        if not found:
            raise ValueError(f"{text!r} is not an ISO week such as 2026-W47")
        year, number = int(found[1]), int(found[2])
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"{year} has no ISO week {number}") from None
        return cls(year, number, timezone)

    @classmethod
    def of(cls, day: date, timezone: str = "UTC") -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number, timezone)

    @classmethod
    def last_complete(cls, now: datetime, timezone: str = "UTC") -> Week:
        """The week before the one ``now`` falls in, locally."""
        return cls.of(now.astimezone(ZoneInfo(timezone)).date(), timezone).shifted(-1)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def first_day(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """Monday 00:00 local, in UTC."""
        return _local_midnight(self.first_day, self.timezone)

    @property
    def end(self) -> datetime:
        return _local_midnight(self.first_day + timedelta(days=7), self.timezone)

    def shifted(self, weeks: int) -> Week:
        return Week.of(self.first_day + timedelta(weeks=weeks), self.timezone)


def _local_midnight(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


class TypeFigure(BaseModel):
    """One headline figure: events of a type (or all: ``type`` None)."""

    type: str | None
    name: str
    this_week: int
    last_week: int
    average: float = Field(description="per week, over the 8 weeks before this one")


class DigestItem(BaseModel):
    """One deal (or one story) as the digest shows it."""

    item: AlertItem
    score: float | None = Field(default=None, description="deal_score; None for a story without an event")
    usd: float | None = None
    independent_sources: int = 1
    languages: list[str] = Field(default_factory=list)
    watched: bool = False
    translation_pending: bool = False
    shown_above: bool = Field(default=False, description="China this week: the deal is listed in full above")


class ItemList(BaseModel):
    key: str
    name: str
    name_zh: str | None = None
    items: list[DigestItem] = Field(default_factory=list)
    more: int = Field(default=0, description="left out: over items_per_section")


class Chart(BaseModel):
    days: list[date]
    counts: dict[str, list[int]] = Field(description="event type → events per day")

    @property
    def total(self) -> int:
        return sum(map(sum, self.counts.values()))


class DigestContent(BaseModel):
    profile: str
    label: str
    week: str
    timezone: str
    first_day: date
    last_day: date
    sections: list[str]
    figures: list[TypeFigure] = Field(default_factory=list, description="per type, then the total")
    chart: Chart
    top_deals: ItemList
    by_type: list[ItemList] = Field(default_factory=list)
    china: ItemList
    china_total: int = 0
    rising: list[Spike] = Field(default_factory=list)

    @property
    def total(self) -> TypeFigure:
        return self.figures[-1]

    @property
    def empty(self) -> bool:
        """Nothing to say: no event this week and no Chinese story."""
        return self.total.this_week == 0 and self.china_total == 0

    @property
    def deal_lists(self) -> list[ItemList]:
        return [self.top_deals, *self.by_type]

    @property
    def lead(self) -> DigestItem | None:
        for items in (*self.deal_lists, self.china):
            if items.items:
                return items.items[0]
        return None

    def item_counts(self) -> dict[str, int]:
        """Items shown per section (the Dagster asset's metadata)."""
        counts = {"events": self.total.this_week, "top_deals": len(self.top_deals.items)}
        counts |= {section.key: len(section.items) for section in self.by_type}
        return counts | {"china": len(self.china.items), "china_stories": self.china_total, "rising": len(self.rising)}


def deal_score(event: Event, watched: set[str]) -> float:
    """How high a deal ranks: log10(1 + amount in USD millions) + 1 per independent source
    beyond the first (outlets with their own report; syndicated copies are one) + 1 per
    language beyond the first + 2 when a watched company is a party. A $4.9B deal reported by
    one outlet scores 3.7; a $20M round reported by three outlets in both languages, 4.3."""
    usd = event.amount.usd if event.amount and event.amount.usd else 0.0
    score = AMOUNT_WEIGHT * math.log10(1 + usd / 1e6)
    score += SOURCE_WEIGHT * max(len(set(event.sources)) - 1, 0)
    score += LANGUAGE_WEIGHT * max(len(set(event.languages)) - 1, 0)
    if watched & party_keys_of(event.parties):
        score += WATCHED_WEIGHT
    return round(score, 3)


def select_content(
    backend: SearchBackend,
    store: EventStore,
    profile: DigestProfile,
    week: Week,
    trends: AlertsSettings | None = None,
) -> DigestContent:
    """Everything the profile's digest says about the week (nothing is recorded)."""
    query = profile.filter
    sections = profile.sections
    per_section = profile.items_per_section
    since = week.shifted(-WEEKS_BACK).start
    text_ids = _text_matches(backend, query, since, week.end) if query.text.strip() else None
    counts = store.daily_type_counts(since, week.end, week.timezone, query, text_ids)
    articles = _ArticleCache(backend)
    watched = {party_key(name) for name in profile.watched_parties}

    ranked = sorted(
        store.events_between(week.start, week.end, query, text_ids),
        key=lambda e: (-deal_score(e, watched), -(e.date.timestamp() if e.date else 0), e.id),
    )
    shown: set[str] = set()
    top = ItemList(key="top_deals", name="Top deals", name_zh="本周要闻")
    if "top_deals" in sections:
        top = _item_list(top, ranked, per_section, watched, articles, shown)
    by_type = [
        _item_list(
            ItemList(key=kind, name=english, name_zh=chinese),
            [e for e in ranked if e.type == kind and e.id not in shown], per_section, watched, articles, shown,
        )
        for kind, (english, chinese) in TYPE_NAMES.items()
        if kind in sections
    ]  # fmt: skip
    china, china_total = ItemList(key="china", name="China this week", name_zh="中国本周"), 0
    if "china" in sections and (not query.langs or "zh" in query.langs):
        china, china_total = _china(backend, store, query, week, per_section, watched, articles)
        china.items = [
            entry.model_copy(update={"shown_above": entry.item.key.removeprefix("event:") in shown}) for entry in china.items
        ]
    rising = _rising(backend, store, trends, query, week, per_section) if "rising" in sections and trends else []
    return DigestContent(
        profile=profile.name, label=profile.label, week=week.label, timezone=week.timezone,
        first_day=week.first_day, last_day=week.last_day, sections=list(sections),
        figures=_figures(counts, week), chart=_chart(counts, week), top_deals=top, by_type=by_type,
        china=china, china_total=china_total, rising=rising,
    )  # fmt: skip


class _ArticleCache:
    """Each article read from the index once per digest."""

    def __init__(self, backend: SearchBackend):
        self.backend = backend
        self.known: dict[str, EnrichedArticle | None] = {}

    def __call__(self, article_id: str) -> EnrichedArticle | None:
        if article_id not in self.known:
            self.known[article_id] = self.backend.get(article_id)
        return self.known[article_id]


# A text filter restricts the events to those of the articles it finds, at most this many.
TEXT_MATCH_LIMIT = 20_000


def _text_matches(backend: SearchBackend, query: SearchQuery, since: datetime, until: datetime) -> set[str]:
    """Ids of the articles the filter's text finds in the period (ids only, page by page)."""
    return set(hit_ids(backend, query.model_copy(update={"since": since, "until": until}), TEXT_MATCH_LIMIT))


def _figures(counts: dict[tuple[date, str], int], week: Week) -> list[TypeFigure]:
    def between(kind: str | None, first: date, days: int) -> int:
        last = first + timedelta(days=days)
        return sum(n for (day, t), n in counts.items() if first <= day < last and (kind is None or t == kind))

    before = week.shifted(-WEEKS_BACK).first_day
    return [
        TypeFigure(
            type=kind, name=TYPE_NAMES.get(kind, (kind, ""))[0] if kind else "All events",
            this_week=between(kind, week.first_day, 7), last_week=between(kind, week.shifted(-1).first_day, 7),
            average=round(between(kind, before, 7 * WEEKS_BACK) / WEEKS_BACK, 1),
        )
        for kind in [*_kinds(counts), None]
    ]  # fmt: skip


def _chart(counts: dict[tuple[date, str], int], week: Week) -> Chart:
    first = week.shifted(1 - WEEKS_BACK).first_day
    days = [first + timedelta(days=n) for n in range(7 * WEEKS_BACK)]
    return Chart(days=days, counts={kind: [counts.get((day, kind), 0) for day in days] for kind in _kinds(counts)})


def _kinds(counts: dict[tuple[date, str], int]) -> list[str]:
    """The event types counted: the digest's own in its order, then any others (a custom
    event_types_file) by name."""
    present = {kind for _, kind in counts}
    return [kind for kind in TYPE_NAMES if kind in present] + sorted(present - set(TYPE_NAMES))


def _item_list(
    into: ItemList, ranked: list[Event], limit: int, watched: set[str], articles: _ArticleCache, shown: set[str]
) -> ItemList:
    chosen = ranked[:limit]
    shown.update(event.id for event in chosen)
    items = [_event_item(event, watched, articles) for event in chosen]
    return into.model_copy(update={"items": items, "more": max(len(ranked) - limit, 0)})


def _event_item(event: Event, watched: set[str], articles: _ArticleCache) -> DigestItem:
    reports = [a for a in map(articles, event.article_ids) if a is not None]
    return DigestItem(
        item=event_item(event, articles),
        score=deal_score(event, watched),
        usd=event.amount.usd if event.amount else None,
        independent_sources=len(set(event.sources)),
        languages=sorted(set(event.languages)),
        watched=bool(watched & party_keys_of(event.parties)),
        translation_pending=any(_untranslated(a) for a in reports),
    )


def _untranslated(article: EnrichedArticle) -> bool:
    return article.lang == "zh" and (
        not article.title_en or (article.translation is not None and article.translation.status == "pending")
    )


def _china(
    backend: SearchBackend, store: EventStore, query: SearchQuery, week: Week, limit: int, watched: set[str],
    articles: _ArticleCache,
) -> tuple[ItemList, int]:
    """The week's Chinese stories, newest first, one item per event cluster (a story reporting
    no event the filter accepts is an item of its own)."""
    search = query.model_copy(update={"langs": ["zh"], "since": week.start, "until": week.end, "sort": "date", "limit": 100})
    result = backend.search(search)
    items: dict[str, DigestItem] = {}
    for hit in result.hits:
        if len(items) == limit:
            break
        events = [e for e in store.events_of(hit.id) if event_matches(query, e)]
        if events:
            for event in events:
                items.setdefault(f"event:{event.id}", _event_item(event, watched, articles))
            continue
        article = articles(hit.id)
        if article is not None:
            items.setdefault(f"article:{article.id}", DigestItem(item=article_item(article), translation_pending=_untranslated(article)))
    listed = list(items.values())[:limit]
    covered = {source.url for entry in listed for source in entry.item.sources}
    more = max(result.total - sum(1 for hit in result.hits if hit.url in covered), 0)
    return ItemList(key="china", name="China this week", name_zh="中国本周", items=listed, more=more), result.total


def _rising(
    backend: SearchBackend, store: EventStore, trends: AlertsSettings, query: SearchQuery, week: Week, limit: int
) -> list[Spike]:
    """The week's spikes (judged on its seven days against the weeks before), of the profile's
    event types when it names some."""
    weekly = trends.model_copy(update={"trends": trends.trends.model_copy(update={"window_days": 7})})
    found = current_trends(backend, store, weekly, week.last_day)
    if query.types:
        found = [spike for spike in found if _spike_type(spike) in query.types]
    return found[:limit]


def _spike_type(spike: Spike) -> str:
    # keys: party:<id>:<type> (ids may hold a colon: candidate:<name>) and topic:<name>:<type>:<lang>
    parts = spike.key.split(":")
    return parts[-1] if spike.kind == "party" else parts[-2]

