"""The JSON API under ``/api/``: search, facets, histogram, trends, articles, events, watches,
exports. Errors are JSON ``{"error": ..., "reason": ...}`` (see ``app.py``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from enrich.events import load_event_types
from enrich.schema import EnrichedArticle, Event
from search.query import Facet, HistogramBucket, Interval, SearchResult
from search.watches import Watch
from search.web.desk import Desk
from search.web.export import to_csv
from search.web.queries import SearchParams, search_params

router = APIRouter(prefix="/api", tags=["api"])
FACETS: list[Facet] = ["types", "langs", "sources"]


def desk(request: Request) -> Desk:
    return request.app.state.desk


DeskDep = Annotated[Desk, Depends(desk)]
Params = Annotated[SearchParams, Depends(search_params)]


class Organisation(BaseModel):
    id: str
    name: str
    name_zh: str | None = None
    named: str = Field(description="the name as the query wrote it")


class SearchAnswer(SearchResult):
    organisations: list[Organisation] = Field(
        default_factory=list,
        description="gazetteer organisations the query names, with both names: pass the id as `party` to find"
        " their deals in either language",
    )


class FacetsAnswer(BaseModel):
    total: int
    facets: dict[str, list] = Field(description="facet → [{value, count}], most first")
    histogram: list[HistogramBucket]


class ArticleAnswer(BaseModel):
    article: EnrichedArticle = Field(description="original, translation, events with parties, amounts and evidence")
    events: list[Event] = Field(description="the deal clusters this article reports, with every other report")


class TrendsAnswer(BaseModel):
    interval: Interval
    series: dict[str, list[HistogramBucket]] = Field(description="event type → matching articles per period")


@router.get("/search", response_model=SearchAnswer)
def search(
    desk: DeskDep,
    params: Params,
    facet: Annotated[list[Facet], Query(description="types, langs or sources (repeatable)")] = [],  # noqa: B006
    histogram: Annotated[Interval | None, Query(description="count matches per day, week, month or year")] = None,
) -> SearchAnswer:
    """Search articles: text (English finds Chinese articles through their translations),
    filters, sort, ``after`` paging; facets and a date histogram on request."""
    query = desk.query(params, facets=list(facet), histogram=histogram)
    result = desk.backend.search(query)
    return SearchAnswer(**result.model_dump(), organisations=_organisations(desk, params.q))


@router.get("/facets", response_model=FacetsAnswer)
def facets(
    desk: DeskDep,
    params: Params,
    interval: Annotated[Interval, Query(description="histogram period")] = "month",
    size: Annotated[int, Query(ge=1, le=100, description="values per facet")] = 10,
) -> FacetsAnswer:
    """Counts per event type, language and source, and the date histogram, of a search."""
    query = desk.query(params, facets=FACETS, histogram=interval, facet_size=size, limit=1)
    result = desk.backend.search(query)
    return FacetsAnswer(total=result.total, facets=result.facets, histogram=result.histogram)


@router.get("/trends", response_model=TrendsAnswer)
def trends(
    desk: DeskDep,
    params: Params,
    interval: Annotated[Interval, Query(description="period")] = "month",
) -> TrendsAnswer:
    """For each event type (or the ``type`` filter's), how many matching articles per period."""
    series = {}
    for event_type in params.type or sorted(load_event_types()):
        one = SearchParams(**{**params.__dict__, "type": [event_type], "after": None})
        series[event_type] = desk.backend.search(desk.query(one, histogram=interval, limit=1)).histogram
    return TrendsAnswer(interval=interval, series=series)


@router.get("/articles/{article_id}", response_model=ArticleAnswer)
def article(desk: DeskDep, article_id: str) -> ArticleAnswer:
    """One article: original and translation, events, parties, amounts, evidence, every
    syndicated copy (reported_by), and the deal clusters it belongs to."""
    found = desk.backend.get(article_id)
    if found is None:
        raise HTTPException(404, f"no article with id {article_id!r}")
    return ArticleAnswer(article=found, events=desk.events_of(article_id))


@router.get("/events", response_model=list[Event])
def events(
    desk: DeskDep,
    type: Annotated[str | None, Query(description="event type")] = None,  # noqa: A002
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[Event]:
    """Event clusters: one per deal, most widely reported first."""
    if type is not None and type not in load_event_types():
        raise HTTPException(400, f"unknown event type {type}; known: {', '.join(sorted(load_event_types()))}")
    return desk.events(type, limit)


@router.get("/events/{event_id}", response_model=Event)
def event(desk: DeskDep, event_id: str) -> Event:
    for found in desk.events():
        if found.id == event_id:
            return found
    raise HTTPException(404, f"no event with id {event_id!r}")


@router.get("/watches", response_model=list[Watch])
def watches(desk: DeskDep) -> list[Watch]:
    """Saved searches, which alerts match new articles against."""
    return desk.backend.watches()


@router.post("/watches", response_model=Watch, status_code=201)
def put_watch(desk: DeskDep, watch: Watch) -> Watch:
    """Save a search as a watch (replacing the one of the same name)."""
    desk.backend.put_watch(watch)
    return watch


@router.delete("/watches/{name}", status_code=204)
def delete_watch(desk: DeskDep, name: str) -> Response:
    if not desk.backend.delete_watch(name):
        raise HTTPException(404, f"no watch named {name!r}")
    return Response(status_code=204)


@router.get("/export")
def export(
    desk: DeskDep,
    params: Params,
    format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "csv",  # noqa: A002
) -> Response:
    """Every result of the search (up to the export limit), as CSV (safe against formula
    injection) or JSON."""
    query = desk.query(params, limit=1)
    hits = list(desk.all_hits(query, desk.limits.export_limit))
    if format == "json":
        body = "[" + ",".join(hit.model_dump_json() for hit in hits) + "]"
        return Response(body, media_type="application/json", headers=_attachment("json"))
    return Response(to_csv(hits), media_type="text/csv; charset=utf-8", headers=_attachment("csv"))


def _attachment(extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="medradar-results.{extension}"'}


def _organisations(desk: Desk, text: str) -> list[Organisation]:
    return [
        Organisation(id=match.org.id, name=match.org.name_en, name_zh=match.org.name_zh, named=match.surface)
        for match in desk.organisations(text)
    ]
