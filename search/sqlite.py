"""The embedded index: SQLite with FTS5, Chinese segmented by jieba before indexing.

One row per article in ``articles`` (the whole record as JSON plus the columns filters need),
its event types in ``article_events``, saved searches in ``watches``, and the searchable
text in the FTS5 table ``articles_fts`` whose rowid is the article's rowid: the original title and
body, and their English translations (so an English query finds a Chinese article by its
translation).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from enrich.schema import EnrichedArticle
from search.backend import Progress, RebuildReport, UpsertStats
from search.documents import TEXT_FIELDS, max_usd, party_keys, snippet, snippet_width, sort_date, statuses, utc_key
from search.query import FacetCount, HistogramBucket, SearchHit, SearchQuery, SearchResult, Term
from search.segment import segment
from search.watches import Watch, WatchMatch, match_by_search

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source_id TEXT NOT NULL,
    lang TEXT NOT NULL,
    sort_date TEXT NOT NULL,
    doc TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    indexed_at TEXT NOT NULL,
    max_usd REAL
);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source_id);
CREATE INDEX IF NOT EXISTS articles_sort_date ON articles(sort_date);
CREATE TABLE IF NOT EXISTS article_events (
    article_rowid INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    type TEXT NOT NULL,
    PRIMARY KEY (article_rowid, type)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS article_events_type ON article_events(type);
CREATE TABLE IF NOT EXISTS article_terms (
    article_rowid INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (kind, value, article_rowid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS watches (
    name TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    delivery TEXT,
    created_at TEXT
);
"""
FTS_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, body, title_en, body_en, tokenize = 'porter unicode61 remove_diacritics 2'
)
"""
FTS_COLUMNS = ["title", "body", "title_en", "body_en"]

# bm25 column weights, in FTS_COLUMNS order, as the clusters weigh their fields.
BM25_WEIGHTS = ", ".join(f"{weight:g}" for weight in TEXT_FIELDS.values())
# The matches (``m``) carry their language and source, so those facets read no article row.
FACET_COLUMNS = {"types": "article_events.type", "langs": "m.lang", "sources": "m.source_id"}
# SQLite date expressions for the first day of a histogram bucket (weeks start on Monday).
BUCKETS = {
    "day": "date(m.sort_date)",
    "week": "date(m.sort_date, '-6 days', 'weekday 1')",
    "month": "strftime('%Y-%m-01', m.sort_date)",
    "year": "strftime('%Y-01-01', m.sort_date)",
}


class SqliteBackend:
    name = "sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        self._db.execute(FTS_SCHEMA)
        self._upgrade_fts()
        self._upgrade_sort_dates()
        self._upgrade_terms()
        self._upgrade_watches()

    def _upgrade_sort_dates(self) -> None:
        """Indexes written before sort dates were fixed-width UTC keys get them rewritten once."""
        if self._db.execute("SELECT 1 FROM articles WHERE sort_date NOT LIKE '%Z' LIMIT 1").fetchone():
            with self._db:
                for rowid, doc in self._db.execute("SELECT rowid, doc FROM articles").fetchall():
                    key = utc_key(sort_date(EnrichedArticle.model_validate_json(doc)))
                    self._db.execute("UPDATE articles SET sort_date = ? WHERE rowid = ?", (key, rowid))
    def _upgrade_watches(self) -> None:
        """Watches stored before they had channels, a cadence and a creation time get the columns."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(watches)")}
        with self._db:
            for column in ("delivery", "created_at"):
                if column not in columns:
                    self._db.execute(f"ALTER TABLE watches ADD COLUMN {column} TEXT")

    def _upgrade_terms(self) -> None:
        """An index written before the party, status and amount filters: their rows derived once
        from the stored records."""
        if "max_usd" in [row[1] for row in self._db.execute("PRAGMA table_info(articles)")]:
            return
        with self._db:
            self._db.execute("ALTER TABLE articles ADD COLUMN max_usd REAL")
            for rowid, doc in self._db.execute("SELECT rowid, doc FROM articles").fetchall():
                self._index_filters(rowid, EnrichedArticle.model_validate_json(doc))

    def _upgrade_fts(self) -> None:
        """An index written before the English columns existed: its text table rebuilt from the
        stored records (the records themselves are unchanged)."""
        columns = [row[1] for row in self._db.execute("PRAGMA table_info(articles_fts)")]
        if columns == FTS_COLUMNS:
            return
        with self._db:
            self._db.execute("DROP TABLE articles_fts")
            self._db.execute(FTS_SCHEMA)
            for rowid, doc in self._db.execute("SELECT rowid, doc FROM articles").fetchall():
                self._index_text(rowid, EnrichedArticle.model_validate_json(doc))

    # -- writing -----------------------------------------------------------------------

    def upsert(self, articles: Iterable[EnrichedArticle]) -> UpsertStats:
        stats = UpsertStats()
        now = datetime.now(UTC).isoformat()
        with self._db:
            for article in articles:
                doc = article.model_dump_json()
                doc_hash = hashlib.sha256(doc.encode("utf-8")).hexdigest()
                row = self._db.execute(
                    "SELECT rowid, doc_hash FROM articles WHERE id = ?", (article.id,)
                ).fetchone()
                if row and row[1] == doc_hash:
                    stats.unchanged += 1
                    continue
                values = (article.source_id, article.lang, utc_key(sort_date(article)), doc, doc_hash, now)
                if row:
                    rowid = row[0]
                    self._db.execute(
                        "UPDATE articles SET source_id=?, lang=?, sort_date=?, doc=?, doc_hash=?,"
                        " indexed_at=? WHERE rowid=?",
                        (*values, rowid),
                    )
                    self._db.execute("DELETE FROM article_events WHERE article_rowid=?", (rowid,))
                    self._db.execute("DELETE FROM article_terms WHERE article_rowid=?", (rowid,))
                    self._db.execute("DELETE FROM articles_fts WHERE rowid=?", (rowid,))
                    stats.updated += 1
                else:
                    rowid = self._db.execute(
                        "INSERT INTO articles (id, source_id, lang, sort_date, doc, doc_hash,"
                        " indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (article.id, *values),
                    ).lastrowid
                    stats.inserted += 1
                self._index_text(rowid, article)
                self._index_filters(rowid, article)
        return stats

    def _index_text(self, rowid: int, article: EnrichedArticle) -> None:
        self._db.execute(
            "INSERT INTO articles_fts (rowid, title, body, title_en, body_en) VALUES (?, ?, ?, ?, ?)",
            (rowid, segment(article.index_title), segment(article.index_text), segment(article.title_en or ""),
             segment(article.text_en or "")),
        )

    def _index_filters(self, rowid: int, article: EnrichedArticle) -> None:
        """The rows the type, party and status filters look up, and the largest amount."""
        self._db.executemany(
            "INSERT OR IGNORE INTO article_events (article_rowid, type) VALUES (?, ?)",
            [(rowid, label) for label in article.labels],
        )
        terms = [("party", key) for key in party_keys(article)] + [("status", status) for status in statuses(article)]
        self._db.executemany(
            "INSERT OR IGNORE INTO article_terms (article_rowid, kind, value) VALUES (?, ?, ?)",
            [(rowid, kind, value) for kind, value in terms],
        )
        self._db.execute("UPDATE articles SET max_usd = ? WHERE rowid = ?", (max_usd(article), rowid))

    def delete_sources(self, source_ids: Iterable[str]) -> int:
        ids = list(source_ids)
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        with self._db:
            self._db.execute(
                f"DELETE FROM articles_fts WHERE rowid IN"
                f" (SELECT rowid FROM articles WHERE source_id IN ({marks}))",
                ids,
            )
            return self._db.execute(
                f"DELETE FROM articles WHERE source_id IN ({marks})", ids
            ).rowcount

    def rebuild(self, progress: Progress | None = None) -> RebuildReport:
        """Re-derive events and full text from the stored articles in one transaction: readers
        see the old index until it commits."""
        with self._db:
            self._db.execute("DELETE FROM article_events")
            self._db.execute("DELETE FROM article_terms")
            self._db.execute("DELETE FROM articles_fts")
            rows = self._db.execute("SELECT rowid, doc FROM articles").fetchall()
            for number, (rowid, doc) in enumerate(rows, 1):
                article = EnrichedArticle.model_validate_json(doc)
                key = utc_key(sort_date(article))
                self._db.execute("UPDATE articles SET sort_date = ? WHERE rowid = ?", (key, rowid))
                self._index_text(rowid, article)
                self._index_filters(rowid, article)
                if progress and number % 1000 == 0:
                    progress(f"articles re-indexed: {number}")
        return RebuildReport(documents=len(rows))

    # -- reading -----------------------------------------------------------------------

    def get(self, article_id: str) -> EnrichedArticle | None:
        row = self._db.execute("SELECT doc FROM articles WHERE id = ?", (article_id,)).fetchone()
        return EnrichedArticle.model_validate_json(row[0]) if row else None

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def search(self, query: SearchQuery) -> SearchResult:
        groups = query.term_groups()
        matching, params = _matching(query, groups)
        if query.facets or query.histogram:
            # The total, the page, each facet and the histogram read the matches once, not once each.
            self._db.execute("DROP TABLE IF EXISTS temp.m")
            self._db.execute(f"CREATE TEMP TABLE m AS {matching}", params)
            with_m, params = "", []
        else:
            with_m = f"WITH m AS ({matching})"
        total = self._db.execute(f"{with_m} SELECT count(*) FROM m", params).fetchone()[0]
        relevance = query.sort == "relevance" and bool(groups)
        # bm25 is lower-is-better; newest first among equals; the id breaks the last ties.
        order = "m.rank ASC, m.sort_date DESC, m.id ASC" if relevance else "m.sort_date DESC, m.id ASC"
        after, after_params = _after(query.cursor_values(), relevance)
        # The page is chosen among the matches first; only its articles are read.
        rows = self._db.execute(
            f"{with_m} SELECT articles.doc, m.rank, m.sort_date, m.id"
            f" FROM (SELECT * FROM m {after} ORDER BY {order} LIMIT ?) AS m"
            f" CROSS JOIN articles ON articles.rowid = m.rowid ORDER BY {order}",
            [*params, *after_params, query.limit + 1],
        ).fetchall()
        page = rows[: query.limit]
        next_after = None
        if len(rows) > query.limit:
            last = page[-1]
            next_after = query.next_cursor([last[1], last[2], last[3]] if relevance else [last[2], last[3]])
        words = query.words()
        return SearchResult(
            total=total,
            hits=[
                _hit(EnrichedArticle.model_validate_json(doc), rank if groups else None, words) for doc, rank, *_ in page
            ],
            terms=words,
            facets={facet: self._facet(with_m, params, facet, query.facet_size) for facet in query.facets},
            histogram=self._histogram(with_m, params, query.histogram) if query.histogram else [],
            next_after=next_after,
        )

    def _facet(self, with_m: str, params: list[Any], facet: str, size: int) -> list[FacetCount]:
        # CROSS JOIN keeps SQLite's join order: the matches first (usually few), then a lookup
        # by key, never a scan of the whole table probing the matches.
        join = " CROSS JOIN article_events ON article_events.article_rowid = m.rowid" if facet == "types" else ""
        rows = self._db.execute(
            f"{with_m} SELECT {FACET_COLUMNS[facet]} AS value, count(*) AS n FROM m{join}"
            f" GROUP BY value ORDER BY n DESC, value ASC LIMIT ?",
            [*params, size],
        ).fetchall()
        return [FacetCount(value=value, count=n) for value, n in rows]

    def _histogram(self, with_m: str, params: list[Any], interval: str) -> list[HistogramBucket]:
        rows = self._db.execute(
            f"{with_m} SELECT {BUCKETS[interval]} AS bucket, count(*) FROM m GROUP BY bucket ORDER BY bucket",
            params,
        ).fetchall()
        return [HistogramBucket(start=date.fromisoformat(bucket), count=n) for bucket, n in rows]

    def matching_ids(self, queries: Sequence[SearchQuery], among: Sequence[str]) -> list[set[str]]:
        found = []
        for query in queries:
            matching, params = _matching(query, query.term_groups(), among=list(among))
            found.append({row[0] for row in self._db.execute(f"SELECT id FROM ({matching})", params)})
        return found

    # -- watches -----------------------------------------------------------------------

    def put_watch(self, watch: Watch) -> None:
        now = datetime.now(UTC).isoformat()
        with self._db:
            self._db.execute(
                "INSERT INTO watches (name, query, updated_at, delivery, created_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET query = excluded.query, updated_at = excluded.updated_at,"
                " delivery = excluded.delivery",
                (watch.name, watch.query.model_dump_json(), now, json.dumps(watch.delivery()), now),
            )

    def delete_watch(self, name: str) -> bool:
        with self._db:
            return self._db.execute("DELETE FROM watches WHERE name = ?", (name,)).rowcount > 0

    def watches(self) -> list[Watch]:
        rows = self._db.execute(
            "SELECT name, query, delivery, created_at, updated_at FROM watches ORDER BY name"
        ).fetchall()
        return [
            Watch.stored(name, query, json.loads(delivery) if delivery else None, created_at, updated_at)
            for name, query, delivery, created_at, updated_at in rows
        ]

    def match_watches(self, article_ids: Sequence[str]) -> list[WatchMatch]:
        return match_by_search(self.watches(), article_ids, self.matching_ids)

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "sqlite",
            "path": str(self.path),
            "articles": self.count(),
            "events": self._db.execute("SELECT count(*) FROM article_events").fetchone()[0],
            "watches": self._db.execute("SELECT count(*) FROM watches").fetchone()[0],
        }

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _matching(query: SearchQuery, groups: list[list[Term]], among: list[str] | None = None) -> tuple[str, list[Any]]:
    """SQL selecting (rowid, rank, sort_date, id) of every matching article, and its parameters."""
    where, params = _filters(query)
    if among is not None:
        where.append("articles.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(among))
    if groups:
        where.append("articles_fts MATCH ?")
        params.append(_match_expression(groups))
        source = "articles JOIN articles_fts ON articles_fts.rowid = articles.rowid"
        rank = f"bm25(articles_fts, {BM25_WEIGHTS})"
    else:
        source, rank = "articles", "0.0"
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    sql = (
        f"SELECT articles.rowid AS rowid, {rank} AS rank, articles.sort_date AS sort_date, articles.id AS id,"
        f" articles.lang AS lang, articles.source_id AS source_id FROM {source} {clause}"
    )
    return sql, params


def _after(values: list | None, relevance: bool) -> tuple[str, list[Any]]:
    """The WHERE clause that continues after a cursor's sort values."""
    if values is None:
        return "", []
    try:
        if relevance:
            rank, when, last_id = float(values[0]), str(values[1]), str(values[2])
            return (
                "WHERE (m.rank > ? OR (m.rank = ? AND (m.sort_date < ? OR (m.sort_date = ? AND m.id > ?))))",
                [rank, rank, when, when, last_id],
            )
        when, last_id = str(values[0]), str(values[1])
    except (IndexError, TypeError, ValueError):
        raise ValueError("not a paging cursor of this index") from None
    return "WHERE (m.sort_date < ? OR (m.sort_date = ? AND m.id > ?))", [when, when, last_id]


def _filters(query: SearchQuery) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []

    def any_of(column: str, values: list[str]) -> None:
        where.append(f"{column} IN ({','.join('?' * len(values))})")
        params.extend(values)

    if query.types:
        where.append(
            "articles.rowid IN (SELECT article_rowid FROM article_events WHERE type IN"
            f" ({','.join('?' * len(query.types))}))"
        )
        params.extend(query.types)
    for kind, values in (("party", query.party_keys), ("status", list(query.statuses))):
        if values:
            where.append(
                f"articles.rowid IN (SELECT article_rowid FROM article_terms WHERE kind = ? AND value IN"
                f" ({','.join('?' * len(values))}))"
            )
            params.extend([kind, *values])
    if query.min_usd is not None:
        where.append("articles.max_usd >= ?")
        params.append(query.min_usd)
    if query.langs:
        any_of("articles.lang", list(query.langs))
    if query.sources:
        any_of("articles.source_id", query.sources)
    if query.since:
        where.append("articles.sort_date >= ?")
        params.append(utc_key(query.since))
    if query.until:
        where.append("articles.sort_date < ?")
        params.append(utc_key(query.until))
    return where, params


def _match_expression(groups: list[list[Term]]) -> str:
    """An FTS5 query in which every group must match by one of its terms; user text is only
    ever quoted data."""

    def phrase(term: Term) -> str:
        return '"' + " ".join(word.replace('"', '""') for word in term) + '"'

    return " AND ".join("(" + " OR ".join(map(phrase, group)) + ")" for group in groups)


def _hit(article: EnrichedArticle, rank: float | None, words: list[str]) -> SearchHit:
    text, lang = article.text, article.lang
    if article.text_en and not _mentions(text, words) and _mentions(article.text_en, words):
        text, lang = article.text_en, "en"  # found by its translation: show where
    text, spans = snippet(text, words, snippet_width(lang))
    english, english_spans = snippet(article.text_en, words) if article.text_en else (None, [])
    return SearchHit(
        id=article.id,
        title=article.title,
        title_en=article.title_en,
        url=article.url,
        source_id=article.source_id,
        lang=article.lang,
        published_at=article.published_at,
        labels=article.labels,
        snippet=text,
        highlights=spans,
        # bm25 is lower-is-better; flip it so a larger score means more relevant.
        score=-rank if rank is not None else None,
        snippet_en=english,
        highlights_en=english_spans,
    )


def _mentions(text: str, words: list[str]) -> bool:
    return any(re.search(re.escape(word), text, re.IGNORECASE) for word in words)
