"""The server-rendered pages: search, article, watches, login, and the API docs page."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from enrich.events import load_event_types
from enrich.gazetteer import OrgMatch
from search.query import Interval
from search.watches import Cadence, Watch
from search.web.api import FACETS, DeskDep, Params
from search.web.queries import STATUSES, BadQuery, SearchParams, reason
from search.web.security import SESSION_COOKIE, Access, safe_next
from search.web.views import CHART_HEIGHT, CHART_WIDTH, amount_text, histogram_bars, paragraphs_marking, pieces

router = APIRouter(include_in_schema=False)
INTERVALS: tuple[Interval, ...] = ("day", "week", "month", "year")


def render(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context, status_code=status)


@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request, desk: DeskDep, params: Params, interval: Interval = "month", saved: str | None = None
) -> HTMLResponse:
    try:
        query = desk.query(params, facets=FACETS, histogram=interval)
        result = desk.backend.search(query)
    except ValueError as bad:  # BadQuery, or a cursor of another query
        return render(request, "search.html", 400, params=params, error=str(bad), result=None, interval=interval,
                      event_types=sorted(load_event_types()))  # fmt: skip
    return render(
        request,
        "search.html",
        params=params,
        result=result,
        error=None,
        interval=interval,
        intervals=INTERVALS,
        saved=saved,
        companies=[(match.org, as_company(params, match)) for match in desk.organisations(params.q)],
        statuses=STATUSES,
        bars=histogram_bars(result.histogram),
        chart={"width": CHART_WIDTH, "height": CHART_HEIGHT},
        pieces=pieces,
        event_types=sorted(load_event_types()),
    )


def as_company(params: SearchParams, match: OrgMatch) -> str:
    """The search with this organisation's name taken out of the text and made a company filter,
    which finds its deals under any of its names, in either language."""
    text = " ".join(f"{params.q[: match.start]} {params.q[match.end :]}".split())
    return params.link(q=text, party=[*params.party, match.org.id], after=None)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, desk: DeskDep, article_id: str) -> HTMLResponse:
    article = desk.backend.get(article_id)
    if article is None:
        return render(request, "error.html", 404, message=f"No article with id {article_id}.")
    evidence = [sentence for event in article.events for sentence in event.evidence]
    return render(
        request,
        "article.html",
        article=article,
        original=paragraphs_marking(article.text, evidence),
        translation=paragraphs_marking(article.text_en, evidence) if article.text_en else None,
        clusters=desk.events_of(article_id),
        amount_text=amount_text,
    )


@router.get("/watches", response_class=HTMLResponse)
def watches_page(request: Request, desk: DeskDep) -> HTMLResponse:
    return render(request, "watches.html", watches=desk.backend.watches())


@router.post("/watches")
def save_watch(
    desk: DeskDep,
    params: Params,
    name: Annotated[str, Form(max_length=200)],
    emails: Annotated[str, Form(max_length=1000)] = "",
    cadence: Annotated[Cadence, Form()] = "instant",
) -> Response:
    """Save the current search (its text and filters) as a watch alerting the addresses given
    (comma- or space-separated), then show the search again."""
    query = desk.query(replace(params, after=None))
    try:
        watch = Watch(name=name.strip(), query=query, emails=emails.replace(",", " ").split(), cadence=cadence)
    except ValidationError as invalid:
        raise BadQuery(reason(invalid)) from None
    desk.backend.put_watch(watch)
    return RedirectResponse(f"/?{params.link(after=None, saved=watch.name)}", status_code=303)


@router.post("/watches/{name}/delete")
def delete_watch(desk: DeskDep, name: str) -> Response:
    desk.backend.delete_watch(name)
    return RedirectResponse("/watches", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
    return render(request, "login.html", next=safe_next(next), failed=False)


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:  # noqa: A002
    access: Access = request.app.state.access
    if not access.required:
        return RedirectResponse(safe_next(next), status_code=303)
    if not access.token_matches(token):
        return render(request, "login.html", 401, next=safe_next(next), failed=True)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, access.session(), httponly=True, samesite="strict", path="/")
    return response


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI from the bundled files (no CDN), started by a script file, not inline."""
    return render(request, "docs.html")
