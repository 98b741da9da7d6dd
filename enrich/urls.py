"""Canonical URLs and the article ids derived from them."""

from __future__ import annotations

import hashlib

from courlan import normalize_url


def canonical_url(url: str) -> str:
    """Normalised form of a URL: lower-cased host, no fragment, tracking parameters dropped."""
    try:
        return normalize_url(url, strict=True)
    except ValueError:
        return url


def article_id(url: str) -> str:
    """A stable id for the article at ``url`` (canonicalised first)."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:20]
