"""The analysts' desk built from the settings: ``search.web`` gets its backend, event store and
gazetteer from here, so it never imports ``pipeline``."""

from __future__ import annotations

from fastapi import FastAPI

from enrich.gazetteer import Gazetteer
from pipeline.config import Settings
from pipeline.resources import EventStoreResource, SearchBackendResource
from search.web import Access, Desk, create_app
from search.web.queries import Limits


def desk(settings: Settings) -> Desk:
    events = EventStoreResource.from_settings(settings)
    return Desk(
        open_backend=SearchBackendResource.from_settings(settings).open,
        open_events=events.open if settings.events_path.exists() else None,
        gazetteer=Gazetteer.load(settings.classify.gazetteer_file),
        limits=Limits(
            max_query_chars=settings.web.max_query_chars,
            max_page_size=settings.web.max_page_size,
            export_limit=settings.web.export_limit,
        ),
        backend_name=settings.search.backend,
        digests_dir=settings.digests_dir,
    )


def desk_app(settings: Settings, host: str, token: str | None) -> FastAPI:
    return create_app(desk(settings), Access(token), host)
