"""The one search DSL for Elasticsearch and OpenSearch: index settings and mappings, queries,
aggregations and highlighting as JSON both engines read, and their answers read back into
the shared query model.

How text is searched (the same words match as in the embedded index):

- ``title`` and ``text`` are analysed with the standard tokenizer, lower-casing and Porter
  stemming (``acquired`` finds ``acquire``). A headline's Chinese is one token per character
  there. A body's Chinese is not given to this analyzer at all: ``text`` then holds the body's
  other words, the body itself is kept (not indexed) in ``text_original``, and its snippet is
  found in Python, as the embedded index finds every snippet.
- Chinese is matched on ``title_zh`` / ``text_zh``: the text cut into words by jieba in
  Python (``search.segment``, the embedded index's segmentation) and indexed with the
  built-in ``whitespace`` analyzer, so no engine plugin is needed.
- Where the engine has the ``cjk`` analyzer, ``title_cjk`` holds bigrams of Chinese headlines.
  They only add to the score: which articles match never depends on the engine.
- User text reaches the engine only as quoted phrases built from parsed terms, in
  ``simple_query_string`` with nothing but the phrase operator enabled; never ``query_string``.
"""

from __future__ import annotations

import hashlib
import json
import types
import typing
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from enrich.schema import EnrichedArticle, EventMention
from search.documents import (
    CHINESE_FIELDS,
    CJK_FIELDS,
    CJK_SUFFIX,
    LABELS,
    MAX_USD,
    ORIGINAL_TEXT,
    PARTY_KEYS,
    SORT_DATE,
    STATUSES,
    TEXT_FIELDS,
    ZH_SUFFIX,
    merge_spans,
    snippet,
    snippet_width,
    stored_fields,
    utc_key,
)
from search.query import FacetCount, HistogramBucket, SearchHit, SearchQuery, SearchResult, Term
from search.segment import WORD_BREAK, break_words, has_han, tokens

ENGLISH = "medradar_english"
# Highlight markers: private-use characters, so a fragment is plain text with marked spans.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
# What the documents hold beyond their mappings: raised when search.documents changes what it
# derives (2: words cut at in-word apostrophes, stops and commas; 3: a body with Chinese kept
# whole in text_original, text holding its other words), so older indices are
# reported outdated and `medradar index rebuild` brings them level.
DOCUMENT_FORMAT = 3
FACET_FIELDS = {"types": LABELS, "langs": "lang", "sources": "source_id"}
HIT_FIELDS = [
    "id", "title", "title_en", "url", "source_id", "lang", "published_at", "events.type",
    "text", ORIGINAL_TEXT, "text_en",
]  # fmt: skip


class Capabilities(BaseModel):
    """What the engine behind an index offers, detected when the index was made."""

    stemming: bool = True
    cjk: bool = False
    percolator: bool = False


# -- index settings and mappings -----------------------------------------------------------

# Every write MedRadar makes ends with a refresh of its own (a batch is searchable, and its
# watches matched, as soon as upsert returns), so the engine's own refresh, every second by
# default, only cut segments mid-batch: OpenSearch indexed a third faster without it
# (bench/search_backends.py). Thirty seconds is a safety net for a writer that died mid-batch.
REFRESH_INTERVAL = "30s"
KEYWORD = {"type": "keyword", "ignore_above": 1024}
DATE = {"type": "date"}


def analysis_settings(caps: Capabilities) -> dict[str, Any]:
    filters = ["lowercase", "porter_stem"] if caps.stemming else ["lowercase"]
    return {"analyzer": {ENGLISH: {"type": "custom", "tokenizer": "standard", "filter": filters}}}


def _text(caps: Capabilities, *, keyword: bool = False) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "text", "analyzer": ENGLISH}
    if keyword:
        field["fields"] = {"keyword": {"type": "keyword", "ignore_above": 256}}
    return field


def _known_fields(caps: Capabilities) -> dict[str, dict[str, Any]]:
    """How the article's fields are mapped. A field of the schema not listed here is mapped by
    its type (:func:`mapping_for`); list it here when it needs more (full text, sub-fields)."""
    return {
        "id": KEYWORD,
        "source_id": KEYWORD,
        "url": KEYWORD,
        "canonical_url": KEYWORD,
        "title": _text(caps, keyword=True),
        "text": _text(caps),
        # translations (Chinese articles' English title and text), when the schema has them
        "title_en": _text(caps, keyword=True),
        "text_en": _text(caps),
        "lang": KEYWORD,
        "published_at": DATE,
        "fetched_at": DATE,
        "author": _text(caps, keyword=True),
        "site_name": KEYWORD,
        "events": {"properties": _model_properties(EventMention, {"evidence": _text(caps)})},
    }


