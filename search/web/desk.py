"""What the desk serves from: the search backend and, when there is one, the event store.

SQLite connections belong to the thread that opened them and FastAPI runs each request in a
worker thread, so every worker thread opens its own backend (and event store) once, from the
openers the caller gives; all are closed when the app stops.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from enrich.gazetteer import Gazetteer, OrgMatch
from enrich.schema import Event
from search.backend import SearchBackend
from search.query import SearchHit, SearchQuery
from search.web.queries import Limits, SearchParams, to_query


class EventReader(Protocol):
    """The event store as the desk reads it (``pipeline.eventstore.EventStore`` is one)."""

    def events(self, event_type: str | None = None, limit: int | None = None) -> list[Event]: ...

    def events_of(self, article_id: str) -> list[Event]: ...

    def close(self) -> None: ...


T = TypeVar("T", SearchBackend, EventReader)


class PerThread(Generic[T]):
    """One instance per thread, opened on first use."""

    def __init__(self, opener: Callable[[], T]):
        self._opener = opener
        self._local = threading.local()
        self._opened: list[T] = []
        self._lock = threading.Lock()

    def get(self) -> T:
        item = getattr(self._local, "item", None)
        if item is None:
            item = self._opener()
            self._local.item = item
            with self._lock:
                self._opened.append(item)
        return item

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for item in opened:
            # A SQLite connection may only be closed by the thread that opened it; those of
            # the worker threads are closed when they are garbage-collected instead.
            with contextlib.suppress(sqlite3.ProgrammingError):
                item.close()


@dataclass
class Desk:
    open_backend: Callable[[], SearchBackend]
    open_events: Callable[[], EventReader] | None = None
    gazetteer: Gazetteer | None = None
    limits: Limits = field(default_factory=Limits)
    backend_name: str = "sqlite"
    digests_dir: Path | None = None  # the weekly digest archive, served under /digests

    def __post_init__(self) -> None:
        self._backends = PerThread(self.open_backend)
        self._events = PerThread(self.open_events) if self.open_events else None

    @property
    def backend(self) -> SearchBackend:
        return self._backends.get()

    def query(self, params: SearchParams, **options: Any) -> SearchQuery:
        """The search the parameters ask for, within the desk's limits (see ``to_query``)."""
        return to_query(params, self.limits, gazetteer=self.gazetteer, **options)

    def events(self, event_type: str | None = None, limit: int | None = None) -> list[Event]:
        return self._events.get().events(event_type, limit) if self._events else []

    def events_of(self, article_id: str) -> list[Event]:
        """The events (deal clusters) an article is one of the reports of."""
        return self._events.get().events_of(article_id) if self._events else []

    def organisations(self, text: str) -> list[OrgMatch]:
        """Where the query text names organisations of the gazetteer (the first mention of each)."""
        if self.gazetteer is None or not text.strip():
            return []
        found: dict[str, OrgMatch] = {}
        for match in self.gazetteer.find(text):
            found.setdefault(match.org.id, match)
        return list(found.values())

    def all_hits(self, query: SearchQuery, at_most: int) -> Iterator[SearchHit]:
        """Every hit of the query, page after page (search_after), up to ``at_most``."""
        page_query = query.model_copy(update={"limit": min(at_most, 500), "after": None, "facets": [], "histogram": None})
        given = 0
        while True:
            result = self.backend.search(page_query)
            for hit in result.hits:
                if given == at_most:
                    return
                given += 1
                yield hit
            if not result.next_after:
                return
            page_query = page_query.model_copy(update={"after": result.next_after})

    def close(self) -> None:
        self._backends.close()
        if self._events:
            self._events.close()
