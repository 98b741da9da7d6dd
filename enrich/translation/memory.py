"""The translation memory: every sentence a model translated, by a hash of the normalised
sentence and the model id, so re-runs, duplicates and boilerplate are translated once.

SQLite in WAL mode: several pipeline processes may read and add at the same time; an entry
is written as soon as its batch is translated, so a run killed halfway keeps what it did.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS translations (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL
) WITHOUT ROWID;
"""
_SPACES = re.compile(r"\s+")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Spaces mean nothing next to Chinese characters, unless they separate a Latin word.
_SPACE_BY_HAN = re.compile(rf"(?<=[{_HAN}])\s+(?=[{_HAN}]|[^\w\s])|(?<=[^\w\s])\s+(?=[{_HAN}])")
_BATCH = 500  # keys per lookup query (SQLite's parameter limit is far above)


def normalise(sentence: str) -> str:
    """The form a sentence is remembered and translated in: NFKC (full-width letters, digits and
    punctuation as the model's own SentencePiece normaliser sees them), spaces collapsed, and
    none left between Chinese characters and punctuation."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", sentence)).strip()
    return _SPACE_BY_HAN.sub("", text)


def memory_key(model_id: str, sentence: str) -> str:
    return hashlib.sha256(f"{model_id}\n{normalise(sentence)}".encode()).hexdigest()


class TranslationMemory:
    def __init__(self, path: Path | None = None):
        """``path``: the SQLite file (created with its directory); None: this process only."""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path) if path else ":memory:", timeout=30, check_same_thread=False)
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def lookup(self, model_id: str, sentences: Iterable[str]) -> dict[str, str]:
        """The remembered translations of those sentences that have one, by sentence."""
        by_key = {memory_key(model_id, sentence): sentence for sentence in sentences}
        keys = list(by_key)
        found: dict[str, str] = {}
        for start in range(0, len(keys), _BATCH):
            batch = keys[start : start + _BATCH]
            rows = self._db.execute(
                f"SELECT key, target FROM translations WHERE key IN ({','.join('?' * len(batch))})", batch
            )
            found.update((by_key[key], target) for key, target in rows)
        return found

    def remember(self, model_id: str, translations: Mapping[str, str]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO translations (key, model, source, target) VALUES (?, ?, ?, ?)",
                [
                    (memory_key(model_id, source), model_id, normalise(source), target)
                    for source, target in translations.items()
                ],
            )

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM translations").fetchone()[0]

    def close(self) -> None:
        self._db.close()
