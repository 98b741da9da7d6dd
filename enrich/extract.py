"""Article fields from an HTML page, with trafilatura (and htmldate for the dates).

The settings were chosen by measurement on the shared real-page corpora (see
``bench/extraction.py`` and ``bench/results/extraction.md``): decode the bytes first (see
``enrich.encoding``), keep trafilatura's fallback extractors and tables, and leave readers'
comments out. Against a plain ``trafilatura.extract`` call that is better or equal F1 on
every corpus; the only text it drops is comment sections.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import trafilatura
from lxml import etree
from lxml.html import HtmlElement

from enrich.dates import PUBLISHED_PARAMS, declared_modified_date

EXTRACTION_OPTIONS = {
    "include_comments": False,  # comments are not the article: +1.5 points precision on aeb
    "include_tables": True,
    "favor_precision": False,  # measured: loses 1-13 points of recall on 6 corpora
    "favor_recall": False,  # measured: loses precision on zh news (newspaper4k zh F1 .995 -> .925)
}


_DECLARED_LANGUAGE = etree.XPath(
    "/html/@lang | /html/@xml:lang"
    " | //meta[translate(@http-equiv, 'CONTENT-LANGUAGE', 'content-language')='content-language']/@content"
    " | //meta[@property='og:locale']/@content | //meta[@name='language']/@content"
)


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str
    date: str | None
    modified_date: str | None
    author: str | None
    site_name: str | None
    description: str | None
    canonical_url: str | None
    language: str | None
    image: str | None
    page_type: str | None


def parse_html(html: str) -> HtmlElement | None:
    """The page's element tree (trafilatura's lenient parser), or None if it has none."""
    return trafilatura.load_html(html)


def extract(tree: HtmlElement, url: str | None = None) -> Extracted | None:
    """Main text and metadata of a parsed page; None when trafilatura finds no main text.

    trafilatura works on its own copy, so ``tree`` can be read again afterwards."""
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        date_extraction_params=PUBLISHED_PARAMS,
        **EXTRACTION_OPTIONS,
    )
    if document is None or not (document.text or "").strip():
        return None
    text = unicodedata.normalize("NFC", document.text.strip())  # as trafilatura.extract returns it
    return Extracted(
        title=_clean(document.title) or page_title(tree) or _first_line_title(text),
        text=text,
        date=document.date,
        modified_date=declared_modified_date(tree),
        author=_clean(document.author),
        site_name=_clean(document.sitename),
        description=_clean(document.description),
        canonical_url=_clean(document.url),
        language=declared_language(tree),
        image=_clean(document.image),
        page_type=_clean(document.pagetype),
    )


_TITLE = etree.XPath("//title/text()")
_TITLE_SEPARATORS = re.compile(r"\s*(?:_{1,2}|\|| - | – | — |--|::|>>|›)\s*")
# A first line this short, above more text, is the headline of a page that marks none.
FIRST_LINE_TITLE_CHARS = 60


def page_title(tree: HtmlElement) -> str | None:
    """The ``<title>`` without the site name around it (its longest separated part).

    trafilatura only reads a <title> inside <head>; old Chinese portals put it elsewhere."""
    for raw in _TITLE(tree):
        parts = [part for part in _TITLE_SEPARATORS.split(" ".join(str(raw).split())) if part]
        if parts:
            return unicodedata.normalize("NFC", max(parts, key=len))
    return None


def _first_line_title(text: str) -> str | None:
    first, _, rest = text.strip().partition("\n")
    first = first.strip()
    return first if rest.strip() and 0 < len(first) <= FIRST_LINE_TITLE_CHARS else None


def declared_language(tree: HtmlElement) -> str | None:
    """The language the page says it is in: ``<html lang>``, else its meta tags."""
    for value in _DECLARED_LANGUAGE(tree):
        value = str(value).strip().replace("_", "-")
        if value:
            return value.split(",")[0].strip()
    return None


def _clean(value: str | None) -> str | None:
    value = unicodedata.normalize("NFC", (value or "").strip())
    return value or None
