"""From a fetched page to an ``Article``, or a ``Rejection`` that says why not.

The steps, each in its own module: decode (``encoding``), parse and extract with
trafilatura (``extract``), the quality gates (``quality``), language and script
(``language``), dates in UTC (``dates``). Duplicates are found later, across the whole
batch and every earlier run (``dedupe``).
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from enrich.dates import page_dates
from enrich.dedupe import content_hash
from spiders.encoding import decode_html, replacement_share
from enrich.extract import extract, parse_html
from enrich.language import chinese_script, detect_language, to_simplified
from enrich.quality import (
    ArticleRules,
    RejectionReason,
    is_paywall_stub,
    is_redirect_stub,
    looks_like_listing,
    page_kind_from_url,
    text_chars,
    without_boilerplate,
)
from enrich.schema import Article, Rejection
from enrich.urls import article_id, canonical_url

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Bytes that start files which are certainly not web pages (images, PDF, archives, fonts).
_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"wOFF", b"RIFF")


def build_article(
    *,
    source_id: str,
    url: str,
    body: bytes,
    fetched_at: datetime,
    rules: ArticleRules,
    content_type: str | None = None,
    timezone: str = "UTC",
    section_urls: Sequence[str] = (),
) -> Article | Rejection:
    """The article on a page, or why there is none.

    ``timezone`` is the source's (dates printed without an offset are in it);
    ``section_urls`` are its home and listing pages, which are never articles."""

    def reject(reason: RejectionReason, detail: str = "") -> Rejection:
        return Rejection(source_id=source_id, url=url, reason=reason, detail=detail)

    if not body.strip():
        return reject("empty_body")
    if len(body) > rules.max_page_bytes:
        return reject("too_large", f"{len(body):,} bytes; the limit is {rules.max_page_bytes:,}")
    if body.startswith(_BINARY_MAGIC):
        return reject("not_html", "starts like an image, PDF, archive or font file")
    if b"\x00" in body[:4096] and not body.startswith(_UTF16_BOMS):
        return reject("not_html", "NUL bytes in the first 4 KB")
    html, encoding = decode_html(body, content_type)
    unreadable = replacement_share(html)
    if unreadable > rules.max_undecodable_share:
        return reject("undecodable", f"{unreadable:.0%} of the characters are not valid {encoding}")
    tree = parse_html(html)
    if tree is None:
        return reject("no_main_text", "no HTML document")
    if is_redirect_stub(tree):
        return reject("redirect", "the page sends the reader elsewhere (meta refresh)")
    kind = page_kind_from_url(url, section_urls)
    if kind:
        return reject(kind)
    extracted = extract(tree, url)
    if extracted is None:
        return reject("no_main_text")
    if not extracted.title:
        return reject("no_title")
    text = _without_headline(extracted.text, extracted.title)
    lang = detect_language(text)
    if looks_like_listing(tree, text, rules):
        return reject("listing_page", "many headline links, little text")
    if is_paywall_stub(tree, text, lang, rules):
        return reject("paywall", f"{text_chars(text)} characters of teaser")
    chars = text_chars(text)
    if chars < rules.min_chars(lang):
        return reject("too_short", f"{chars} characters of {lang} text")
    if text_chars(without_boilerplate(text)) < rules.min_chars(lang):
        return reject("boilerplate_only", f"{text_chars(without_boilerplate(text))} characters once boilerplate lines are removed")
    dates = page_dates(
        tree,
        title=extracted.title,
        metadata_date=extracted.date,
        modified_date=extracted.modified_date,
        timezone=timezone,
        fetched_at=fetched_at,
        chinese=lang == "zh",
    )
    script = chinese_script(text) if lang == "zh" else None
    title_lang = detect_language(extracted.title, hint=lang)
    canonical = canonical_url(_same_site_canonical(url, extracted.canonical_url))
    return Article(
        id=article_id(canonical),
        source_id=source_id,
        url=url,
        canonical_url=canonical,
        title=extracted.title,
        text=text,
        lang=lang,
        published_at=dates.published_at,
        fetched_at=fetched_at,
        author=extracted.author,
        site_name=extracted.site_name,
        updated_at=dates.updated_at,
        published_from=dates.published_from,
        description=extracted.description,
        image_url=extracted.image,
        declared_lang=extracted.language,
        title_lang=title_lang,
        script=script,
        title_simplified=to_simplified(extracted.title) if script == "Hant" else None,
        text_simplified=to_simplified(text) if script == "Hant" else None,
        content_hash=content_hash(text),
    )


def merge_refetch(first: Article, second: Article) -> Article:
    """One article fetched twice: the newer content, with the time it was first fetched, so
    re-crawling an unchanged page leaves the article exactly as it was."""
    older, newer = sorted((first, second), key=lambda article: article.fetched_at)
    return newer.model_copy(update={"fetched_at": older.fetched_at})


def _without_headline(text: str, title: str) -> str:
    """The body without a first line repeating the headline (trafilatura keeps the <h1>)."""
    first, _, rest = text.partition("\n")
    return rest.lstrip() if first.strip() == title.strip() else text


def _same_site_canonical(url: str, declared: str | None) -> str:
    """Honour rel=canonical only when it stays on the page's own host."""
    if declared and urlsplit(declared).hostname == urlsplit(url).hostname:
        return declared
    return url
