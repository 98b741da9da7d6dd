"""The cross-partition event store: every article's event mentions, the events they form, the
organisations the gazetteer lacks, and each partition's coverage, in one SQLite file.

Events span sources and days, while Dagster materialises one (source, day) at a time. Each
materialisation replaces that partition's mentions, then the events are recomputed from all
stored mentions (``enrich.clusters``, deterministic): re-running a partition changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from enrich.clusters import ReportedMention, cluster_events
from enrich.schema import EnrichedArticle, Event, EventMention
from search.query import SearchQuery, party_key
from spiders.localdb import open_local_db, write_transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS mentions (
    article_id TEXT NOT NULL,
    type TEXT NOT NULL,
    source_id TEXT NOT NULL,
    day TEXT NOT NULL,
    lang TEXT NOT NULL,
    reported_at TEXT,
    doc TEXT NOT NULL,
    PRIMARY KEY (article_id, type)
);
CREATE INDEX IF NOT EXISTS mentions_partition ON mentions(source_id, day);
CREATE TABLE IF NOT EXISTS partitions (
    source_id TEXT NOT NULL,
    day TEXT NOT NULL,
    articles INTEGER NOT NULL,
    with_events INTEGER NOT NULL,
    PRIMARY KEY (source_id, day)
);
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    date TEXT,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event_articles (
    event_id TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (event_id, article_id)
);
CREATE INDEX IF NOT EXISTS event_articles_article ON event_articles(article_id);
CREATE TABLE IF NOT EXISTS candidates (
    candidate_id TEXT NOT NULL,
    name TEXT NOT NULL,
    article_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    day TEXT NOT NULL,
    PRIMARY KEY (candidate_id, article_id)
);
CREATE INDEX IF NOT EXISTS candidates_partition ON candidates(source_id, day);
"""


@dataclass(frozen=True)
class PartitionUpdate:
    """What storing one partition did."""

    events: list[Event]  # the events this partition's articles belong to
    new: int  # of those, events that did not exist before
    total: int  # events in the store


@dataclass(frozen=True)
class Coverage:
    day: date
    articles: int
    with_events: int

    @property
    def share(self) -> float:
        return self.with_events / self.articles if self.articles else 0.0


