"""One contract for every backend: the embedded index, Elasticsearch and OpenSearch give the same
documents for the same text, filters, facets, histograms, pages and watches (ranking may
differ). Expectations are written out, or computed from the corpus in plain Python."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from search.query import SearchQuery
from search.watches import Watch, WatchMatch, Webhook
from tests.engines import BACKENDS, open_test_backend
from tests.search.corpus import BY_ID, CORPUS, facet_counts, histogram, select


@pytest.fixture(scope="module", params=BACKENDS)
def index(request, tmp_path_factory):
    """The corpus indexed once per backend (read-only tests)."""
    backend = open_test_backend(request, request.param, tmp_path_factory.mktemp(request.param))
    stats = backend.upsert(CORPUS)
    assert (stats.inserted, stats.failed, stats.spooled) == (len(CORPUS), 0, 0)
    return backend


@pytest.fixture(params=BACKENDS)
def empty(request, tmp_path):
    """A fresh backend per test (tests that write)."""
    return open_test_backend(request, request.param, tmp_path)


def ids(index, **query) -> list[str]:
    return sorted(hit.id for hit in index.search(SearchQuery(limit=100, **query)).hits)


TEXT_CASES = [
    # Chinese: jieba words, inside longer words too, as the embedded index has always matched
    ({"text": "合作"}, ["c01", "c10", "c13"]),
    ({"text": "并购"}, ["c02"]),
    ({"text": "收购"}, ["c02", "c12"]),
    ({"text": "梅奥诊所"}, ["c01"]),
    ({"text": "人工智能"}, ["c01", "c07"]),
    ({"text": "大模型"}, ["c06"]),
    ({"text": '"对Inari的收购"'}, ["c02"]),
    # Traditional in the query finds the Simplified text (indexes hold Simplified)
    ({"text": "梅奧診所"}, ["c01"]),
    ({"text": "併購"}, ["c02"]),
    # English: stemmed, every term required, phrases keep their order
    ({"text": "acquire"}, ["c03"]),
    ({"text": "partnership"}, ["c04", "c11"]),
    ({"text": "hospitals"}, ["c05", "c09"]),
    ({"text": "Mayo Clinic"}, ["c04"]),
    ({"text": '"Clinic Mayo"'}, []),
    ({"text": "Stryker Mayo"}, []),
    ({"text": "AI"}, ["c04", "c08"]),
    ({"text": "Inari"}, ["c02", "c03"]),
    # a word inside a possessive, an abbreviation or a number is a word of its own
    ({"text": "Medtronic"}, ["c14"]),
    ({"text": "Medtronic’s"}, ["c14"]),
    ({"text": "\"Medtronic's shares\""}, ["c14"]),
    ({"text": "U.S"}, ["c14"]),
    ({"text": "1,000"}, ["c14"]),
    ({"text": "000"}, ["c14"]),
    # alternatives: a company's names in both languages, any one of them
    ({"alternatives": [["梅奥诊所", "Mayo Clinic"]]}, ["c01", "c04"]),
    ({"alternatives": [["梅奧診所", "Nobody Inc"]]}, ["c01"]),
    ({"text": "收购", "alternatives": [["Stryker", "史赛克"]]}, ["c02"]),
    ({"alternatives": [["Stryker", "史赛克"], ["Inari", "因纳瑞"]]}, ["c02", "c03"]),
    ({"alternatives": [["Clinic Mayo", "奥梅诊所"]]}, []),
    # text and filters together
    ({"text": "Inari", "langs": ["zh"]}, ["c02"]),
    ({"text": "Inari", "types": ["merger_acquisition"], "sources": ["us-wire"]}, ["c03"]),
    ({"text": "收购", "since": "2025-03-12", "until": "2025-03-13"}, ["c02", "c12"]),
    ({"text": "partnership", "types": ["partnership"]}, ["c04"]),
]


@pytest.mark.parametrize(("query", "expected"), TEXT_CASES, ids=[str(q) for q, _ in TEXT_CASES])
def test_text_matches_the_same_articles(index, query, expected):
    result = index.search(SearchQuery(limit=100, **query))
    assert sorted(hit.id for hit in result.hits) == expected
    assert result.total == len(expected)


FILTERS = [
    {"types": ["partnership"]},
    {"types": ["ai", "merger_acquisition"], "langs": ["zh"]},
    {"sources": ["cn-news", "eu-med"]},
    {"langs": ["en"], "since": datetime(2025, 3, 1, tzinfo=UTC)},
    {"until": datetime(2025, 2, 1, tzinfo=UTC)},
    {"since": datetime(2025, 3, 22, 0, tzinfo=UTC), "until": datetime(2025, 4, 3, tzinfo=UTC)},
    {},
]


@pytest.mark.parametrize("filters", FILTERS, ids=[str(f) for f in FILTERS])
def test_filters_facets_and_histograms_match_the_oracle(index, filters):
    expected = select(**filters)
    result = index.search(
        SearchQuery(limit=100, facets=["types", "langs", "sources"], facet_size=3, histogram="week", **filters)
    )
    assert [hit.id for hit in result.hits] == expected  # no text: newest first, ties by id
    assert result.total == len(expected)
    for facet in ("types", "langs", "sources"):
        assert [(f.value, f.count) for f in result.facets[facet]] == facet_counts(expected, facet, size=3)
    assert [(b.start, b.count) for b in result.histogram] == histogram(expected, "week")


DEAL_CASES = [
    # a party by its English name, its Chinese name or its id, in any case
    ({"parties": ["Stryker"]}, ["c02", "c03"]),
    ({"parties": ["史赛克"]}, ["c02", "c03"]),
    ({"parties": ["  mayo   CLINIC "]}, ["c01", "c04"]),
    ({"parties": ["medtronic", "inari-medical"]}, ["c02", "c03", "c12"]),
    ({"parties": ["Stryk"]}, []),
    ({"statuses": ["planned"]}, ["c12"]),
    ({"statuses": ["completed"], "langs": ["en"]}, ["c04"]),
    ({"min_usd": 1e9}, ["c02", "c03"]),
    ({"min_usd": 1e8}, ["c02", "c03", "c07"]),
    ({"min_usd": 0}, ["c02", "c03", "c07"]),
    ({"parties": ["Mayo Clinic"], "text": "人工智能"}, ["c01"]),
    ({"parties": ["Stryker"], "statuses": ["completed"], "min_usd": 4.9e9}, ["c02"]),
]


@pytest.mark.parametrize(("query", "expected"), DEAL_CASES, ids=[str(q) for q, _ in DEAL_CASES])
def test_party_status_and_amount_filters(index, query, expected):
    result = index.search(SearchQuery(limit=100, facets=["types"], **query))
    assert sorted(hit.id for hit in result.hits) == expected and result.total == len(expected)
    assert sum(f.count for f in result.facets["types"]) == sum(len(BY_ID[i].labels) for i in expected)


@pytest.mark.parametrize("interval", ["day", "month", "year"])
def test_histogram_intervals(index, interval):
    result = index.search(SearchQuery(text="", histogram=interval, limit=1))
    assert [(b.start, b.count) for b in result.histogram] == histogram(select(), interval)


def test_date_paging_walks_every_article_once_in_order(index):
    query = SearchQuery(sort="date", limit=7)
    seen, pages = [], 0
    while True:
        result = index.search(query)
        seen.extend(hit.id for hit in result.hits)
        pages += 1
        if result.next_after is None:
            break
        query = query.model_copy(update={"after": result.next_after})
    assert seen == select()
    assert pages == -(-len(CORPUS) // 7)


def test_relevance_paging_returns_every_match_once(index):
    query = SearchQuery(text="医疗", limit=4)
    first = index.search(query)
    seen = [hit.id for hit in first.hits]
    after = first.next_after
    while after:
        page = index.search(query.model_copy(update={"after": after}))
        seen.extend(hit.id for hit in page.hits)
        after = page.next_after
    expected = sorted(a.id for a in CORPUS if "医疗" in a.title + a.text)
    assert len(seen) == len(set(seen)) == first.total
    assert sorted(seen) == expected


def test_a_cursor_only_continues_its_own_query(index):
    first = index.search(SearchQuery(text="", limit=2))
    with pytest.raises(ValueError, match="another query"):
        index.search(SearchQuery(text="", types=["ai"], limit=2, after=first.next_after))
    with pytest.raises(ValueError, match="paging cursor"):
        SearchQuery(after="not a cursor")


def test_headline_matches_rank_first(index):
    hits = index.search(SearchQuery(text="Stryker")).hits
    assert [h.id for h in hits] == ["c03"]
    assert hits[0].score is not None and hits[0].labels == ["merger_acquisition"]
    clinic = index.search(SearchQuery(text="clinic")).hits
    assert {h.id for h in clinic} == {"c04", "c05"}
    assert clinic[0].id in ("c04", "c05")


def test_snippets_are_plain_text_with_the_matches_marked(index):
    [hit] = index.search(SearchQuery(text="Inari", langs=["en"])).hits
    assert hit.snippet == "Stryker agreed to acquire Inari for $4.9 billion."
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["Inari"]
    [chinese] = index.search(SearchQuery(text="合作", sources=["cn-news"], until="2025-01-01")).hits
    assert chinese.id == "c10" and chinese.highlights == []  # the match is in the headline only
    [c01] = index.search(SearchQuery(text="人工智能", sources=["cn-news"])).hits
    assert "人工智能" in [c01.snippet[a:b] for a, b in c01.highlights]
    [c14] = index.search(SearchQuery(text="shares")).hits
    assert c14.snippet == BY_ID["c14"].text and c14.title == BY_ID["c14"].title
    assert [c14.snippet[a:b] for a, b in c14.highlights] == ["shares"]
    [c15] = index.search(SearchQuery(text="Intuitive", langs=["zh"])).hits
    assert c15.snippet == BY_ID["c15"].text
    assert [c15.snippet[a:b] for a, b in c15.highlights] == ["Intuitive"]


def test_latin_words_in_a_chinese_body_are_words_not_a_phrase_across_the_chinese(index):
    def found(text: str) -> list[str]:
        return [hit.id for hit in index.search(SearchQuery(text=text, langs=["zh"])).hits]

    assert found("Hugo") == found("fda") == found('"Intuitive Surgical"') == found("Hugo 获批") == ["c15"]
    assert found('"Hugo FDA"') == found('"FDA Intuitive"') == []


@pytest.mark.parametrize(
    "text", ["AND OR NOT", "NEAR(a b)", "a:b", "title:x", "^x", "a | b", "-x +y", "x~2", 'a" OR "b', "x\\y"]
)
def test_query_syntax_from_users_is_only_ever_data(index, text):
    assert index.search(SearchQuery(text=text)).total == 0


@pytest.mark.parametrize("text", ['"', "*", "'", "()", "\\", "{}[]", "  "])
def test_text_without_words_is_no_text_at_all(index, text):
    assert index.search(SearchQuery(text=text)).total == len(CORPUS)


def test_get_returns_the_article_as_indexed(index):
    for doc_id in ("c01", "c11", "c14", "g07"):
        assert index.get(doc_id) == BY_ID[doc_id]
    assert index.get("missing") is None
    assert index.count() == len(CORPUS)


# -- writing ---------------------------------------------------------------------------------


def test_upsert_is_idempotent_and_follows_changes(empty):
    assert empty.upsert(CORPUS[:10]).inserted == 10
    again = empty.upsert(CORPUS[:10])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 10)
    changed = BY_ID["c03"].model_copy(update={"title": "Stryker closes its Inari deal", "events": []})
    assert empty.upsert([changed]).updated == 1
    assert empty.count() == 10
    assert ids(empty, text="closes deal") == ["c03"]
    assert ids(empty, text="", types=["merger_acquisition"]) == ["c02"]
    assert empty.get("c03").title == "Stryker closes its Inari deal"


def test_delete_sources(empty):
    empty.upsert(CORPUS)
    expected = len([a for a in CORPUS if a.source_id == "cn-news"])
    assert empty.delete_sources(["cn-news"]) == expected
    assert empty.count() == len(CORPUS) - expected
    assert ids(empty, text="合作") == ["c13"]


# -- watches ---------------------------------------------------------------------------------

WATCHES = [
    Watch(name="chinese deals", query=SearchQuery(types=["merger_acquisition"], langs=["zh"])),
    Watch(name="mayo", query=SearchQuery(text="Mayo Clinic")),
    Watch(name="合作", query=SearchQuery(text="合作")),
    Watch(name="ai in q1", query=SearchQuery(types=["ai"], since="2025-01-01", until="2025-04-01")),
    Watch(name="china tech", query=SearchQuery(sources=["cn-tech"])),
    Watch(name="inari phrase", query=SearchQuery(text='"对Inari的收购"')),
    Watch(name="never", query=SearchQuery(text="xylophone")),
    Watch(name="mayo either way", query=SearchQuery(alternatives=[["Mayo Clinic", "梅奥诊所"]])),
]
BATCH = ["c01", "c02", "c04", "c06", "c07", "c12", "c13", "g04", "g14"]
EXPECTED_MATCHES = [
    ("ai in q1", "c04"), ("ai in q1", "g04"), ("ai in q1", "g14"),
    ("china tech", "c06"), ("china tech", "c07"), ("china tech", "c13"),
    ("chinese deals", "c02"), ("chinese deals", "c12"),
    ("inari phrase", "c02"),
    ("mayo", "c04"),
    ("mayo either way", "c01"), ("mayo either way", "c04"),
    ("合作", "c01"), ("合作", "c13"),
]  # fmt: skip


@pytest.fixture(scope="module")
def watched(index):
    for watch in WATCHES:
        index.put_watch(watch)
    return index


def test_watches_match_the_same_articles(watched):
    matches = watched.match_watches(BATCH)
    assert [(m.watch, m.article_id) for m in matches] == sorted(EXPECTED_MATCHES)
    # the batch restriction is real: an article outside it never matches
    assert watched.match_watches(["c03", "g00"]) == []


def test_watches_are_stored_replaced_and_removed(empty):
    for watch in WATCHES[:3]:
        empty.put_watch(watch)
    empty.put_watch(Watch(name="mayo", query=SearchQuery(text="Stryker")))
    assert [w.name for w in empty.watches()] == ["chinese deals", "mayo", "合作"]
    assert next(w for w in empty.watches() if w.name == "mayo").query.text == "Stryker"
    empty.upsert(CORPUS)
    assert WatchMatch(watch="mayo", article_id="c03") in empty.match_watches(["c03", "c04"])
    assert empty.delete_watch("mayo") and not empty.delete_watch("mayo")
    assert [w.name for w in empty.watches()] == ["chinese deals", "合作"]


def test_watches_keep_their_channels_cadence_and_creation_time(empty):
    hook = Webhook(url="https://hooks.example/medradar", secret="0123456789abcdef")
    empty.put_watch(Watch(name="bd", query=SearchQuery(text="Mayo"), emails=["bd@example.org"], webhooks=[hook]))
    [first] = empty.watches()
    assert (first.emails, first.webhooks, first.cadence) == (["bd@example.org"], [hook], "instant")
    assert first.created_at is not None and first.created_at == first.updated_at
    empty.put_watch(first.model_copy(update={"cadence": "daily", "emails": []}))
    [second] = empty.watches()
    assert (second.cadence, second.emails, second.created_at) == ("daily", [], first.created_at)
    assert second.updated_at > first.updated_at