def article_properties(caps: Capabilities) -> dict[str, Any]:
    """The article index's fields: every field of the article schema, then the derived ones."""
    properties = _model_properties(EnrichedArticle, _known_fields(caps))
    properties[LABELS] = KEYWORD
    properties[SORT_DATE] = DATE
    properties[PARTY_KEYS] = KEYWORD
    properties[STATUSES] = KEYWORD
    properties[MAX_USD] = {"type": "double"}
    for name in CHINESE_FIELDS:
        # Matching only (no snippets come from here); length norms would not change which
        # articles match, and cost a little at every write.
        properties[f"{name}{ZH_SUFFIX}"] = {"type": "text", "analyzer": "whitespace", "norms": False}
        if caps.cjk and name in CJK_FIELDS:
            properties[f"{name}{CJK_SUFFIX}"] = {"type": "text", "analyzer": "cjk"}
    return properties


def _model_properties(model: type[BaseModel], known: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: known.get(name) or mapping_for(info.annotation) for name, info in model.model_fields.items()}


def mapping_for(annotation: Any) -> dict[str, Any]:
    """A field's mapping from its Python type (what a new schema field gets by default)."""
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return mapping_for(args[0])
    if origin is typing.Literal:
        return KEYWORD
    if origin in (list, tuple, set, frozenset) and args:
        return mapping_for(args[0])
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "long"}
    if annotation is float:
        return {"type": "double"}
    if annotation in (datetime, date):
        return DATE
    if annotation is str:
        return KEYWORD
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"properties": _model_properties(annotation, {})}
    return {"type": "object", "enabled": False}  # kept in _source, not searchable


def event_properties(caps: Capabilities) -> dict[str, Any]:
    """One document per (article, event type) it reports: what trend counts aggregate."""
    properties = _model_properties(EventMention, {"evidence": _text(caps)})
    properties.update({"id": KEYWORD, "article_id": KEYWORD, "source_id": KEYWORD, "lang": KEYWORD, SORT_DATE: DATE})
    return properties


def watch_properties(caps: Capabilities) -> dict[str, Any]:
    """A watch document; with the percolator, its query is stored parsed against the article
    fields, which this index therefore maps too."""
    properties: dict[str, Any] = {
        "name": KEYWORD,
        "watch": {"type": "object", "enabled": False},  # the SearchQuery, as JSON
    }
    if caps.percolator:
        properties["percolator_query"] = {"type": "percolator"}
        properties.update(article_properties(caps))
    return properties


def index_template(kind: str, pattern: str, caps: Capabilities, *, shards: int, replicas: int | None) -> dict[str, Any]:
    """The index template for one kind of index (articles, events, watches)."""
    properties = {
        "articles": article_properties,
        "events": event_properties,
        "watches": watch_properties,
    }[kind](caps)
    mappings: dict[str, Any] = {"dynamic": False, "properties": properties}
    fingerprint = hashlib.sha256(json.dumps([DOCUMENT_FORMAT, mappings], sort_keys=True).encode()).hexdigest()[:16]
    mappings["_meta"] = {"medradar": {"mapping": fingerprint, "capabilities": caps.model_dump()}}
    settings: dict[str, Any] = {
        "number_of_shards": shards,
        "refresh_interval": REFRESH_INTERVAL,
        "analysis": analysis_settings(caps),
    }
    if replicas is None:
        settings["auto_expand_replicas"] = "0-1"
    else:
        settings["number_of_replicas"] = replicas
    return {"index_patterns": [pattern], "priority": 200, "template": {"settings": settings, "mappings": mappings}}


def template_fingerprint(template: dict[str, Any]) -> str:
    return template["template"]["mappings"]["_meta"]["medradar"]["mapping"]


# -- queries -------------------------------------------------------------------------------


def _phrase(words: list[str]) -> str:
    # Terms are words split on spaces and stripped of double quotes (search.segment), so a
    # term is always exactly one quoted phrase; no other operator is enabled.
    return '"' + break_words(" ".join(words)) + '"'


