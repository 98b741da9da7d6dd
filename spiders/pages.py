"""Turning what Scrapy hands back (a response or a failure) into raw-store records."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from spiders.rawstore import PageKind, RawPage


_REASONS = [
    (DNSLookupError, "dns_error"),
    (ConnectionRefusedError, "connection_refused"),
    (TimeoutError, "timeout"),
    (TCPTimedOutError, "timeout"),
    (ResponseFailed, "connection_lost"),
    (IgnoreRequest, "ignored"),
]


def page_from_response(response: Response, kind: PageKind, source_id: str, crawl_id: str) -> RawPage:
    redirects = response.request.meta.get("redirect_urls") if response.request else None
    return RawPage(
        source_id=source_id,
        crawl_id=crawl_id,
        kind=kind,
        request_url=redirects[0] if redirects else response.url,
        url=response.url,
        status=response.status,
        headers={
            key.decode("latin-1").lower(): [value.decode("latin-1") for value in values]
            for key, values in response.headers.items()
        },
        fetched_at=datetime.now(UTC),
        body=response.body,
        encoding=response.encoding if isinstance(response, TextResponse) else None,
        error=None if 200 <= response.status < 300 else f"http_{response.status}",
    )


def page_from_failure(failure: Failure, kind: PageKind, source_id: str, crawl_id: str) -> RawPage:
    request: Request | None = getattr(failure, "request", None)
    response: Response | None = getattr(failure.value, "response", None)
    if response is not None:
        return page_from_response(response, kind, source_id, crawl_id)
    url = request.url if request is not None else ""
    return RawPage(
        source_id=source_id,
        crawl_id=crawl_id,
        kind=kind,
        request_url=url,
        url=url,
        fetched_at=datetime.now(UTC),
        error=f"{failure_reason(failure)}: {failure.getErrorMessage()}",
    )


def failure_reason(failure: Failure) -> str:
    """A short, countable reason code for a fetch that produced no response."""
    message = failure.getErrorMessage().lower()
    if failure.check(IgnoreRequest) and "robots.txt" in message:
        return "robots_disallowed"
    for error_type, reason in _REASONS:
        if failure.check(error_type):
            return reason
    return failure.type.__name__
