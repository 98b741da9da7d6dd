"""The cluster DSL without an engine: mappings follow the schema, user text stays data,
highlighted fragments become plain snippets with spans, documents give back their articles."""

import json
from datetime import datetime

from pydantic import BaseModel

from enrich.schema import EnrichedArticle
from search.documents import ORIGINAL_TEXT, article_from_document, index_document
from search.dsl import MARK_CLOSE, MARK_OPEN, Capabilities, article_properties, fragment_snippet, mapping_for, search_body
from search.query import SearchQuery
from search.segment import has_han
from tests.search.corpus import BY_ID


def test_every_field_of_the_article_schema_is_mapped():
    properties = article_properties(Capabilities(cjk=True))
    assert set(EnrichedArticle.model_fields) <= set(properties)
    assert properties["title_cjk"]["analyzer"] == "cjk" and properties["text_zh"]["analyzer"] == "whitespace"
    assert "text_cjk" not in properties and "title_cjk" not in article_properties(Capabilities(cjk=False))


def test_a_new_schema_field_gets_a_mapping_from_its_type():
    class Money(BaseModel):
        value: float
        currency: str

    assert mapping_for(str | None)["type"] == "keyword"
    assert mapping_for(list[str])["type"] == "keyword"
    assert mapping_for(datetime | None) == {"type": "date"}
    assert mapping_for(bool) == {"type": "boolean"} and mapping_for(int) == {"type": "long"}
    assert mapping_for(Money | None)["properties"]["value"] == {"type": "double"}
    assert mapping_for(dict[str, float]) == {"type": "object", "enabled": False}


def test_user_text_reaches_the_engine_only_as_quoted_phrases():
    body = search_body(SearchQuery(text='acquire "Mayo Clinic" 合作 a:b OR (x) *'), Capabilities(cjk=True))
    text = json.dumps(body, ensure_ascii=False)
    assert "query_string" not in text.replace("simple_query_string", "")
    queries = [clause["simple_query_string"] for clause in body["query"]["bool"]["must"]]
    assert [q["query"] for q in queries] == ['"acquire"', '"Mayo Clinic"', '"合作"', '"a:\u200bb"', '"OR"', '"(x)"']
    assert all(q["flags"] == "PHRASE" for q in queries)
    assert queries[2]["fields"] == ["title_zh^5", "text_zh^1"]  # Chinese: the jieba words
    assert body["query"]["bool"]["should"][0]["simple_query_string"]["fields"] == ["title_cjk"]


def test_a_highlighted_fragment_becomes_a_plain_snippet_with_spans():
    text = "Intro. " * 80 + "Stryker agreed to acquire Inari for $4.9 billion. More follows."
    fragment = f"Stryker agreed to {MARK_OPEN}acquire{MARK_CLOSE} {MARK_OPEN}Inari{MARK_CLOSE} for $4.9 billion."
    snippet, spans = fragment_snippet(text, fragment, "en")
    assert snippet == "…Stryker agreed to acquire Inari for $4.9 billion.…"
    assert [snippet[a:b] for a, b in spans] == ["acquire", "Inari"]
    chinese = f"双方将开展{MARK_OPEN}合{MARK_CLOSE}{MARK_OPEN}作{MARK_CLOSE}。"
    snippet, spans = fragment_snippet("双方将开展合作。", chinese, "zh")
    assert snippet == "双方将开展合作。" and [snippet[a:b] for a, b in spans] == ["合作"]


def test_a_cluster_document_gives_back_the_article_it_was_made_from():
    for article in (BY_ID["c14"], BY_ID["c15"], BY_ID["c01"]):
        document = json.loads(json.dumps(index_document(article, cjk=True)))
        assert article_from_document(document) == article
    chinese = index_document(BY_ID["c15"])
    assert chinese[ORIGINAL_TEXT] == BY_ID["c15"].text and not has_han(chinese["text"])
    assert "Intuitive" in chinese["text"] and ORIGINAL_TEXT not in index_document(BY_ID["c14"])
