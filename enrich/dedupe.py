"""Exact and near-duplicate articles, across sources and across runs.

Two articles are **exact** copies when their normalised texts are equal (Unicode NFKC,
Traditional folded to Simplified, lower case, no whitespace or punctuation), and **near**
copies when the Jaccard similarity of their shingle sets, estimated by MinHash, reaches the
configured threshold. Shingles are runs of ``shingle_size`` tokens: Latin words and single
Han characters, so one scheme serves English, Chinese and mixed text. Headlines are not part
of the fingerprint: a reprint under a new headline is still a copy.

Articles are partitioned by source and day, so the fingerprints live in a small SQLite store
under the data directory (``DuplicateStore``) with their LSH bands, and every later article,
from any source and any run, is compared with all of them. The first article registered is
the canonical one; every copy links to it. Registering is idempotent: an article seen before
keeps the link it got then, so re-running a partition neither adds links nor loses any.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from enrich.language import to_simplified
from enrich.schema import Article, DuplicateLink, SourceRef
from spiders.localdb import open_local_db, write_transaction

# (false positive, false negative) weights for choosing LSH bands: see DedupeParams.bands.
LSH_WEIGHTS = (0.1, 0.9)
_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")
_NOT_TEXT = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class DedupeParams:
    """How near duplicates are found (see ``pipeline.config.DedupeSettings``)."""

    threshold: float
    num_perm: int
    shingle_size: int
    seed: int = 1

    @cached_property
    def bands(self) -> list[tuple[int, int]]:
        """The LSH bands (start, end) datasketch finds optimal for this threshold, weighted
        towards recall: LSH only proposes candidates and every candidate's similarity is
        checked, so a missed candidate is a missed copy while a false one costs a comparison.
        (At threshold 0.3 and 128 permutations: 32 bands of 2, which propose 95% of pairs at
        similarity 0.3 and 98% at 0.34, against 64% and 77% with equal weights.)"""
        return MinHashLSH(threshold=self.threshold, num_perm=self.num_perm, weights=LSH_WEIGHTS).hashranges


def normalise(text: str) -> str:
    """The text as compared for exact copies."""
    return _NOT_TEXT.sub("", to_simplified(unicodedata.normalize("NFKC", text)).lower())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:32]


def shingles(text: str, size: int) -> set[str]:
    tokens = _TOKEN.findall(to_simplified(unicodedata.normalize("NFKC", text)).lower())
    if len(tokens) <= size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def minhash(text: str, params: DedupeParams) -> LeanMinHash:
    sketch = MinHash(num_perm=params.num_perm, seed=params.seed)
    sketch.update_batch([shingle.encode("utf-8") for shingle in shingles(text, params.shingle_size)])
    return LeanMinHash(sketch)


def similarity(first: str, second: str, params: DedupeParams) -> float:
    """Estimated Jaccard similarity of two texts' shingle sets."""
    return minhash(first, params).jaccard(minhash(second, params))