def _simple(words: list[str], fields: list[str]) -> dict[str, Any]:
    return {
        "simple_query_string": {
            "query": _phrase(words),
            "fields": fields,
            "flags": "PHRASE",
            "default_operator": "and",
        }
    }


def _boosted(suffix: str = "") -> list[str]:
    names = CHINESE_FIELDS if suffix == ZH_SUFFIX else TEXT_FIELDS
    return [f"{name}{suffix}^{TEXT_FIELDS[name]:g}" for name in names]


def match_query(query: SearchQuery, caps: Capabilities, among: list[str] | None = None) -> dict[str, Any]:
    """Which articles match: every group of terms by one of its terms (in any text field), and
    every filter."""
    must: list[dict[str, Any]] = []
    should: list[dict[str, Any]] = []
    for group in query.term_groups():
        matches = [_term_match(term) for term in group]
        must.append(matches[0] if len(matches) == 1 else {"bool": {"should": matches, "minimum_should_match": 1}})
        if caps.cjk:  # ranking only: bigrams of Chinese headlines
            should.extend(_simple(term, [f"{name}{CJK_SUFFIX}" for name in CJK_FIELDS]) for term in group if _is_han(term))
    bool_query: dict[str, Any] = {"filter": filters(query, among)}
    if must:
        bool_query["must"] = must
    if should:
        bool_query["should"] = should
    return {"bool": bool_query}


def _is_han(term: Term) -> bool:
    return any(has_han(word) for word in term)


def _term_match(term: Term) -> dict[str, Any]:
    return _simple(tokens(term), _boosted(ZH_SUFFIX)) if _is_han(term) else _simple(term, _boosted())


def filters(query: SearchQuery, among: list[str] | None = None) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    if query.types:
        clauses.append({"terms": {LABELS: query.types}})
    if query.langs:
        clauses.append({"terms": {"lang": list(query.langs)}})
    if query.sources:
        clauses.append({"terms": {"source_id": query.sources}})
    if query.parties:
        clauses.append({"terms": {PARTY_KEYS: query.party_keys}})
    if query.statuses:
        clauses.append({"terms": {STATUSES: list(query.statuses)}})
    if query.min_usd is not None:
        clauses.append({"range": {MAX_USD: {"gte": query.min_usd}}})
    if query.since or query.until:
        bounds = {}
        if query.since:
            bounds["gte"] = utc_key(query.since)
        if query.until:
            bounds["lt"] = utc_key(query.until)
        clauses.append({"range": {SORT_DATE: bounds}})
    if among is not None:
        clauses.append({"ids": {"values": among}})
    return clauses


def has_text(query: SearchQuery) -> bool:
    return bool(query.term_groups())


def sort_clause(query: SearchQuery) -> list[Any]:
    by_date = [{SORT_DATE: {"order": "desc"}}, {"id": {"order": "asc"}}]
    if query.sort == "relevance" and has_text(query):
        return [{"_score": {"order": "desc"}}, *by_date]
    return by_date


def search_body(query: SearchQuery, caps: Capabilities) -> dict[str, Any]:
    """The search request: one page (and one hit more, to know whether another page follows),
    exact total, facets, histogram and a highlighted snippet."""
    body: dict[str, Any] = {
        "query": match_query(query, caps),
        "size": query.limit + 1,
        "sort": sort_clause(query),
        "track_total_hits": True,
        "_source": HIT_FIELDS,
        "highlight": highlight(query),
    }
    after = query.cursor_values()
    if after is not None:
        body["search_after"] = after
    aggs = {
        facet: {
            "terms": {
                "field": FACET_FIELDS[facet],
                "size": query.facet_size,
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }
        }
        for facet in query.facets
    }
    if query.histogram:
        aggs["histogram"] = {
            "date_histogram": {
                "field": SORT_DATE,
                "calendar_interval": query.histogram,
                "time_zone": "UTC",
                "min_doc_count": 1,
                "format": "yyyy-MM-dd",
            }
        }
    if aggs:
        body["aggs"] = aggs
    return body


