"""Canonical URLs and the article ids derived from them.

The canonical form is the crawler's (``spiders.urls``): an article's id and the crawler's
memory of what it fetched must agree on what one page is. courlan's strict mode, which would
drop ``?newsid=1``, is not used: it makes two articles one.
"""

from __future__ import annotations

import hashlib

from spiders.urls import canonical_url as _canonical


def canonical_url(url: str) -> str:
    """Normalised form of a URL: lower-cased host, no fragment, tracking parameters dropped."""
    return _canonical(url) or url


def article_id(url: str) -> str:
    """A stable id for the article at ``url`` (canonicalised first)."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:20]