SCHEMA = """
CREATE TABLE IF NOT EXISTS fingerprints (
    article_id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    url TEXT NOT NULL,
    site_name TEXT,
    published_at TEXT,
    content_hash TEXT NOT NULL,
    minhash BLOB NOT NULL,
    canonical_id TEXT,
    kind TEXT,
    similarity REAL,
    registered_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fingerprints_hash ON fingerprints(content_hash);
CREATE INDEX IF NOT EXISTS fingerprints_canonical ON fingerprints(canonical_id);
CREATE INDEX IF NOT EXISTS fingerprints_source ON fingerprints(source_id);
CREATE TABLE IF NOT EXISTS bands (
    band INTEGER NOT NULL,
    key BLOB NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (band, key, article_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parameters (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class IncompatibleStore(Exception):
    """The store holds fingerprints made with other MinHash parameters."""


class DuplicateStore:
    """Fingerprints of every article seen, and which article each copy links to."""

    def __init__(self, path: Path, params: DedupeParams):
        self.path = Path(path)
        self.params = params
        self._db = open_local_db(self.path, timeout=120)
        self._db.executescript(SCHEMA)
        self._check_parameters()

    def register(self, articles: Iterable[Article]) -> list[Article]:
        """The articles with their content hash and duplicate link set, in the given order.

        Register a batch oldest first: the first article of a set of copies is canonical."""
        with self._transaction():
            return [self._register(article) for article in articles]

    def members(self, canonical_id: str) -> list[SourceRef]:
        """Every outlet's copy of the article, the canonical one first."""
        rows = self._db.execute(
            "SELECT source_id, url, site_name, published_at FROM fingerprints"
            " WHERE article_id = ? OR canonical_id = ? ORDER BY registered_at, rowid",
            (canonical_id, canonical_id),
        ).fetchall()
        return [
            SourceRef(
                source_id=source_id,
                url=url,
                site_name=site_name,
                published_at=datetime.fromisoformat(published) if published else None,
            )
            for source_id, url, site_name, published in rows
        ]

    def link(self, article_id: str) -> DuplicateLink | None:
        row = self._db.execute(
            "SELECT canonical_id, kind, similarity FROM fingerprints WHERE article_id = ?", (article_id,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return DuplicateLink(canonical_id=row[0], kind=row[1], similarity=row[2])

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM fingerprints").fetchone()[0]

    def forget_sources(self, source_ids: Iterable[str]) -> int:
        """Remove these sources' fingerprints; their copies elsewhere get a new canonical."""
        ids = list(source_ids)
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        with self._transaction():
            gone = [row[0] for row in self._db.execute(f"SELECT article_id FROM fingerprints WHERE source_id IN ({marks})", ids)]
            for article_id in gone:
                self._db.execute("DELETE FROM bands WHERE article_id = ?", (article_id,))
                self._db.execute("DELETE FROM fingerprints WHERE article_id = ?", (article_id,))
                survivors = [
                    row[0]
                    for row in self._db.execute(
                        "SELECT article_id FROM fingerprints WHERE canonical_id = ? ORDER BY registered_at, rowid",
                        (article_id,),
                    )
                ]
                if survivors:
                    heir, *rest = survivors
                    self._db.execute(
                        "UPDATE fingerprints SET canonical_id = NULL, kind = NULL, similarity = NULL"
                        " WHERE article_id = ?",
                        (heir,),
                    )
                    self._db.executemany(
                        "UPDATE fingerprints SET canonical_id = ? WHERE article_id = ?", [(heir, other) for other in rest]
                    )
        return len(gone)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> DuplicateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------

    def _register(self, article: Article) -> Article:
        digest = article.content_hash or content_hash(article.text)
        sketch = minhash(article.text, self.params)
        known = self._db.execute(
            "SELECT content_hash FROM fingerprints WHERE article_id = ?", (article.id,)
        ).fetchone()
        if known is not None:
            if known[0] != digest:  # re-extracted text: compare later articles with the new one
                self._store_fingerprint(article.id, digest, sketch, update=True)
            return article.model_copy(update={"content_hash": digest, "duplicate": self.link(article.id)})
        duplicate = self._find_copy(article.id, digest, sketch)
        self._db.execute(
            "INSERT INTO fingerprints (article_id, source_id, url, site_name, published_at, content_hash,"
            " minhash, canonical_id, kind, similarity, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article.id,
                article.source_id,
                article.url,
                article.site_name,
                article.published_at.isoformat() if article.published_at else None,
                digest,
                sketch.hashvalues.tobytes(),
                duplicate.canonical_id if duplicate else None,
                duplicate.kind if duplicate else None,
                duplicate.similarity if duplicate else None,
                datetime.now(UTC).isoformat(),
            ),
        )
        self._store_fingerprint(article.id, digest, sketch, update=False)
        return article.model_copy(update={"content_hash": digest, "duplicate": duplicate})

    def _find_copy(self, article_id: str, digest: str, sketch: LeanMinHash) -> DuplicateLink | None:
        exact = self._db.execute(
            "SELECT article_id, canonical_id FROM fingerprints WHERE content_hash = ? AND article_id != ?"
            " ORDER BY registered_at, rowid LIMIT 1",
            (digest, article_id),
        ).fetchone()
        if exact is not None:
            return DuplicateLink(canonical_id=exact[1] or exact[0], kind="exact", similarity=1.0)
        best: tuple[float, str, str | None] | None = None
        for candidate, canonical, stored in self._candidates(sketch, article_id):
            score = sketch.jaccard(self._sketch(stored))
            if score >= self.params.threshold and (best is None or score > best[0]):
                best = (score, candidate, canonical)
        if best is None:
            return None
        score, candidate, canonical = best
        return DuplicateLink(canonical_id=canonical or candidate, kind="near", similarity=round(score, 4))

    def _candidates(self, sketch: LeanMinHash, article_id: str) -> Iterator[tuple[str, str | None, bytes]]:
        keys = list(enumerate(self._band_keys(sketch)))
        if not keys:
            return
        clause = " OR ".join("(band = ? AND key = ?)" for _ in keys)
        rows = self._db.execute(
            "SELECT f.article_id, f.canonical_id, f.minhash FROM fingerprints f WHERE f.article_id IN"
            f" (SELECT DISTINCT article_id FROM bands WHERE {clause}) AND f.article_id != ?",
            [value for pair in keys for value in pair] + [article_id],
        )
        yield from rows

    def _store_fingerprint(self, article_id: str, digest: str, sketch: LeanMinHash, *, update: bool) -> None:
        if update:
            self._db.execute(
                "UPDATE fingerprints SET content_hash = ?, minhash = ? WHERE article_id = ?",
                (digest, sketch.hashvalues.tobytes(), article_id),
            )
            self._db.execute("DELETE FROM bands WHERE article_id = ?", (article_id,))
        self._db.executemany(
            "INSERT OR IGNORE INTO bands (band, key, article_id) VALUES (?, ?, ?)",
            [(band, key, article_id) for band, key in enumerate(self._band_keys(sketch))],
        )

    def _band_keys(self, sketch: LeanMinHash) -> list[bytes]:
        values = sketch.hashvalues
        return [hashlib.blake2b(values[start:end].tobytes(), digest_size=8).digest() for start, end in self.params.bands]

    def _sketch(self, stored: bytes) -> LeanMinHash:
        return LeanMinHash(
            seed=self.params.seed, hashvalues=np.frombuffer(stored, dtype=self._dtype), scheme=self._scheme
        )

    @cached_property
    def _dtype(self) -> np.dtype:
        return MinHash(num_perm=1, seed=self.params.seed).hashvalues.dtype

    @cached_property
    def _scheme(self) -> str:
        """datasketch's hashing scheme: values made by another one do not compare."""
        return MinHash(num_perm=1, seed=self.params.seed).scheme

    def _check_parameters(self) -> None:
        wanted = {
            "num_perm": str(self.params.num_perm),
            "shingle_size": str(self.params.shingle_size),
            "seed": str(self.params.seed),
            "scheme": self._scheme,
            "threshold": str(self.params.threshold),
        }
        with self._transaction():
            stored = dict(self._db.execute("SELECT name, value FROM parameters").fetchall())
            if not stored:
                self._db.executemany("INSERT INTO parameters (name, value) VALUES (?, ?)", wanted.items())
                return
            changed = {name for name in ("num_perm", "shingle_size", "seed", "scheme") if stored.get(name) != wanted[name]}
            if changed:
                raise IncompatibleStore(
                    f"{self.path}: built with "
                    + ", ".join(f"{name}={stored.get(name)}" for name in sorted(changed))
                    + " but configured with "
                    + ", ".join(f"{name}={wanted[name]}" for name in sorted(changed))
                    + "; move the file away to start a new store (existing duplicate links are then forgotten)"
                )
            if stored.get("threshold") != wanted["threshold"]:
                self._rebuild_bands()
                self._db.execute("UPDATE parameters SET value = ? WHERE name = 'threshold'", (wanted["threshold"],))

    def _rebuild_bands(self) -> None:
        """A new threshold means new LSH bands; the MinHashes themselves stay valid."""
        self._db.execute("DELETE FROM bands")
        for article_id, stored in self._db.execute("SELECT article_id, minhash FROM fingerprints").fetchall():
            sketch = self._sketch(stored)
            self._db.executemany(
                "INSERT OR IGNORE INTO bands (band, key, article_id) VALUES (?, ?, ?)",
                [(band, key, article_id) for band, key in enumerate(self._band_keys(sketch))],
            )

    def _transaction(self) -> AbstractContextManager[None]:
        return write_transaction(self._db)