class EventStore:
    def __init__(
        self, path: Path, window_days: int, single_party_window_days: int = 14, max_amount_ratio: float = 1.5
    ):
        self.path = Path(path)
        self.window_days = window_days
        self.single_party_window_days = single_party_window_days
        self.max_amount_ratio = max_amount_ratio
        self._db = open_local_db(self.path)
        self._db.executescript(SCHEMA)
        # The filters' own Python rules inside SQL: party names as SearchQuery looks them up,
        # days in the reader's time zone.
        self._db.create_function("party_key", 1, lambda name: party_key(name) if name else None, deterministic=True)
        self._db.create_function("local_day", 2, _local_day, deterministic=True)

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def replace_partition(self, source_id: str, day: date, articles: Iterable[EnrichedArticle]) -> PartitionUpdate:
        """Store the partition's mentions in place of its earlier ones; recompute the events."""
        articles = list(articles)
        key = (source_id, day.isoformat())
        with write_transaction(self._db):  # one writer at a time across concurrent runs
            before = {row[0] for row in self._db.execute("SELECT id FROM events")}
            self._db.execute("DELETE FROM mentions WHERE source_id = ? AND day = ?", key)
            self._db.execute("DELETE FROM candidates WHERE source_id = ? AND day = ?", key)
            self._db.executemany(
                "INSERT OR REPLACE INTO mentions VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (a.id, m.type, *key, a.lang, _iso(a.published_at or a.fetched_at), m.model_dump_json())
                    for a in articles
                    for m in a.events
                ],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO candidates VALUES (?, ?, ?, ?, ?)",
                [
                    (p.id, p.name, a.id, *key)
                    for a in articles
                    for m in a.events
                    for p in m.parties
                    if not p.known
                ],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO partitions VALUES (?, ?, ?, ?)",
                (*key, len(articles), sum(1 for a in articles if a.events)),
            )
            events = self._rebuild_events()
        mine = {a.id for a in articles}
        touched = [e for e in events if mine.intersection(e.article_ids)]
        return PartitionUpdate(events=touched, new=sum(1 for e in touched if e.id not in before), total=len(events))

    def delete_sources(self, source_ids: Iterable[str]) -> None:
        """Forget what these sources contributed (the demo replaces its own data)."""
        ids = list(source_ids)
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        with write_transaction(self._db):
            for table in ("mentions", "candidates", "partitions"):
                self._db.execute(f"DELETE FROM {table} WHERE source_id IN ({marks})", ids)
            self._rebuild_events()

    def events(self, event_type: str | None = None, limit: int | None = None) -> list[Event]:
        """Stored events, most widely reported first, then the most recent."""
        # Dates are stored in UTC ISO form (_iso), so their text sorts as the instants do; an
        # undated event comes after the dated ones (NULL sorts lowest).
        rows = self._db.execute(
            "SELECT doc FROM events" + (" WHERE type = ?" if event_type else "")
            + " ORDER BY (SELECT count(*) FROM event_articles WHERE event_id = events.id) DESC, date DESC, id"
            + (" LIMIT ?" if limit else ""),
            [value for value in (event_type, limit) if value],
        ).fetchall()
        return [Event.model_validate_json(doc) for (doc,) in rows]

    def events_of(self, article_id: str) -> list[Event]:
        """The events an article reports (with every other article reporting them)."""
        rows = self._db.execute(
            "SELECT events.doc FROM event_articles JOIN events ON events.id = event_articles.event_id"
            " WHERE event_articles.article_id = ? ORDER BY events.id",
            (article_id,),
        ).fetchall()
        return [Event.model_validate_json(doc) for (doc,) in rows]

    def party_daily_counts(self) -> list[tuple[str, str, str, date, int]]:
        """Events per (party id, its name, event type, day first reported): SQL over the stored
        events, for trend alerts."""
        rows = self._db.execute(
            "SELECT json_extract(p.value, '$.id') AS party, min(json_extract(p.value, '$.name')), events.type,"
            " substr(events.date, 1, 10) AS day, count(*) FROM events, json_each(events.doc, '$.parties') AS p"
            " WHERE events.date IS NOT NULL GROUP BY party, events.type, day"
        ).fetchall()
        return [(party, name, kind, date.fromisoformat(day), n) for party, name, kind, day, n in rows]

    def events_between(
        self, since: datetime, until: datetime, query: SearchQuery | None = None, article_ids: Collection[str] | None = None
    ) -> list[Event]:
        """The events first reported in [since, until) that the query's event filters accept
        (see :func:`event_filter`), oldest first."""
        where, params = event_filter(since, until, query, article_ids)
        rows = self._db.execute(f"SELECT doc FROM events WHERE {where} ORDER BY date, id", params).fetchall()
        return [Event.model_validate_json(doc) for (doc,) in rows]

    def daily_type_counts(
        self, since: datetime, until: datetime, timezone: str, query: SearchQuery | None = None,
        article_ids: Collection[str] | None = None,
    ) -> dict[tuple[date, str], int]:
        """Events first reported in [since, until) per (local day, type): a GROUP BY in SQL, no
        event document loaded."""
        where, params = event_filter(since, until, query, article_ids)
        rows = self._db.execute(
            f"SELECT local_day(date, ?) AS day, type, count(*) FROM events WHERE {where} GROUP BY day, type",
            (timezone, *params),
        ).fetchall()
        return {(date.fromisoformat(day), kind): n for day, kind, n in rows}

    def candidates(self, limit: int = 50) -> list[tuple[str, int]]:
        """Organisations the gazetteer lacks, by the number of articles naming them."""
        return self._db.execute(
            "SELECT min(name), count(DISTINCT article_id) AS n FROM candidates GROUP BY candidate_id"
            " ORDER BY n DESC, min(name) LIMIT ?",
            (limit,),
        ).fetchall()

    def coverage(self, source_id: str) -> list[Coverage]:
        """Each stored partition of the source: articles, and articles with an event."""
        rows = self._db.execute(
            "SELECT day, articles, with_events FROM partitions WHERE source_id = ? ORDER BY day", (source_id,)
        ).fetchall()
        return [Coverage(date.fromisoformat(day), articles, with_events) for day, articles, with_events in rows]

    def _rebuild_events(self) -> list[Event]:
        """Recompute every event from the stored mentions (inside the caller's transaction)."""
        events = cluster_events(
            self._reported(), self.window_days, self.single_party_window_days, self.max_amount_ratio
        )
        self._db.execute("DELETE FROM events")
        self._db.execute("DELETE FROM event_articles")
        self._db.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?)",
            [(e.id, e.type, _iso(e.date), e.model_dump_json()) for e in events],
        )
        self._db.executemany(
            "INSERT OR IGNORE INTO event_articles VALUES (?, ?)",
            [(e.id, article_id) for e in events for article_id in e.article_ids],
        )
        return events

    def _reported(self) -> list[ReportedMention]:
        return [
            ReportedMention(
                article_id=article_id, source_id=source_id, lang=lang,
                reported_at=datetime.fromisoformat(reported_at) if reported_at else None,
                mention=EventMention.model_validate_json(doc),
            )
            for article_id, source_id, lang, reported_at, doc in self._db.execute(
                "SELECT article_id, source_id, lang, reported_at, doc FROM mentions ORDER BY article_id, type"
            )
        ]


