"""The embedded index: SQLite with FTS5, Chinese segmented by jieba before indexing.

One row per article in ``articles`` (the whole record as JSON plus the columns filters need),
its event types in ``article_events``, and the searchable text in the FTS5 table
``articles_fts`` whose rowid is the article's rowid: the original title and body, and their
English translations (so an English query finds a Chinese article by its translation).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from enrich.schema import EnrichedArticle
from search.backend import UpsertStats
from search.query import SearchHit, SearchQuery, SearchResult
from search.segment import query_terms, segment

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source_id TEXT NOT NULL,
    lang TEXT NOT NULL,
    sort_date TEXT NOT NULL,
    doc TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    indexed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source_id);
CREATE INDEX IF NOT EXISTS articles_sort_date ON articles(sort_date);
CREATE TABLE IF NOT EXISTS article_events (
    article_rowid INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    type TEXT NOT NULL,
    PRIMARY KEY (article_rowid, type)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS article_events_type ON article_events(type);
"""
FTS_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, body, title_en, body_en, tokenize = 'porter unicode61 remove_diacritics 2'
)
"""
FTS_COLUMNS = ["title", "body", "title_en", "body_en"]

# bm25 column weights: a match in the headline counts five times one in the body (in the
# original and in the translation alike).
TITLE_WEIGHT, BODY_WEIGHT = 5.0, 1.0
WEIGHTS = ", ".join(str(w) for w in (TITLE_WEIGHT, BODY_WEIGHT, TITLE_WEIGHT, BODY_WEIGHT))
# Snippet length in characters; Chinese text gets half, as each character is a wide glyph.
SNIPPET_CHARS = 220


class SqliteBackend:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        self._db.execute(FTS_SCHEMA)
        self._upgrade_fts()

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

    def _index_text(self, rowid: int, article: EnrichedArticle) -> None:
        self._db.execute(
            "INSERT INTO articles_fts (rowid, title, body, title_en, body_en) VALUES (?, ?, ?, ?, ?)",
            (rowid, segment(article.index_title), segment(article.index_text), segment(article.title_en or ""),
             segment(article.text_en or "")),
        )

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
                values = (article.source_id, article.lang, _sort_date(article), doc, doc_hash, now)
                if row:
                    rowid = row[0]
                    self._db.execute(
                        "UPDATE articles SET source_id=?, lang=?, sort_date=?, doc=?, doc_hash=?,"
                        " indexed_at=? WHERE rowid=?",
                        (*values, rowid),
                    )
                    self._db.execute("DELETE FROM article_events WHERE article_rowid=?", (rowid,))
                    self._db.execute("DELETE FROM articles_fts WHERE rowid=?", (rowid,))
                    stats.updated += 1
                else:
                    rowid = self._db.execute(
                        "INSERT INTO articles (id, source_id, lang, sort_date, doc, doc_hash,"
                        " indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (article.id, *values),
                    ).lastrowid
                    stats.inserted += 1
                self._db.executemany(
                    "INSERT OR IGNORE INTO article_events (article_rowid, type) VALUES (?, ?)",
                    [(rowid, label) for label in article.labels],
                )
                self._index_text(rowid, article)
        return stats

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

    # -- reading -----------------------------------------------------------------------

    def get(self, article_id: str) -> EnrichedArticle | None:
        row = self._db.execute("SELECT doc FROM articles WHERE id = ?", (article_id,)).fetchone()
        return EnrichedArticle.model_validate_json(row[0]) if row else None

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def search(self, query: SearchQuery) -> SearchResult:
        terms = query_terms(query.text)
        where, params = _filters(query)
        if terms:
            where.append("articles_fts MATCH ?")
            params.append(_match_expression(terms))
            source = "articles JOIN articles_fts ON articles_fts.rowid = articles.rowid"
            score = f"bm25(articles_fts, {WEIGHTS})"
            order = f"{score}, articles.sort_date DESC"
        else:
            source, score, order = "articles", "NULL", "articles.sort_date DESC"
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        total = self._db.execute(f"SELECT count(*) FROM {source} {clause}", params).fetchone()[0]
        rows = self._db.execute(
            f"SELECT articles.doc, {score} FROM {source} {clause} ORDER BY {order} LIMIT ?",
            [*params, query.limit],
        ).fetchall()
        words = [word for term in terms for word in term]
        hits = [_hit(EnrichedArticle.model_validate_json(doc), rank, words) for doc, rank in rows]
        return SearchResult(total=total, hits=hits, terms=words)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SqliteBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sort_date(article: EnrichedArticle) -> str:
    return (article.published_at or article.fetched_at).astimezone(UTC).isoformat()


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
    if query.langs:
        any_of("articles.lang", list(query.langs))
    if query.sources:
        any_of("articles.source_id", query.sources)
    if query.since:
        where.append("articles.sort_date >= ?")
        params.append(query.since.astimezone(UTC).isoformat())
    if query.until:
        where.append("articles.sort_date < ?")
        params.append(query.until.astimezone(UTC).isoformat())
    return where, params


def _match_expression(terms: list[list[str]]) -> str:
    """An FTS5 query in which every term must match; user text is only ever quoted data."""
    return " AND ".join(
        '"' + " ".join(word.replace('"', '""') for word in term) + '"' for term in terms
    )


def _hit(article: EnrichedArticle, rank: float | None, words: list[str]) -> SearchHit:
    text, lang = article.text, article.lang
    if article.text_en and not _mentions(text, words) and _mentions(article.text_en, words):
        text, lang = article.text_en, "en"  # found by its translation: show where
    return SearchHit(
        id=article.id,
        title=article.title,
        title_en=article.title_en,
        url=article.url,
        source_id=article.source_id,
        lang=article.lang,
        published_at=article.published_at,
        labels=article.labels,
        snippet=snippet(text, words, SNIPPET_CHARS // 2 if lang == "zh" else SNIPPET_CHARS),
        # bm25 is lower-is-better; flip it so a larger score means more relevant.
        score=-rank if rank is not None else None,
    )


def _mentions(text: str, words: list[str]) -> bool:
    return any(re.search(re.escape(word), text, re.IGNORECASE) for word in words)


def snippet(text: str, words: list[str], width: int = SNIPPET_CHARS) -> str:
    """A window of ``text`` around the first query word it contains (its start if none)."""
    flat = " ".join(text.split())
    start = 0
    positions = [
        match.start()
        for word in words
        if (match := re.search(re.escape(word), flat, re.IGNORECASE)) is not None
    ]
    if positions:
        start = max(0, min(positions) - width // 4)
    fragment = flat[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(flat) else ""
    return f"{prefix}{fragment}{suffix}"

