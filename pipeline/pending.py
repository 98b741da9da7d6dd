"""Which articles still wait for a translation, by partition, so a later run can find them.

The translation stage replaces a partition's entries each time it runs (so a partition
translated at last leaves nothing behind); ``medradar run`` re-runs the translation stage,
and what depends on it, for every partition that still has some.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pipeline.partitions import SourceDay

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    source_id TEXT NOT NULL,
    day TEXT NOT NULL,
    article_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (source_id, day, article_id)
) WITHOUT ROWID;
"""


class PendingTranslations:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def replace_partition(self, partition: SourceDay, pending: dict[str, str]) -> None:
        """The partition's pending articles are now exactly ``pending`` (article id → reason)."""
        key = (partition.source_id, partition.day.isoformat())
        with self._db:
            self._db.execute("DELETE FROM pending WHERE source_id = ? AND day = ?", key)
            self._db.executemany(
                "INSERT INTO pending (source_id, day, article_id, reason) VALUES (?, ?, ?, ?)",
                [(*key, article_id, reason) for article_id, reason in pending.items()],
            )

    def partitions(self) -> dict[SourceDay, int]:
        """Partitions with pending articles, oldest first, with how many each has."""
        rows = self._db.execute(
            "SELECT source_id, day, count(*) FROM pending GROUP BY source_id, day ORDER BY day, source_id"
        )
        return {SourceDay(source_id, date.fromisoformat(day)): count for source_id, day, count in rows}

    def forget_sources(self, source_ids: Iterable[str]) -> None:
        ids = list(source_ids)
        with self._db:
            self._db.execute(f"DELETE FROM pending WHERE source_id IN ({','.join('?' * len(ids))})", ids)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> PendingTranslations:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
