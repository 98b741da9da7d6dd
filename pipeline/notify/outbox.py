"""The outbox: every message is recorded before it is sent, so nothing is sent twice or lost.

Two tables in one SQLite file (``<data_dir>/alerts.sqlite``):

- ``claims``: what has been alerted, once per (subject, item): a watch and an event cluster,
  a trend and a period. Claiming an item a second time does nothing; that is what makes a
  re-run send nothing again. An item claimed for a daily message waits (``batch`` NULL)
  until the day's message takes it.
- ``outbox``: one row per message and recipient, keyed by a delivery key, with the exact
  bytes to send and its Message-ID / Idempotency-Key. A row goes pending → sending → sent,
  or back to pending (transient failure, retried later with backoff) or failed (permanent,
  with the reason). Taking a row for sending is a compare-and-set with a lease, so two
  processes never send it at once; a crash after sending but before recording leaves it
  ``sending`` until its lease ends, then a later run sends it again, with the same id, so a
  receiver can drop the repeat.
- ``deferred``: (source, day) partitions whose articles could not be matched yet (the search
  cluster was unreachable); the next evaluation takes them too.

Generic on purpose: the weekly digest keys its messages by (recipient, week) the same way.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from spiders.localdb import open_local_db, write_transaction

Channel = Literal["email", "webhook"]
Status = Literal["pending", "sending", "sent", "failed"]
STATUSES: tuple[Status, ...] = ("pending", "sending", "sent", "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    subject TEXT NOT NULL,
    item_key TEXT NOT NULL,
    cadence TEXT NOT NULL,
    item TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    batch TEXT,
    PRIMARY KEY (subject, item_key)
);
CREATE INDEX IF NOT EXISTS claims_waiting ON claims(subject) WHERE batch IS NULL;
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    headers TEXT NOT NULL,
    payload BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (key, channel, recipient)
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(status, next_attempt_at);
CREATE TABLE IF NOT EXISTS deferred (
    source_id TEXT NOT NULL,
    day TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (source_id, day)
);
"""


class Message(BaseModel):
    """One message to one recipient, exactly as it will be sent."""

    key: str = Field(description="delivery key: the same key and recipient is the same message")
    channel: Channel
    recipient: str = Field(description="an email address or a webhook URL")
    subject: str
    headers: dict[str, str] = Field(default_factory=dict, description="sent with it (webhooks)")
    payload: bytes = Field(description="the RFC 822 message, or the JSON body")

    @property
    def message_id(self) -> str:
        return message_id(self.key, self.channel, self.recipient)


class OutboxRow(BaseModel):
    id: int
    key: str
    channel: Channel
    recipient: str
    message_id: str
    subject: str
    headers: dict[str, str]
    payload: bytes
    status: Status
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


def message_id(key: str, channel: str, recipient: str) -> str:
    """Stable across runs: a resent message carries the same Message-ID / Idempotency-Key."""
    digest = hashlib.sha256(json.dumps([key, channel, recipient]).encode()).hexdigest()[:32]
    return f"<{digest}@medradar>"


