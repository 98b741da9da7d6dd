"""The crawler's URL keys: one canonical form per page, so a page is fetched once.

courlan does the normalisation (lower-cased scheme and host, default port dropped, path
percent-encoded consistently, query sorted, tracking parameters such as ``utm_*`` removed).
It runs in non-strict mode on purpose: strict mode keeps only a short list of query
parameters, which would fold ``show.php?newsid=1`` and ``show.php?newsid=2`` into one page.
Fragments never reach a server, so they are dropped.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import normalize_url, scrub_url

MAX_URL_LENGTH = 2083  # what browsers and Scrapy's UrlLengthMiddleware accept


def absolute_url(link: str, base: str) -> str | None:
    """``link`` resolved against ``base``; None for what is not an http(s) URL."""
    link = (link or "").strip()
    if not link:
        return None
    try:
        link = scrub_url(link)
        own = urlsplit(link)
        if own.scheme and not own.netloc:  # "http://", "javascript:...", "mailto:..."
            return None
        url = urljoin(base, link)
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def canonical_url(url: str) -> str | None:
    """The canonical form of an absolute http(s) URL, or None when it cannot be one."""
    try:
        normal = normalize_url(url, strict=False)
        parts = urlsplit(normal)
        parts.port  # noqa: B018
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(normal) > MAX_URL_LENGTH:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
