"""The crawler's memory of one source, kept between runs: ``<state_dir>/<source>/state.sqlite``.

- ``urls``: every article URL ever found (by canonical URL), with what became of it:
  ``pending`` (found, not fetched yet), ``stored`` (in the raw store), ``failed`` (a
  permanent failure such as a 404, or a transient one retried on later runs until
  ``attempts`` reaches the limit, then ``gave_up``). A re-run fetches only what is pending.
- ``validators``: the ETag and Last-Modified of feeds, sitemaps and listings, sent back as
  ``If-None-Match``/``If-Modified-Since`` so an unchanged feed costs a 304.
- ``links``: what each crawl decided about each link it found (queued, deferred, skipped) and why.
- ``crawls``: each crawl, its raw-store segment and its counts.

Every change is committed at once (SQLite, WAL), so a crawl killed at any instant leaves the
memory consistent: found links stay pending and are fetched by the next run. The one gap — a
page written to the raw store, killed before its row said ``stored`` — is closed when the
next crawl starts: it reads the segments of crawls that never finished (``reconcile``).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from spiders.localdb import open_local_db, write_transaction

LinkDecision = Literal["queued", "deferred", "skipped"]
UrlState = Literal["pending", "stored", "failed", "gave_up"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    key        TEXT PRIMARY KEY,          -- canonical URL
    url        TEXT NOT NULL,             -- what to request
    state      TEXT NOT NULL,             -- pending | stored | failed | gave_up
    reason     TEXT,                      -- why it failed, if it did
    attempts   INTEGER NOT NULL DEFAULT 0,
    found_on   TEXT,                      -- the feed, sitemap or listing that linked it
    first_seen TEXT NOT NULL,
    updated    TEXT NOT NULL,
    crawl_id   TEXT                       -- the crawl that last touched it
);
CREATE INDEX IF NOT EXISTS urls_by_state ON urls (state, first_seen);
CREATE TABLE IF NOT EXISTS validators (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    updated       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
    crawl_id TEXT NOT NULL,
    url      TEXT NOT NULL,               -- canonical URL, or the link as written when invalid
    found_on TEXT,
    decision TEXT NOT NULL,               -- queued | deferred | skipped
    reason   TEXT,
    at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS links_by_crawl ON links (crawl_id);
CREATE TABLE IF NOT EXISTS crawls (
    crawl_id     TEXT PRIMARY KEY,
    segment      TEXT NOT NULL,
    started      TEXT NOT NULL,
    finished     TEXT,
    pages        INTEGER,
    new_articles INTEGER
);
"""


@dataclass(frozen=True)
class KnownUrl:
    key: str
    url: str
    state: UrlState
    reason: str | None
    attempts: int
    found_on: str | None


@dataclass(frozen=True)
class Link:
    url: str
    found_on: str | None
    decision: LinkDecision
    reason: str | None


@dataclass(frozen=True)
class CrawlRecord:
    crawl_id: str
    segment: Path
    started: datetime
    finished: datetime | None
    pages: int | None
    new_articles: int | None


def _now() -> str:
    return datetime.now(UTC).isoformat()


