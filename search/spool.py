"""The local spool of a cluster index: articles kept on disk while the cluster cannot take them.

``pending/`` holds batches (gzip JSON Lines of whole articles) that could not be indexed
because the cluster was unreachable; the next write replays them, oldest first, before its
own batch, and removes a file only once every article in it is indexed. Ids make replays
idempotent: a batch replayed twice (a crash between indexing and removal) is indexed once.
``rejected/`` keeps the articles the cluster refused (a mapping error...), with the reason,
so bad input loses nothing; they are not retried by themselves.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from enrich.schema import EnrichedArticle


class Spool:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.pending_dir = self.directory / "pending"
        self.rejected_dir = self.directory / "rejected"

    def put(self, articles: Iterable[EnrichedArticle]) -> Path | None:
        """Keep a batch for replay; written whole or not at all."""
        lines = [article.model_dump_json() for article in articles]
        if not lines:
            return None
        return self._write(self.pending_dir, "\n".join(lines) + "\n")

    def pending(self) -> list[Path]:
        """Spooled batches, oldest first."""
        if not self.pending_dir.is_dir():
            return []
        return sorted(self.pending_dir.glob("*.jsonl.gz"))

    def pending_count(self) -> int:
        return sum(len(self.read(path)) for path in self.pending())

    def read(self, path: Path) -> list[EnrichedArticle]:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            return [EnrichedArticle.model_validate_json(line) for line in lines if line.strip()]

    def set_aside(self, path: Path) -> Path:
        """Move a spooled batch that cannot be read to ``rejected/``, as it is; returns where."""
        self.rejected_dir.mkdir(parents=True, exist_ok=True)
        target = self.rejected_dir / f"unreadable-{path.name}"
        path.rename(target)
        return target

    def done(self, path: Path) -> None:
        path.unlink(missing_ok=True)  # another process may have replayed it too

    def reject(self, refused: Iterable[tuple[EnrichedArticle, str]]) -> Path | None:
        """Record articles the cluster refused, each with the reason."""
        lines = [
            json.dumps({"reason": reason, "article": article.model_dump(mode="json")}, ensure_ascii=False)
            for article, reason in refused
        ]
        if not lines:
            return None
        return self._write(self.rejected_dir, "\n".join(lines) + "\n")

    @contextmanager
    def replaying(self) -> Iterator[bool]:
        """Whether this process may replay now: one replayer at a time; others go on writing."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".replay.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, directory: Path, text: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = directory / f"{stamp}-{uuid.uuid4().hex[:8]}.jsonl.gz"
        partial = path.with_name(f".{path.name}.partial")
        with open(partial, "wb") as out:
            out.write(gzip.compress(text.encode("utf-8")))
            out.flush()
            os.fsync(out.fileno())
        partial.rename(path)  # atomic: a reader never sees half a batch
        return path