def highlight(query: SearchQuery) -> dict[str, Any]:
    """A snippet of the body around the first match, from the original text (not the segmented
    field), whatever field the match was found in; and one from the English translation, used
    when only the translation matched."""
    field: dict[str, Any] = {
        "type": "unified",
        "fragment_size": 200,
        "number_of_fragments": 1,
        "no_match_size": 200,
    }
    translated: dict[str, Any] = {**field, "no_match_size": 0}
    terms = [term for group in query.term_groups() for term in group]
    if terms:
        field["highlight_query"] = {"bool": {"should": [_simple(term, ["text"]) for term in terms]}}
        translated["highlight_query"] = {"bool": {"should": [_simple(term, ["text_en"]) for term in terms]}}
    return {"pre_tags": [MARK_OPEN], "post_tags": [MARK_CLOSE], "fields": {"text": field, "text_en": translated}}


# -- answers -------------------------------------------------------------------------------


def search_result(query: SearchQuery, response: dict[str, Any]) -> SearchResult:
    raw_hits = response["hits"]["hits"]
    page = raw_hits[: query.limit]
    terms = query.words()
    next_after = query.next_cursor(page[-1]["sort"]) if len(raw_hits) > query.limit else None
    aggregations = response.get("aggregations", {})
    facets = {
        facet: [FacetCount(value=str(b["key"]), count=b["doc_count"]) for b in aggregations[facet]["buckets"]]
        for facet in query.facets
    }
    histogram = [
        HistogramBucket(start=date.fromisoformat(b["key_as_string"]), count=b["doc_count"])
        for b in aggregations.get("histogram", {}).get("buckets", [])
        if b["doc_count"]
    ]
    return SearchResult(
        total=response["hits"]["total"]["value"],
        hits=[_hit(raw, terms) for raw in page],
        terms=terms,
        facets=facets,
        histogram=histogram,
        next_after=next_after,
    )


def _hit(raw: dict[str, Any], words: list[str]) -> SearchHit:
    source = stored_fields(raw["_source"])
    found = raw.get("highlight", {})
    text, lang = source.get("text") or "", source["lang"]
    if ORIGINAL_TEXT in raw["_source"]:  # its Chinese is not in the highlighted field
        shown, spans = snippet(text, words, snippet_width(lang))
    else:
        shown, spans = fragment_snippet(text, (found.get("text") or [""])[0], lang)
    translated = (found.get("text_en") or [""])[0]
    if not spans and MARK_OPEN in translated:  # found by its translation: show where
        shown, spans = fragment_snippet(source.get("text_en") or "", translated, "en")
    english = source.get("text_en")
    english_snippet, english_spans = snippet(english, words) if english else (None, [])
    published = source.get("published_at")
    return SearchHit(
        id=source["id"],
        title=source["title"],
        title_en=source.get("title_en"),
        url=source["url"],
        source_id=source["source_id"],
        lang=source["lang"],
        published_at=datetime.fromisoformat(published) if published else None,
        labels=[event["type"] for event in source.get("events", [])],
        snippet=shown,
        highlights=spans,
        score=raw.get("_score"),
        snippet_en=english_snippet,
        highlights_en=english_spans,
    )


def fragment_snippet(text: str, fragment: str, lang: str) -> tuple[str, list[tuple[int, int]]]:
    """A highlighted fragment as plain text and the spans of its matches, trimmed to the
    snippet width around the first match, with … where the text goes on."""
    plain, spans = unmark(fragment)
    width = snippet_width(lang)
    cut = max(0, spans[0][0] - width // 4) if spans and len(plain) > width else 0
    window = plain[cut : cut + width]
    flat = " ".join(text.split())
    at = flat.find(plain) if plain else 0
    prefix = "…" if cut > 0 or at > 0 else ""
    suffix = "…" if at < 0 or at + cut + len(window) < len(flat) else ""
    shift = len(prefix) - cut
    inside = [
        (max(a, cut) + shift, min(b, cut + len(window)) + shift) for a, b in spans if b > cut and a < cut + len(window)
    ]
    return f"{prefix}{window}{suffix}", merge_spans(inside)


def unmark(fragment: str) -> tuple[str, list[tuple[int, int]]]:
    """Text between highlight markers → (text with whitespace collapsed, spans of the marked parts)."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    start: int | None = None
    pending_space = False
    for char in fragment:
        if char == WORD_BREAK:
            continue
        if char == MARK_CLOSE:
            if start is not None:
                spans.append((start, len(out)))
            start = None
            continue
        if char.isspace():
            pending_space = bool(out)
            continue
        if pending_space:
            out.append(" ")
            pending_space = False
        if char == MARK_OPEN:
            start = len(out)
        else:
            out.append(char)
    return "".join(out), merge_spans(spans)
