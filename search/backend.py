"""The contract every search backend keeps: the embedded index and the clusters alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from enrich.schema import EnrichedArticle
from search.query import SearchQuery, SearchResult
from search.watches import Watch, WatchMatch

# sqlite: the embedded index; elasticsearch / opensearch: a cluster of that engine;
# cluster: a cluster whose engine is detected from its answer.
BackendName = Literal["sqlite", "elasticsearch", "opensearch", "cluster"]
BACKENDS: tuple[BackendName, ...] = ("sqlite", "elasticsearch", "opensearch", "cluster")


class DocumentError(BaseModel):
    """An article the index refused (the others of its batch are indexed)."""

    id: str
    status: int | None = None
    reason: str


class UpsertStats(BaseModel):
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = Field(default=0, description="refused by the index; see errors (kept in the spool's rejected/)")
    spooled: int = Field(default=0, description="kept locally: the cluster was unreachable; replayed next time")
    replayed: int = Field(default=0, description="spooled earlier, indexed now")
    errors: list[DocumentError] = Field(default_factory=list)
    unavailable: str | None = Field(default=None, description="why documents were spooled")

    @property
    def written(self) -> int:
        return self.inserted + self.updated


class RebuildReport(BaseModel):
    """What `medradar index rebuild` did: per index, the version searched before and after."""

    swapped: dict[str, tuple[str, str]] = Field(default_factory=dict, description="alias → (old, new)")
    documents: int = 0


Progress = Callable[[str], None]


class SearchBackend(Protocol):
    def upsert(self, articles: Iterable[EnrichedArticle]) -> UpsertStats:
        """Insert or replace articles by id; an identical article is left untouched."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def matching_ids(self, queries: Sequence[SearchQuery], among: Sequence[str]) -> list[set[str]]:
        """For each query, which of the articles ``among`` it matches (text and filters only)."""

    def get(self, article_id: str) -> EnrichedArticle | None: ...

    def count(self) -> int: ...

    def delete_sources(self, source_ids: Iterable[str]) -> int:
        """Remove every article of these sources; returns how many went."""

    def put_watch(self, watch: Watch) -> None:
        """Store a watch (replacing the one of the same name)."""

    def delete_watch(self, name: str) -> bool: ...

    def watches(self) -> list[Watch]: ...

    def match_watches(self, article_ids: Sequence[str]) -> list[WatchMatch]:
        """Which stored watches each of these indexed articles matches."""

    def rebuild(self, progress: Progress | None = None) -> RebuildReport:
        """Re-derive the whole index from the stored articles; searches see the old index until
        the new one is complete, never an empty one."""

    def describe(self) -> dict[str, Any]:
        """What `medradar index status` shows: where the index is, its size, what it can do."""

    def close(self) -> None: ...

    def __enter__(self) -> SearchBackend: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass(frozen=True)
class ClusterOptions:
    """How to reach a search cluster and lay out its indexes (from ``search`` settings)."""

    urls: tuple[str, ...]
    spool_dir: Path
    engine: Literal["elasticsearch", "opensearch", "auto"] = "auto"
    index_prefix: str = "medradar"
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_certs: Path | None = None
    verify_certs: bool = True
    timeout: float = 30.0
    retries: int = 3
    shards: int = 1
    replicas: int | None = None  # None: one replica when the cluster has room for it ("0-1")
    bulk_chunk: int = 500  # articles per bulk request
    bulk_workers: int = 2  # bulk requests in flight at once


def hit_ids(backend: SearchBackend, query: SearchQuery, at_most: int) -> list[str]:
    """The ids of the query's hits in date order, page after page (search_after), at most ``at_most``."""
    page = query.model_copy(update={"limit": 1000, "sort": "date", "after": None, "facets": [], "histogram": None})
    ids: list[str] = []
    while len(ids) < at_most:
        result = backend.search(page)
        ids.extend(hit.id for hit in result.hits)
        if not result.next_after:
            break
        page = page.model_copy(update={"after": result.next_after})
    return ids[:at_most]


def open_backend(name: BackendName, *, sqlite_path: Path, cluster: ClusterOptions | None = None) -> SearchBackend:
    if name == "sqlite":
        from search.sqlite import SqliteBackend

        return SqliteBackend(sqlite_path)
    if name in ("elasticsearch", "opensearch", "cluster"):
        if cluster is None:
            raise ValueError(f"the {name} backend needs cluster options (search.urls)")
        from search.cluster import ClusterBackend
        from search.engines import connect

        engine = name if name != "cluster" else cluster.engine
        return ClusterBackend(connect(cluster, engine), cluster)
    raise ValueError(f"unknown search backend {name!r}")
