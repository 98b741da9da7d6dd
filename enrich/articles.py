"""From a fetched page to an ``Article``, or a ``Rejection`` that says why not."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from enrich.encoding import decode_html
from enrich.extract import extract
from enrich.language import detect_language
from enrich.schema import Article, Rejection
from enrich.urls import article_id, canonical_url

# Less text than this is a stub, a teaser or a navigation page, not an article. Chinese
# packs roughly three times the content per character.
MIN_TEXT_CHARS = {"en": 300, "zh": 100, "other": 300}


def build_article(
    *,
    source_id: str,
    url: str,
    body: bytes,
    fetched_at: datetime,
    content_type: str | None = None,
) -> Article | Rejection:
    def reject(reason: str, detail: str = "") -> Rejection:
        return Rejection(source_id=source_id, url=url, reason=reason, detail=detail)

    if not body.strip():
        return reject("empty_body")
    html, _encoding = decode_html(body, content_type)
    extracted = extract(html, url)
    if extracted is None:
        return reject("no_main_text")
    if not extracted.title:
        return reject("no_title")
    text = _without_headline(extracted.text, extracted.title)
    lang = detect_language(text)
    if len(text) < MIN_TEXT_CHARS[lang]:
        return reject("too_short", f"{len(text)} characters of {lang} text")
    canonical = canonical_url(_same_site_canonical(url, extracted.canonical_url))
    return Article(
        id=article_id(canonical),
        source_id=source_id,
        url=url,
        canonical_url=canonical,
        title=extracted.title,
        text=text,
        lang=lang,
        published_at=parse_published(extracted.date),
        fetched_at=fetched_at,
        author=extracted.author,
        site_name=extracted.site_name,
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


def parse_published(value: str | None) -> datetime | None:
    """trafilatura's date string as an aware UTC datetime (UTC assumed when none is given)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
