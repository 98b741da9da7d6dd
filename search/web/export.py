"""The current result set as CSV or JSON, for spreadsheets and scripts.

CSV cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) are prefixed with an apostrophe, as OWASP advises: a scraped headline such
as ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from search.query import SearchHit

CSV_COLUMNS = ("id", "published_at", "source_id", "lang", "types", "title", "title_en", "url", "snippet", "snippet_en")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def hit_row(hit: SearchHit) -> dict[str, str]:
    return {
        "id": hit.id,
        "published_at": hit.published_at.isoformat() if hit.published_at else "",
        "source_id": hit.source_id,
        "lang": hit.lang,
        "types": " ".join(hit.labels),
        "title": hit.title,
        "title_en": hit.title_en or "",
        "url": hit.url,
        "snippet": hit.snippet,
        "snippet_en": hit.snippet_en or "",
    }


def to_csv(hits: Iterable[SearchHit]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for hit in hits:
        writer.writerow({key: inert(value) for key, value in hit_row(hit).items()})
    return out.getvalue()
