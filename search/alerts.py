"""What a watch alerts about: one item per event cluster, not per article.

The backend says which of a batch's articles each watch matches (``match_watches``); here
those articles are gathered into the events they report (one ``Event`` per deal, across
outlets and languages), so a deal reported by five outlets in two languages is one item
listing every source. An article that reports no event of the watched types is an item of
its own (its copies elsewhere are already merged into it: ``reported_by``).

An item's ``key`` is what delivery is made exactly once for: ``event:<id>`` or
``article:<id>``, paired with the watch's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from enrich.schema import Amount, EnrichedArticle, Event
from search.query import SearchQuery, party_keys_of
from search.watches import Watch, WatchMatch


class ItemSource(BaseModel):
    """One outlet's report of the item."""

    source_id: str
    url: str
    lang: str
    title: str
    published_at: datetime | None = None


class AlertItem(BaseModel):
    """One deal (or one article) as an alert shows it; every text field is as scraped (raw)."""

    key: str = Field(description="event:<id> or article:<id>: what the alert is sent once for")
    title: str = Field(description="in English when there is an English report or a translation")
    title_original: str | None = Field(default=None, description="the Chinese title, when the item has one")
    url: str = Field(description="the first report")
    date: datetime | None = None
    event_type: str | None = None
    status: str | None = None
    parties: list[str] = Field(default_factory=list, description="canonical English names (Chinese in brackets)")
    amount: str | None = None
    evidence: str | None = Field(default=None, description="the sentence that shows the event")
    sources: list[ItemSource] = Field(default_factory=list)

    @property
    def source_ids(self) -> list[str]:
        return list(dict.fromkeys(source.source_id for source in self.sources))


class WatchAlert(BaseModel):
    watch: str
    item: AlertItem


EventsOf = Callable[[str], list[Event]]
ArticleOf = Callable[[str], EnrichedArticle | None]


def watch_alerts(
    watches: Sequence[Watch], matches: Iterable[WatchMatch], events_of: EventsOf, article_of: ArticleOf
) -> list[WatchAlert]:
    """Each watch's matches gathered into items, one per event cluster."""
    by_watch: dict[str, list[str]] = {}
    for match in matches:
        by_watch.setdefault(match.watch, []).append(match.article_id)
    alerts = []
    for watch in watches:
        if watch.name in by_watch:
            items = cluster_items(watch, by_watch[watch.name], events_of, article_of)
            alerts.extend(WatchAlert(watch=watch.name, item=item) for item in items)
    return alerts


def cluster_items(watch: Watch, article_ids: Sequence[str], events_of: EventsOf, article_of: ArticleOf) -> list[AlertItem]:
    """The items a watch's matched articles make: one per event the watch's filters accept."""
    items: dict[str, AlertItem] = {}
    for article_id in sorted(set(article_ids)):
        events = [event for event in events_of(article_id) if event_matches(watch.query, event)]
        for event in events:
            key = f"event:{event.id}"
            if key not in items:
                items[key] = event_item(event, article_of)
        if not events and f"article:{article_id}" not in items:
            article = article_of(article_id)
            if article is not None:
                items[f"article:{article_id}"] = article_item(article)
    return sorted(items.values(), key=lambda item: (item.date is None, item.date, item.key))


def event_matches(query: SearchQuery, event: Event) -> bool:
    """The query's event filters (types, parties, statuses, amount) held against one event:
    the article matched them through some event, the item is the events that do."""
    if query.types and event.type not in query.types:
        return False
    if query.statuses and event.status not in query.statuses:
        return False
    if query.min_usd is not None and not (event.amount and event.amount.usd is not None and event.amount.usd >= query.min_usd):
        return False
    if query.parties:
        return bool(set(query.party_keys) & party_keys_of(event.parties))
    return True


def event_item(event: Event, article_of: ArticleOf) -> AlertItem:
    articles = [a for a in map(article_of, event.article_ids) if a is not None]
    articles.sort(key=lambda a: (a.published_at is None, a.published_at, a.id))
    english = next((a for a in articles if a.lang == "en"), None)
    chinese = next((a for a in articles if a.lang == "zh"), None)
    first = articles[0] if articles else None
    title = english.title if english else (chinese.title_en or chinese.title) if chinese else event.type
    evidence = next((e.sentence for e in event.evidence if e.lang == "en"), None) or next(
        (e.sentence for e in event.evidence), None
    )
    return AlertItem(
        key=f"event:{event.id}",
        title=title,
        title_original=chinese.title if chinese else None,
        url=first.url if first else "",
        date=event.date,
        event_type=event.type,
        status=event.status,
        parties=[f"{p.name} ({p.name_zh})" if p.name_zh and p.name_zh != p.name else p.name for p in event.parties],
        amount=amount_text(event.amount),
        evidence=evidence,
        sources=[source for article in articles for source in article_sources(article)],
    )


def article_item(article: EnrichedArticle) -> AlertItem:
    strongest = max(article.events, key=lambda m: m.score, default=None)
    return AlertItem(
        key=f"article:{article.id}",
        title=article.title_en or article.title if article.lang == "zh" else article.title,
        title_original=article.title if article.lang == "zh" else None,
        url=article.url,
        date=article.published_at,
        event_type=strongest.type if strongest else None,
        status=strongest.status if strongest else None,
        parties=[p.name for p in strongest.parties] if strongest else [],
        amount=amount_text(strongest.amount) if strongest else None,
        evidence=strongest.evidence[0] if strongest and strongest.evidence else None,
        sources=article_sources(article),
    )


def article_sources(article: EnrichedArticle) -> list[ItemSource]:
    """The article and every other outlet that published it."""
    title = article.title
    own = ItemSource(
        source_id=article.source_id, url=article.url, lang=article.lang, title=title, published_at=article.published_at
    )
    copies = [
        ItemSource(source_id=ref.source_id, url=ref.url, lang=article.lang, title=title, published_at=ref.published_at)
        for ref in article.reported_by
        if ref.url != article.url
    ]
    return [own, *copies]


def amount_text(amount: Amount | None) -> str | None:
    if amount is None:
        return None
    approx = "about " if amount.approximate else ""
    stated = f"{approx}{amount.value:,.0f} {amount.currency}"
    if amount.usd is not None and amount.currency != "USD":
        stated += f" (≈ {amount.usd:,.0f} USD)"
    return stated