class CrawlState:
    """One source's crawl memory; a context manager that closes the database."""

    def __init__(self, state_dir: Path, source_id: str):
        self.path = Path(state_dir) / source_id / "state.sqlite"
        self._db = open_local_db(self.path, timeout=30)
        self._db.execute("PRAGMA synchronous=NORMAL")  # durable against a killed process
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CrawlState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def batch(self) -> AbstractContextManager[None]:
        """Group writes into one transaction: all of them happen, or none."""
        return write_transaction(self._db)

    # -- crawls ------------------------------------------------------------------------

    def start_crawl(self, crawl_id: str, segment: Path) -> None:
        self._db.execute(
            "INSERT INTO crawls (crawl_id, segment, started) VALUES (?, ?, ?) "
            "ON CONFLICT (crawl_id) DO UPDATE SET finished = NULL",
            (crawl_id, str(segment), _now()),
        )

    def finish_crawl(self, crawl_id: str, pages: int, new_articles: int) -> None:
        self._db.execute(
            "UPDATE crawls SET finished = ?, pages = ?, new_articles = ? WHERE crawl_id = ?",
            (_now(), pages, new_articles, crawl_id),
        )

    def unfinished_crawls(self, other_than: str) -> list[CrawlRecord]:
        rows = self._db.execute(
            "SELECT * FROM crawls WHERE finished IS NULL AND crawl_id != ? ORDER BY started", (other_than,)
        )
        return [_crawl(row) for row in rows]

    def close_unfinished(self, crawl_id: str) -> None:
        """Mark a crawl that died as over (its counts stay unknown)."""
        self._db.execute("UPDATE crawls SET finished = ? WHERE crawl_id = ?", (_now(), crawl_id))

    def recent_crawls(self, limit: int) -> list[CrawlRecord]:
        """The last finished crawls, newest first."""
        rows = self._db.execute(
            "SELECT * FROM crawls WHERE finished IS NOT NULL ORDER BY started DESC LIMIT ?", (limit,)
        )
        return [_crawl(row) for row in rows]

    # -- URLs --------------------------------------------------------------------------

    def get(self, key: str) -> KnownUrl | None:
        row = self._db.execute(
            "SELECT key, url, state, reason, attempts, found_on FROM urls WHERE key = ?", (key,)
        ).fetchone()
        return KnownUrl(*row) if row else None

    def add_pending(self, key: str, url: str, found_on: str | None, crawl_id: str) -> None:
        now = _now()
        self._db.execute(
            "INSERT INTO urls (key, url, state, found_on, first_seen, updated, crawl_id) "
            "VALUES (?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
            (key, url, found_on, now, now, crawl_id),
        )

    def pending(self) -> list[KnownUrl]:
        """URLs found earlier and not stored yet (transient failures included), oldest first."""
        rows = self._db.execute(
            "SELECT key, url, state, reason, attempts, found_on FROM urls "
            "WHERE state = 'pending' ORDER BY first_seen, key"
        )
        return [KnownUrl(*row) for row in rows]

    def mark_stored(self, keys: Iterable[str], url: str, crawl_id: str) -> None:
        """The page is in the raw store, under each of ``keys`` (its URL, final URL, rel=canonical)."""
        now = _now()
        with self.batch():
            for key in dict.fromkeys(keys):
                self._db.execute(
                    "INSERT INTO urls (key, url, state, first_seen, updated, crawl_id, attempts) "
                    "VALUES (?, ?, 'stored', ?, ?, ?, 1) ON CONFLICT (key) DO UPDATE SET "
                    "state = 'stored', reason = NULL, attempts = attempts + 1, updated = excluded.updated, "
                    "crawl_id = excluded.crawl_id",
                    (key, url, now, now, crawl_id),
                )

    def mark_failed(self, key: str, url: str, reason: str, permanent: bool, max_attempts: int, crawl_id: str) -> None:
        """A failed fetch: ``failed`` for good if ``permanent``; else ``pending`` again, to be
        retried by a later run, until ``max_attempts`` fetches have failed (``gave_up``)."""
        now = _now()
        with self.batch():
            known = self.get(key)
            if known is not None and known.state == "stored":
                return  # stored under another URL already (a redirect or rel=canonical)
            attempts = (known.attempts if known else 0) + 1
            state = "failed" if permanent else ("gave_up" if attempts >= max_attempts else "pending")
            self._db.execute(
                "INSERT INTO urls (key, url, state, reason, attempts, first_seen, updated, crawl_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state, "
                "reason = excluded.reason, attempts = excluded.attempts, updated = excluded.updated, "
                "crawl_id = excluded.crawl_id",
                (key, url, state, reason, attempts, now, now, crawl_id),
            )

    def counts(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT state, count(*) FROM urls GROUP BY state").fetchall())

    # -- validators --------------------------------------------------------------------

    def validators(self, url: str) -> dict[str, str]:
        """Conditional-request headers for ``url``, from its last successful fetch."""
        row = self._db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        headers = {}
        if row and row[0]:
            headers["If-None-Match"] = row[0]
        if row and row[1]:
            headers["If-Modified-Since"] = row[1]
        return headers

    def remember_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if etag or last_modified:
            self._db.execute(
                "INSERT INTO validators (url, etag, last_modified, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, "
                "updated = excluded.updated",
                (url, etag, last_modified, _now()),
            )
        else:
            self._db.execute("DELETE FROM validators WHERE url = ?", (url,))

    # -- links -------------------------------------------------------------------------

    def log_link(self, crawl_id: str, link: Link) -> None:
        self._db.execute(
            "INSERT INTO links (crawl_id, url, found_on, decision, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
            (crawl_id, link.url, link.found_on, link.decision, link.reason, _now()),
        )

    def links(self, crawl_id: str) -> list[Link]:
        rows = self._db.execute(
            "SELECT url, found_on, decision, reason FROM links WHERE crawl_id = ? ORDER BY rowid", (crawl_id,)
        )
        return [Link(*row) for row in rows]


def _crawl(row: tuple) -> CrawlRecord:
    crawl_id, segment, started, finished, pages, new_articles = row
    return CrawlRecord(
        crawl_id=crawl_id,
        segment=Path(segment),
        started=datetime.fromisoformat(started),
        finished=datetime.fromisoformat(finished) if finished else None,
        pages=pages,
        new_articles=new_articles,
    )