class Outbox:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = open_local_db(self.path)
        self._db.executescript(SCHEMA)

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def transaction(self) -> AbstractContextManager[None]:
        """One writer at a time across processes (a sensor's run and the CLI may overlap)."""
        return write_transaction(self._db)

    # -- claims ------------------------------------------------------------------------------

    def claim(self, subject: str, item_key: str, cadence: str, item: str, now: datetime) -> bool:
        """Record that this item is alerted for this subject; False if it already was."""
        return (
            self._db.execute(
                "INSERT OR IGNORE INTO claims (subject, item_key, cadence, item, claimed_at) VALUES (?, ?, ?, ?, ?)",
                (subject, item_key, cadence, item, now.isoformat()),
            ).rowcount
            > 0
        )

    def claimed(self, subject: str, item_key: str) -> bool:
        row = self._db.execute("SELECT 1 FROM claims WHERE subject = ? AND item_key = ?", (subject, item_key))
        return row.fetchone() is not None

    def waiting(self, subject: str) -> list[tuple[str, str]]:
        """Items claimed for a daily message that no message has taken yet: (item_key, item)."""
        return self._db.execute(
            "SELECT item_key, item FROM claims WHERE subject = ? AND batch IS NULL ORDER BY claimed_at, item_key",
            (subject,),
        ).fetchall()

    def waiting_subjects(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT subject FROM claims WHERE batch IS NULL")]

    def assign(self, subject: str, item_keys: list[str], batch: str) -> None:
        self._db.executemany(
            "UPDATE claims SET batch = ? WHERE subject = ? AND item_key = ?",
            [(batch, subject, key) for key in item_keys],
        )

    # -- messages ----------------------------------------------------------------------------

    def enqueue(self, message: Message, now: datetime) -> bool:
        """Record a message to send; False if this key already went (or goes) to this recipient."""
        return (
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (key, channel, recipient, message_id, subject, headers, payload,"
                " status, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (
                    message.key, message.channel, message.recipient, message.message_id, message.subject,
                    json.dumps(message.headers), message.payload, now.isoformat(), now.isoformat(),
                ),
            ).rowcount
            > 0
        )

    def due(self, now: datetime) -> list[OutboxRow]:
        """Messages to send now: pending ones whose time has come, and any left ``sending`` by
        a run that stopped between sending and recording (once its lease is over)."""
        return self._rows(
            "WHERE status IN ('pending', 'sending') AND next_attempt_at <= ? ORDER BY id", (now.isoformat(),)
        )

    def take(self, row: OutboxRow, lease_until: datetime) -> bool:
        """Mark a due row ``sending`` until ``lease_until``; False if another process took it
        since it was read (then this one leaves it alone)."""
        return (
            self._db.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = ?"
                " WHERE id = ? AND status = ? AND next_attempt_at = ? AND attempts = ?",
                (lease_until.isoformat(), row.id, row.status, row.next_attempt_at.isoformat(), row.attempts),
            ).rowcount
            > 0
        )

    def mark_sent(self, row_id: int, now: datetime) -> None:
        self._db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?", (now.isoformat(), row_id)
        )

    def mark_retry(self, row_id: int, error: str, at: datetime) -> None:
        self._db.execute(
            "UPDATE outbox SET status = 'pending', last_error = ?, next_attempt_at = ? WHERE id = ?",
            (error, at.isoformat(), row_id),
        )

    def mark_failed(self, row_id: int, error: str) -> None:
        self._db.execute("UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?", (error, row_id))

    def rows(self, statuses: tuple[Status, ...] = STATUSES, limit: int | None = None) -> list[OutboxRow]:
        marks = ",".join("?" * len(statuses))
        return self._rows(f"WHERE status IN ({marks}) ORDER BY id DESC LIMIT ?", (*statuses, limit or -1))

    def get(self, row_id: int) -> OutboxRow | None:
        found = self._rows("WHERE id = ?", (row_id,))
        return found[0] if found else None

    def retry(self, ids: list[int] | None, now: datetime) -> int:
        """Make failed (or waiting) messages due now; None: every failed and pending one."""
        if ids is None:
            sql, params = "WHERE status IN ('failed', 'pending')", ()
        else:
            sql, params = f"WHERE status IN ('failed', 'pending') AND id IN ({','.join('?' * len(ids))})", tuple(ids)
        return self._db.execute(
            f"UPDATE outbox SET status = 'pending', next_attempt_at = ? {sql}", (now.isoformat(), *params)
        ).rowcount

    def purge(self, statuses: tuple[Status, ...], older_than: timedelta, now: datetime) -> int:
        """Forget messages of these statuses created before ``now - older_than``. Their claims
        stay, so what they alerted about is still never alerted again."""
        marks = ",".join("?" * len(statuses))
        return self._db.execute(
            f"DELETE FROM outbox WHERE status IN ({marks}) AND created_at < ?",
            (*statuses, (now - older_than).isoformat()),
        ).rowcount

    # -- partitions waiting to be matched ------------------------------------------------------

    def defer(self, partitions: list[tuple[str, str]], reason: str) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO deferred (source_id, day, reason) VALUES (?, ?, ?)",
            [(*partition, reason) for partition in partitions],
        )

    def deferred(self) -> list[tuple[str, str]]:
        return [tuple(row) for row in self._db.execute("SELECT source_id, day FROM deferred ORDER BY day, source_id")]

    def undefer(self, partitions: list[tuple[str, str]]) -> None:
        self._db.executemany("DELETE FROM deferred WHERE source_id = ? AND day = ?", partitions)

    def counts(self) -> dict[str, int]:
        found = dict(self._db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())
        return {status: found.get(status, 0) for status in STATUSES}

    def oldest_unsent(self) -> datetime | None:
        row = self._db.execute("SELECT min(created_at) FROM outbox WHERE status IN ('pending', 'sending')").fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def _rows(self, where: str, params: tuple) -> list[OutboxRow]:
        columns = list(OutboxRow.model_fields)
        rows = self._db.execute(f"SELECT {', '.join(columns)} FROM outbox {where}", params).fetchall()
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        return [OutboxRow.model_validate({**record, "headers": json.loads(record["headers"])}) for record in records]


def utcnow() -> datetime:
    return datetime.now(UTC)
