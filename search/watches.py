"""Saved searches ("watches") and how new articles are matched against them, for alerts.

A watch is a name and a :class:`SearchQuery`; only its text and filters matter for matching
(paging, sorting and facets do not). Every backend stores watches beside its articles and
answers ``match_watches(article_ids)``: which watches each of these (just indexed) articles
matches. Clusters with the percolator module match all watches in one pass over the batch;
elsewhere, each watch runs as a search restricted to the batch's ids
(:func:`match_by_search`). Both give the same matches; the contract tests hold them to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from search.query import SearchQuery
from search.segment import query_terms

# instant: an alert as soon as a batch matches; daily: one message a day with what matched.
Cadence = Literal["instant", "daily"]
# One address, loosely: what a mail server will accept is decided by the mail server.
EMAIL_PATTERN = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"


def email_addresses(emails: list[str]) -> list[str]:
    """The addresses, each once; ValueError naming those that are not email addresses."""
    bad = [email for email in emails if not re.match(EMAIL_PATTERN, email)]
    if bad:
        raise ValueError(f"not an email address: {', '.join(bad)}")
    return list(dict.fromkeys(emails))


class Webhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://\S+$", description="receives a JSON POST per alert")
    # shown as ********** wherever a watch is printed or served (the desk's API too)
    secret: SecretStr = Field(min_length=16, description="key of the body's HMAC-SHA256 signature")


class Watch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"\S", description="unique; how alerts name it")
    query: SearchQuery
    emails: list[str] = Field(default_factory=list, description="addresses alerts are mailed to")
    webhooks: list[Webhook] = Field(default_factory=list)
    cadence: Cadence = "instant"
    created_at: datetime | None = Field(default=None, description="set by the backend that stores it")
    updated_at: datetime | None = None

    @field_validator("query")
    @classmethod
    def _parsable(cls, query: SearchQuery) -> SearchQuery:
        # A search forgives a stray quote; a watch that runs unattended for months should not
        # silently mean something else than its author thought.
        if query.text.count('"') % 2:
            raise ValueError(f"unbalanced double quote in {query.text!r}")
        if query.text.strip() and not query_terms(query.text):
            raise ValueError(f"no word to search for in {query.text!r}")
        return query

    @field_validator("emails")
    @classmethod
    def _addresses(cls, emails: list[str]) -> list[str]:
        return email_addresses(emails)

    def delivery(self) -> dict[str, Any]:
        """What backends store beside the query: channels (with their secrets) and cadence."""
        stored = self.model_dump(mode="json", include={"emails", "webhooks", "cadence"})
        for hook, webhook in zip(stored["webhooks"], self.webhooks, strict=True):
            hook["secret"] = webhook.secret.get_secret_value()
        return stored

    @classmethod
    def stored(
        cls, name: str, query: dict[str, Any] | str, delivery: dict[str, Any] | None,
        created_at: str | datetime | None, updated_at: str | datetime | None,
    ) -> Watch:
        """A watch as a backend kept it (watches stored before channels existed have none)."""
        parsed = SearchQuery.model_validate_json(query) if isinstance(query, str) else SearchQuery.model_validate(query)
        return cls(name=name, query=parsed, created_at=created_at, updated_at=updated_at, **(delivery or {}))


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
