"""The SQLite files MedRadar keeps on local disk (crawl state, duplicates, events, outbox):
opened alike, written one writer at a time.

Partitions run in parallel processes, and a sensor's run may overlap the CLI: WAL lets readers
go on while one writes, the timeout makes a writer wait for another rather than fail, and
``write_transaction`` takes the write lock up front (``BEGIN IMMEDIATE``), so a transaction
that read first cannot fail half-way when it comes to write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def open_local_db(path: Path, *, timeout: float = 60) -> sqlite3.Connection:
    """An autocommit connection (each statement its own transaction unless grouped in
    ``write_transaction``) to a WAL database, its directory made if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    return db


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """All the writes inside happen, or none; inside another one, it is part of that one."""
    if db.in_transaction:
        yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
