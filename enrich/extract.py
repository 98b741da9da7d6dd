"""Article fields from an HTML page, with trafilatura."""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura

# htmldate keeps the time of day when the page gives one; trafilatura's default drops it.
_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str
    date: str | None
    author: str | None
    site_name: str | None
    description: str | None
    canonical_url: str | None
    language: str | None
    image: str | None


def extract(html: str, url: str | None = None) -> Extracted | None:
    """Main text and metadata of a page; None when trafilatura finds no main text."""
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        date_extraction_params=_DATE_PARAMS,
    )
    if document is None or not (document.text or "").strip():
        return None
    return Extracted(
        title=_clean(document.title),
        text=document.text.strip(),
        date=document.date,
        author=_clean(document.author),
        site_name=_clean(document.sitename),
        description=_clean(document.description),
        canonical_url=_clean(document.url),
        language=_clean(document.language),
        image=_clean(document.image),
    )


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None
