"""From request parameters to the shared :class:`SearchQuery`, with the desk's limits.

The API, the pages and the exports read the same parameters, so they share one dependency
(``search_params``) and one conversion (``to_query``). Parameters of the wrong shape are a
422 (FastAPI's validation); a query the index cannot run — too long, too many results per
page, an unknown event type, a cursor of another query — is a :class:`BadQuery` (400).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Literal, get_args
from urllib.parse import urlencode

from fastapi import HTTPException, Query
from pydantic import ValidationError

from enrich.gazetteer import Gazetteer
from enrich.schema import Status
from search.query import Interval, SearchQuery, SortOrder, with_names_in_both_languages


STATUSES: tuple[str, ...] = get_args(Status)


class BadQuery(ValueError):
    """A search the desk refuses to run, with the reason shown to the user (HTTP 400)."""


@dataclass(frozen=True)
class Limits:
    max_query_chars: int = 500
    max_page_size: int = 100
    export_limit: int = 1000


@dataclass
class SearchParams:
    q: str = ""
    type: list[str] = field(default_factory=list)
    lang: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    party: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    min_usd: float | None = None
    since: date | None = None
    until: date | None = None
    sort: SortOrder = "relevance"
    after: str | None = None
    limit: int = 20

    def link(self, **changes: object) -> str:
        """This search's query string, with some parameters changed (None removes one)."""
        values = {**self.__dict__, **changes}
        pairs: list[tuple[str, str]] = []
        for key, value in values.items():
            if value is None or value == "" or value == []:
                continue
            if key == "sort" and value == "relevance" or key == "limit" and value == 20:
                continue  # the defaults: shorter links
            for item in value if isinstance(value, list) else [value]:
                pairs.append((key, str(item)))
        return urlencode(pairs)

    def toggled(self, name: str, value: str) -> str:
        """The link that adds ``value`` to the list parameter ``name``, or removes it (page 1)."""
        current: list[str] = getattr(self, name)
        chosen = [v for v in current if v != value] if value in current else [*current, value]
        return self.link(**{name: chosen, "after": None})


def search_params(
    q: Annotated[str, Query(description="free text; double quotes make a phrase")] = "",
    type: Annotated[list[str], Query(description="event type, any of (repeatable)")] = [],  # noqa: A002, B006
    lang: Annotated[list[Literal["en", "zh", "other"]], Query(description="language (repeatable)")] = [],  # noqa: B006
    source: Annotated[list[str], Query(description="source id (repeatable)")] = [],  # noqa: B006
    party: Annotated[
        list[str],
        Query(description="company, any of (repeatable): gazetteer id, English or Chinese name or alias; "
              "梅奥诊所 and Mayo Clinic find the same deals"),
    ] = [],  # noqa: B006
    status: Annotated[list[str], Query(description=f"deal status, any of (repeatable): {', '.join(STATUSES)}")] = [],  # noqa: B006
    min_usd: Annotated[str | None, Query(description="a reported deal's amount in US dollars, at least")] = None,
    since: Annotated[str | None, Query(description="published on or after, YYYY-MM-DD")] = None,
    until: Annotated[str | None, Query(description="published before, YYYY-MM-DD")] = None,
    sort: Annotated[SortOrder, Query(description="relevance or date")] = "relevance",
    after: Annotated[str | None, Query(description="the previous page's next_after")] = None,
    limit: Annotated[int, Query(ge=1, description="results per page")] = 20,
) -> SearchParams:
    return SearchParams(
        q=q, type=_given(type), lang=list(lang), source=_given(source), party=_given(party), status=_given(status),
        min_usd=_amount(min_usd), since=_day("since", since), until=_day("until", until), sort=sort, after=after or None,
        limit=limit,
    )


def _given(values: list[str]) -> list[str]:
    """The values a form really chose (an empty select or text box sends "")."""
    return [value for value in values if value.strip()]


def _day(name: str, value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise HTTPException(422, f"{name}: not a date (YYYY-MM-DD): {value[:40]!r}") from None


def _amount(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise BadQuery(f"min_usd: not a number: {value[:40]!r}") from None


def to_query(
    params: SearchParams,
    limits: Limits,
    *,
    gazetteer: Gazetteer | None = None,
    facets: list[str] | None = None,
    histogram: Interval | None = None,
    facet_size: int = 10,
    limit: int | None = None,
) -> SearchQuery:
    if len(params.q) > limits.max_query_chars:
        raise BadQuery(f"query text is {len(params.q)} characters long; at most {limits.max_query_chars}")
    size = params.limit if limit is None else limit
    if size > limits.max_page_size and limit is None:
        raise BadQuery(f"limit {size} is too large; at most {limits.max_page_size} results per page")
    if params.since and params.until and params.since >= params.until:
        raise BadQuery(f"since ({params.since}) must be before until ({params.until})")
    try:
        query = SearchQuery(
            text=params.q, types=params.type, langs=params.lang, sources=params.source,
            parties=[canonical_party(name, gazetteer) for name in params.party], statuses=params.status,
            min_usd=params.min_usd,
            since=params.since, until=params.until, sort=params.sort, after=params.after, limit=size,
            facets=facets or [], facet_size=facet_size, histogram=histogram,
        )  # fmt: skip
    except ValidationError as invalid:
        raise BadQuery(reason(invalid)) from None
    return with_names_in_both_languages(query, gazetteer) if gazetteer else query


def canonical_party(name: str, gazetteer: Gazetteer | None) -> str:
    """A company as the user typed it, as its gazetteer id when the gazetteer knows the name
    (an alias or ticker included), so that any of its names in either language finds it."""
    org = gazetteer.lookup(name.strip()) if gazetteer else None
    return org.id if org else name


def reason(invalid: ValidationError) -> str:
    """The first problem of a validation error, as one line naming the parameter."""
    problem = invalid.errors()[0]
    where = ".".join(str(part) for part in problem["loc"] if part not in ("body", "query"))
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
