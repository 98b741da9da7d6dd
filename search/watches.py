"""Saved searches ("watches") and how new articles are matched against them, for alerts.

A watch is a name and a :class:`SearchQuery`; only its text and filters matter for matching
(paging, sorting and facets do not). Every backend stores watches beside its articles and
answers ``match_watches(article_ids)``: which watches each of these (just indexed) articles
matches. Clusters with the percolator module match all watches in one pass over the batch;
elsewhere, each watch runs as a search restricted to the batch's ids
(:func:`match_by_search`). Both give the same matches; the contract tests hold them to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from search.query import SearchQuery


class Watch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"\S", description="unique; how alerts name it")
    query: SearchQuery


class WatchMatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    watch: str
    article_id: str


# Given queries and article ids: for each query, the ids among those that it matches.
MatchMany = Callable[[Sequence[SearchQuery], Sequence[str]], list[set[str]]]


def match_by_search(watches: Sequence[Watch], article_ids: Sequence[str], matching_ids: MatchMany) -> list[WatchMatch]:
    """Each watch's query run against the batch's articles only."""
    if not watches or not article_ids:
        return []
    found = matching_ids([watch.query for watch in watches], article_ids)
    return sorted_matches(
        WatchMatch(watch=watch.name, article_id=article_id)
        for watch, ids in zip(watches, found, strict=True)
        for article_id in ids
    )


def sorted_matches(matches) -> list[WatchMatch]:
    return sorted(set(matches), key=lambda match: (match.watch, match.article_id))