@dataclass(frozen=True)
class CoverageVerdict:
    passed: bool
    metadata: dict[str, object]


# The baseline is the mean share of the source's last few partitions with enough articles to
# say something; fewer of them than MIN_HISTORY and there is nothing to compare with yet.
BASELINE_PARTITIONS = 7
MIN_ARTICLES = 3
MIN_HISTORY = 2


def coverage_verdict(coverage: list[Coverage], day: date, drop: float) -> CoverageVerdict:
    """Did the share of articles with an event on ``day`` fall below ``drop`` times the
    source's recent average?"""
    current = next((c for c in coverage if c.day == day), None)
    history = [c for c in coverage if c.day < day and c.articles >= MIN_ARTICLES][-BASELINE_PARTITIONS:]
    metadata: dict[str, object] = {
        "articles": current.articles if current else 0,
        "with_events": current.with_events if current else 0,
        "share": round(current.share, 3) if current else 0.0,
        "baseline_partitions": len(history),
    }
    if current is None or current.articles < MIN_ARTICLES or len(history) < MIN_HISTORY:
        metadata["note"] = "too few articles or too little history to judge"
        return CoverageVerdict(True, metadata)
    baseline = sum(c.share for c in history) / len(history)
    metadata["baseline_share"] = round(baseline, 3)
    metadata["minimum_share"] = round(baseline * drop, 3)
    return CoverageVerdict(current.share >= baseline * drop, metadata)


def event_filter(
    since: datetime, until: datetime, query: SearchQuery | None, article_ids: Collection[str] | None
) -> tuple[str, list]:
    """SQL over the ``events`` table for a query's filters, held against each event: its type,
    status and amount, a party (by id, English or Chinese name, as ``SearchQuery.parties``), a
    language and a source among its reports; ``article_ids`` (the articles a text search
    found) keeps the events one of them reports."""
    clauses = ["date IS NOT NULL", "julianday(date) >= julianday(?)", "julianday(date) < julianday(?)"]
    params: list = [since.isoformat(), until.isoformat()]

    def any_of(expression: str, values: Collection[str]) -> None:
        clauses.append(f"{expression} IN ({','.join('?' * len(values))})")
        params.extend(values)

    if query is not None:
        if query.types:
            any_of("type", query.types)
        if query.statuses:
            any_of("json_extract(doc, '$.status')", query.statuses)
        if query.min_usd is not None:
            clauses.append("json_extract(doc, '$.amount.usd') >= ?")
            params.append(query.min_usd)
        if query.parties:
            keys = query.party_keys
            marks = ",".join("?" * len(keys))
            clauses.append(
                "EXISTS (SELECT 1 FROM json_each(doc, '$.parties') AS p WHERE"
                f" party_key(json_extract(p.value, '$.id')) IN ({marks}) OR party_key(json_extract(p.value, '$.name'))"
                f" IN ({marks}) OR party_key(json_extract(p.value, '$.name_zh')) IN ({marks}))"
            )
            params.extend(keys * 3)
        for field, values in (("languages", query.langs), ("sources", query.sources)):
            if values:
                marks = ",".join("?" * len(values))
                clauses.append(f"EXISTS (SELECT 1 FROM json_each(doc, '$.{field}') AS v WHERE v.value IN ({marks}))")
                params.extend(values)
    if article_ids is not None:
        ids = sorted(article_ids)
        clauses.append(
            "EXISTS (SELECT 1 FROM event_articles AS ea WHERE ea.event_id = events.id AND ea.article_id IN"
            " (SELECT value FROM json_each(?)))"
        )
        params.append(json.dumps(ids))
    return " AND ".join(clauses), params


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local_day(moment: str | None, zone: str) -> str | None:
    return datetime.fromisoformat(moment).astimezone(_zone(zone)).date().isoformat() if moment else None


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment.astimezone(UTC) if moment.tzinfo else moment).isoformat()
