"""The contract every search backend keeps: the embedded index and the clusters alike."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel

from enrich.schema import EnrichedArticle
from search.query import SearchQuery, SearchResult

BackendName = Literal["sqlite"]


class UpsertStats(BaseModel):
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def written(self) -> int:
        return self.inserted + self.updated


class SearchBackend(Protocol):
    def upsert(self, articles: Iterable[EnrichedArticle]) -> UpsertStats:
        """Insert or replace articles by id; an identical article is left untouched."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def get(self, article_id: str) -> EnrichedArticle | None: ...

    def count(self) -> int: ...

    def delete_sources(self, source_ids: Iterable[str]) -> int:
        """Remove every article of these sources; returns how many went."""

    def close(self) -> None: ...

    def __enter__(self) -> SearchBackend: ...

    def __exit__(self, *exc: object) -> None: ...


def open_backend(name: BackendName, *, sqlite_path: Path) -> SearchBackend:
    if name == "sqlite":
        from search.sqlite import SqliteBackend

        return SqliteBackend(sqlite_path)
    raise ValueError(f"unknown search backend {name!r}")
