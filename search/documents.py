"""What every index derives from an article, in one place: its sort date, its snippet, and
the document a search cluster stores (the whole article plus derived search fields)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from enrich.schema import EnrichedArticle
from search.query import party_keys_of
from search.segment import break_words, has_han, index_tokens, unbreak_words, without_han

# Snippet length in characters; Chinese text gets half, as each character is a wide glyph.
SNIPPET_CHARS = 220
# Fields searched as text, and the weight of a match in each (a headline counts five times):
# the original, then its English translation (an English query finds a Chinese article by it).
TEXT_FIELDS = {"title": 5.0, "text": 1.0, "title_en": 5.0, "text_en": 1.0}
# The fields that may hold Chinese, segmented by jieba into ``<name>_zh``.
CHINESE_FIELDS = ("title", "text")
# Derived fields a cluster document adds to the article's own.
LABELS, SORT_DATE = "labels", "sort_date"
PARTY_KEYS, STATUSES, MAX_USD = "party_keys", "statuses", "max_usd"
ZH_SUFFIX = "_zh"  # title_zh, text_zh: the jieba-segmented tokens of Chinese text
CJK_SUFFIX = "_cjk"  # title_cjk: a Chinese headline again, for engines with the cjk analyzer
# Bigrams of headlines only: those of bodies halved OpenSearch's bulk rate, for ranking alone
# (bench/search_backends.py; figures in the README).
CJK_FIELDS = ("title",)
# A body with Chinese is stored here as it is; ``text`` then holds only its other words (Latin
# names, figures) for the English analyzer, since its Chinese is matched on ``text_zh``. One
# token per Han character there took a fifth of the engine's indexing time and only served
# highlighting, which for such an article is done as the embedded index does it (``snippet``).
ORIGINAL_TEXT = "text_original"


def sort_date(article: EnrichedArticle) -> datetime:
    """When the article was published (fetched, if undated), UTC, to the millisecond as the
    clusters keep dates, so every backend orders and filters the same instants alike."""
    moment = (article.published_at or article.fetched_at).astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def utc_key(moment: datetime) -> str:
    """A UTC instant as fixed-width ISO text (sorts as it compares): 2025-03-10T08:00:00.000Z."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def snippet_width(lang: str) -> int:
    return SNIPPET_CHARS // 2 if lang == "zh" else SNIPPET_CHARS


def party_keys(article: EnrichedArticle) -> list[str]:
    """Every way the ``parties`` filter can name the article's parties: id, English and Chinese name."""
    return sorted(party_keys_of(party for event in article.events for party in event.parties))


def statuses(article: EnrichedArticle) -> list[str]:
    return sorted({event.status for event in article.events})


def max_usd(article: EnrichedArticle) -> float | None:
    """The largest amount any reported event states, in US dollars (None: no amount)."""
    amounts = [event.amount.usd for event in article.events if event.amount and event.amount.usd is not None]
    return max(amounts, default=None)


def index_document(article: EnrichedArticle, cjk: bool = False) -> dict[str, Any]:
    """The document a cluster indexes: every field of the article, plus the derived ones
    (a body with Chinese: see ``ORIGINAL_TEXT``).

    A Chinese headline also goes, as it is, to ``title_cjk`` when the engine has the cjk
    analyzer: a field of its own (not a sub-field of title) so that English articles are not
    analysed again for bigrams they do not need."""
    document = article.model_dump(mode="json")
    if has_han(article.text):
        document[ORIGINAL_TEXT] = article.text
        document["text"] = without_han(article.text)
    for name in TEXT_FIELDS:
        if document.get(name):
            document[name] = break_words(document[name])
    document[LABELS] = article.labels
    document[SORT_DATE] = utc_key(sort_date(article))
    document[PARTY_KEYS] = party_keys(article)
    document[STATUSES] = statuses(article)
    document[MAX_USD] = max_usd(article)
    # Traditional Chinese is indexed in Simplified (the original is kept in title and text).
    for name, value in zip(CHINESE_FIELDS, (article.index_title, article.index_text), strict=True):
        if has_han(value):
            document[f"{name}{ZH_SUFFIX}"] = " ".join(index_tokens(value))
            if cjk and name in CJK_FIELDS:
                document[f"{name}{CJK_SUFFIX}"] = value
    return document


def event_documents(article: EnrichedArticle) -> list[tuple[str, dict[str, Any]]]:
    """(id, document) for each event the article reports: what trend counts aggregate."""
    when = utc_key(sort_date(article))
    documents = []
    for event in article.events:
        doc_id = f"{article.id}:{event.type}"
        documents.append(
            (
                doc_id,
                {
                    "id": doc_id,
                    "article_id": article.id,
                    **event.model_dump(mode="json"),
                    "source_id": article.source_id,
                    "lang": article.lang,
                    SORT_DATE: when,
                },
            )
        )
    return documents


def stored_fields(document: dict[str, Any]) -> dict[str, Any]:
    """A cluster document's fields as the article has them (without the cuts of ``break_words``,
    the body as it was written)."""
    fields = {
        key: unbreak_words(value) if key in TEXT_FIELDS and isinstance(value, str) else value
        for key, value in document.items()
        if key != ORIGINAL_TEXT
    }
    if ORIGINAL_TEXT in document:
        fields["text"] = document[ORIGINAL_TEXT]
    return fields


def article_from_document(document: dict[str, Any]) -> EnrichedArticle:
    fields = EnrichedArticle.model_fields
    return EnrichedArticle.model_validate({key: value for key, value in stored_fields(document).items() if key in fields})


def snippet(text: str, words: list[str], width: int = SNIPPET_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """A window of ``text`` around the first query word it contains (its start if none), and
    the spans of the query words inside it."""
    flat = " ".join(text.split())
    start = 0
    positions = [
        match.start()
        for word in words
        if (match := re.search(re.escape(word), flat, re.IGNORECASE)) is not None
    ]
    if positions:
        start = max(0, min(positions) - width // 4)
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(flat) else ""
    window = f"{prefix}{flat[start : start + width]}{suffix}"
    return window, word_spans(window, words)


def word_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Where the words occur in ``text`` (case-insensitive), overlapping spans merged."""
    spans = sorted(
        (match.start(), match.end())
        for word in words
        if word
        for match in re.finditer(re.escape(word), text, re.IGNORECASE)
    )
    return merge_spans(spans)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping or touching ones joined (合|作 highlighted apart → 合作)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
