"""Downloader middleware for what Scrapy does not do itself: wait before retrying, and wait
as long as robots.txt's Crawl-delay asks.

Scrapy's RetryMiddleware re-sends a request that got a 429, a 5xx or a network error at once.
``BackoffRetryMiddleware`` keeps its rules (``RETRY_TIMES``, ``RETRY_HTTP_CODES``,
``RETRY_EXCEPTIONS``, ``dont_retry``) and spaces the retries out, per host:

- the wait is exponential: ``MEDRADAR_RETRY_BACKOFF * 2**n`` seconds before the n-th retry,
  capped at ``MEDRADAR_RETRY_BACKOFF_MAX``;
- a ``Retry-After`` header (seconds or an HTTP date) is honoured when it asks for longer;
- the wait applies to the whole host, not just the retried request: nothing is sent to a
  server that asked for a pause until the pause is over;
- a server asking for a pause longer than ``MEDRADAR_RETRY_AFTER_MAX`` is left alone for the
  rest of the run: its requests fail at once with ``host_paused`` and are retried by a later run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser
    from scrapy.settings import BaseSettings


class RobotsCrawlDelayMiddleware:
    """Spaces requests to a host at least as far apart as its robots.txt ``Crawl-delay``.

    Scrapy parses robots.txt with Protego, which reads the directive, but only uses it to
    allow or forbid URLs. This waits for it, on top of the source's own ``crawl_delay`` and
    AutoThrottle. A host asking for more than ``MEDRADAR_ROBOTS_CRAWL_DELAY_MAX`` seconds is
    left alone for the run: its requests fail with ``crawl_delay_too_long``.
    """

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.max_delay = settings.getfloat("MEDRADAR_ROBOTS_CRAWL_DELAY_MAX", 120.0)
        self.delays: dict[str, float] = {}  # host -> seconds robots.txt asks between requests
        self.next_at: dict[str, float] = {}  # host -> monotonic time of its next request
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsCrawlDelayMiddleware:
        return cls(crawler)

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        crawl_delay = getattr(robotparser, "crawl_delay", None)
        delay = crawl_delay(self.user_agent) if crawl_delay else None
        if delay:
            self.delays[urlparse_cached(request).netloc] = float(delay)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlparse_cached(request).netloc
        delay = self.delays.get(host)
        if not delay or request.meta.get("dont_obey_robotstxt"):
            return
        if delay > self.max_delay:
            raise IgnoreRequest(f"{host} asks for {delay:.0f} s between requests (crawl-delay)")
        now = monotonic()
        start = max(now, self.next_at.get(host, 0.0))
        self.next_at[host] = start + delay
        if start > now:
            await sleep(start - now)


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff = settings.getfloat("MEDRADAR_RETRY_BACKOFF", 1.0)
        self.backoff_max = settings.getfloat("MEDRADAR_RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("MEDRADAR_RETRY_AFTER_MAX", 600.0)
        self.resume_at: dict[str, float] = {}  # host -> monotonic time it may be asked again
        self.paused: dict[str, float] = {}  # host -> seconds it asked for, beyond what we wait

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = _host(request)
        if host in self.paused:
            raise IgnoreRequest(f"{host} asked for a pause of {self.paused[host]:.0f} s (Retry-After)")
        wait = self.resume_at.get(host, 0.0) - monotonic()
        if wait > 0:
            await sleep(wait)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = _retry_after(response)
        if asked is not None and asked > self.retry_after_max:
            self.paused[_host(request)] = asked
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        self._pause(request, max(self._backoff(request), asked or 0.0))
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            self._pause(request, self._backoff(request))
        return retry

    def _backoff(self, request: Request) -> float:
        return min(self.backoff * 2 ** request.meta.get("retry_times", 0), self.backoff_max)

    def _pause(self, request: Request, seconds: float) -> None:
        host = _host(request)
        self.resume_at[host] = max(self.resume_at.get(host, 0.0), monotonic() + seconds)
        self.crawler.stats.inc_value("medradar/backoff_seconds", seconds)


def _host(request: Request) -> str:
    return urlparse_cached(request).netloc


def _retry_after(response: Response) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or HTTP-date), if any."""
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
