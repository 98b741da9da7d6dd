"""Turning what Scrapy hands back (a response, a failure, a dropped request) into raw-store
records, each failure with a short, countable reason code.

Reason codes (the part of ``RawPage.error`` before the colon):

==================== ==========================================================================
``http_<status>``    the server answered with a non-2xx status (after retries, for 429/5xx)
``timeout``          no complete answer within the timeout (after retries)
``dns_error``        the host name does not resolve
``connection_refused``, ``connection_lost``, ``tls_error``, ``download_failed``: the network
``robots_disallowed`` robots.txt forbids the URL: never fetched
``host_paused``      the server asked (Retry-After) for a longer pause than we wait in a run
``crawl_delay_too_long``  robots.txt asks for a longer Crawl-delay than ``robots_crawl_delay_max``
``too_large``        the body is over the size cap: download stopped, body not kept
``redirect_loop``    a redirect chain that comes back to a URL it already visited
``too_many_redirects`` a redirect chain longer than the limit
``offsite_redirect`` a redirect to a host outside the source's allowed domains: not followed
``not_html``         an article URL answered with something else (PDF, image...): body kept
``feed_invalid``, ``feed_empty``, ``sitemap_invalid``, ``sitemap_empty``, ``no_links``: the
                     page came back but gave nothing to follow (broken markup, empty, or a
                     listing whose selectors match nothing: its layout probably changed)
==================== ==========================================================================

A 304 answer to a conditional request is recorded too, without error (``RawPage.not_modified``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.http import Response
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from spiders.encoding import sniff_encodings
from spiders.rawstore import PageKind, RawPage, Redirect
from spiders.sources import on_domains

_EXCEPTION_REASONS: list[tuple[type[BaseException], str]] = [
    (DownloadTimeoutError, "timeout"),
    (TimeoutError, "timeout"),
    (TCPTimedOutError, "timeout"),
    (CannotResolveHostError, "dns_error"),
    (DNSLookupError, "dns_error"),
    (DownloadConnectionRefusedError, "connection_refused"),
    (ConnectionRefusedError, "connection_refused"),
    (ResponseDataLossError, "connection_lost"),
    (ResponseFailed, "connection_lost"),
    (ConnectionLost, "connection_lost"),
    (UnsupportedURLSchemeError, "invalid_url"),
    (DownloadFailedError, "download_failed"),
]

# Failures that will not go away by asking again: the URL is not retried on later runs.
_PERMANENT = {
    "robots_disallowed",
    "too_large",
    "redirect_loop",
    "too_many_redirects",
    "offsite_redirect",
    "not_html",
    "invalid_url",
}


def is_permanent(reason: str) -> bool:
    """Is a failure with this reason code final (a 404), or worth retrying on a later run (a 503)?"""
    if reason in _PERMANENT:
        return True
    return reason.startswith("http_4") and reason not in ("http_408", "http_429")


def page_from_response(response: Response, kind: PageKind, source_id: str, crawl_id: str) -> RawPage:
    """A record of ``response``, exactly as received; ``error`` set for a non-2xx/304 status."""
    request = response.request
    content_type = _header(response, b"Content-Type")
    encodings = sniff_encodings(response.body, content_type)
    status = response.status
    return RawPage(
        source_id=source_id,
        crawl_id=crawl_id,
        kind=kind,
        request_url=_first_url(request) if request is not None else response.url,
        url=response.url,
        redirects=_redirects(request) if request is not None else [],
        found_on=request.meta.get("medradar_found_on") if request is not None else None,
        status=status,
        headers={
            key.decode("latin-1").lower(): [value.decode("latin-1") for value in values]
            for key, values in response.headers.items()
        },
        fetched_at=datetime.now(UTC),
        body=response.body,
        header_encoding=encodings.header,
        declared_encoding=encodings.declared,
        detected_encoding=encodings.detected if response.body else None,
        error=None if 200 <= status < 300 or status == 304 else f"http_{status}",
    )


def page_from_failure(failure: Failure, kind: PageKind, source_id: str, crawl_id: str, domains: list[str]) -> RawPage:
    """A record of a fetch that failed; the response too, when the failure carries one."""
    request: Request | None = getattr(failure, "request", None)
    response: Response | None = getattr(failure.value, "response", None)
    if response is not None:
        return page_from_response(response, kind, source_id, crawl_id)
    reason = failure_reason(failure, request, domains)
    return failed_page(request, kind, source_id, crawl_id, f"{reason}: {failure.getErrorMessage()}")


def failed_page(request: Request | None, kind: PageKind, source_id: str, crawl_id: str, error: str) -> RawPage:
    """A record of a request that got no response, with ``error`` = ``'<reason>: <detail>'``."""
    url = request.url if request is not None else ""
    return RawPage(
        source_id=source_id,
        crawl_id=crawl_id,
        kind=kind,
        request_url=_first_url(request) if request is not None else url,
        url=url,
        redirects=_redirects(request) if request is not None else [],
        found_on=request.meta.get("medradar_found_on") if request is not None else None,
        fetched_at=datetime.now(UTC),
        error=error,
    )


def failure_reason(failure: Failure, request: Request | None, domains: list[str]) -> str:
    """A short, countable reason code for a fetch that produced no response."""
    if failure.check(IgnoreRequest):
        return ignored_reason(request, failure.getErrorMessage(), domains)
    if failure.check(DownloadCancelledError) and "max size" in failure.getErrorMessage():
        return "too_large"
    for error_type, reason in _EXCEPTION_REASONS:
        if failure.check(error_type):
            return reason
    if "ssl" in failure.type.__module__.lower() or "SSL" in failure.type.__name__:
        return "tls_error"
    return failure.type.__name__


def ignored_reason(request: Request | None, message: str, domains: list[str]) -> str:
    """Why Scrapy declined to fetch ``request`` (IgnoreRequest, or dropped when scheduled)."""
    message = message.lower()
    redirected = bool(request is not None and request.meta.get("redirect_urls"))
    if "robots.txt" in message:
        return "robots_disallowed"
    if "(retry-after)" in message:
        return "host_paused"
    if "(crawl-delay)" in message:
        return "crawl_delay_too_long"
    if request is not None and not on_domains(request.url, domains):
        return "offsite_redirect" if redirected else "off_domain"
    if "max redirections" in message or redirected:
        visited = request.meta.get("redirect_urls", []) if request is not None else []
        return "redirect_loop" if request is not None and request.url in visited else "too_many_redirects"
    return "ignored"


def _first_url(request: Request) -> str:
    chain = request.meta.get("redirect_urls")
    return chain[0] if chain else request.url


def _redirects(request: Request) -> list[Redirect]:
    urls = request.meta.get("redirect_urls", [])
    reasons = request.meta.get("redirect_reasons", [])
    return [Redirect(url=url, reason=str(reason)) for url, reason in zip(urls, reasons, strict=False)]


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
