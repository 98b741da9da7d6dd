from datetime import UTC, datetime

import pytest

from enrich.schema import EnrichedArticle, EventMention
from search.query import SearchQuery
from search.sqlite import SqliteBackend


def article(id_: str, title: str, text: str, lang: str = "en", labels=(), source="s1", day=1) -> EnrichedArticle:
    return EnrichedArticle(
        id=id_, source_id=source, url=f"http://127.0.0.1/{id_}", canonical_url=f"http://127.0.0.1/{id_}",
        title=title, text=text, lang=lang,
        published_at=datetime(2025, 3, day, tzinfo=UTC), fetched_at=datetime(2025, 3, 20, tzinfo=UTC),
        events=[EventMention(type=label, score=2.0, evidence=[title], layers=["rules"]) for label in labels],
    )


CORPUS = [
    article("a1", "梅奥诊所宣布与多家企业达成战略合作伙伴关系", "双方将在人工智能影像领域开展合作。", "zh", ["partnership"], "cn", 10),
    article("a2", "史赛克完成对Inari的收购", "此次并购交易总价值约49亿美元。", "zh", ["merger_acquisition"], "cn", 12),
    article("a3", "Stryker to acquire Inari Medical", "Stryker agreed to acquire Inari for $4.9 billion.", "en", ["merger_acquisition"], "us", 5),
    article("a4", "Mayo Clinic partners with AI startups", "Mayo Clinic signed partnerships with three companies.", "en", ["partnership", "ai"], "us", 20),
    article("a5", "Hospital opens a night clinic", "The clinic opens on weekdays from 6pm.", "en", [], "us", 25),
]


@pytest.fixture
def index(tmp_path):
    with SqliteBackend(tmp_path / "index.sqlite") as backend:
        backend.upsert(CORPUS)
        yield backend


def ids(index, **query) -> list[str]:
    return sorted(hit.id for hit in index.search(SearchQuery(**query)).hits)


def test_two_character_chinese_queries_match_inside_longer_words(index):
    assert ids(index, text="合作") == ["a1"]  # 战略合作伙伴关系 and 开展合作
    assert ids(index, text="并购") == ["a2"]
    assert ids(index, text="梅奥诊所") == ["a1"]
    assert ids(index, text="收购") == ["a2"]


def test_english_queries_are_stemmed_and_and_ed(index):
    assert ids(index, text="acquire") == ["a3"]
    assert ids(index, text="partnership") == ["a4"]  # partners / partnerships
    assert ids(index, text="Mayo Clinic") == ["a4"]
    assert ids(index, text='"Clinic Mayo"') == []  # a phrase keeps its order
    assert ids(index, text="Stryker Mayo") == []


def test_filters(index):
    assert ids(index, text="", types=["merger_acquisition"]) == ["a2", "a3"]
    assert ids(index, text="Inari", types=["merger_acquisition"], langs=["zh"]) == ["a2"]
    assert ids(index, text="", sources=["us"], since="2025-03-10") == ["a4", "a5"]
    assert ids(index, text="", until="2025-03-11") == ["a1", "a3"]
    assert ids(index, text="Mayo", types=["partnership"]) == ["a4"]


def test_headline_matches_rank_first(index):
    hits = index.search(SearchQuery(text="Stryker")).hits
    assert [h.id for h in hits] == ["a3"]
    assert hits[0].score is not None and hits[0].labels == ["merger_acquisition"]


@pytest.mark.parametrize("text", ['"', 'AND OR NOT', "NEAR(a b)", "*", "a:b", "col:title", "'", "^x", "()"])
def test_query_syntax_from_users_is_only_ever_data(index, text):
    index.search(SearchQuery(text=text))  # no sqlite3.OperationalError


def test_upsert_is_idempotent_and_replaces_changed_articles(index):
    assert index.upsert(CORPUS).model_dump(include={"inserted", "updated", "unchanged"}) == {
        "inserted": 0, "updated": 0, "unchanged": 5,
    }
    changed = CORPUS[4].model_copy(update={"title": "Hospital opens a night clinic and a merger office",
                                           "events": []})
    assert index.upsert([changed]).updated == 1
    assert index.count() == 5
    assert ids(index, text="merger office") == ["a5"]
    assert index.get("a5").title.endswith("merger office")


def test_event_filters_follow_updates(index):
    relabelled = CORPUS[2].model_copy(update={"events": []})
    index.upsert([relabelled])
    assert ids(index, text="", types=["merger_acquisition"]) == ["a2"]


def test_delete_sources(index):
    assert index.delete_sources(["cn"]) == 2
    assert index.count() == 3
    assert ids(index, text="合作") == []


def test_unknown_event_type_is_refused():
    with pytest.raises(ValueError, match="unknown event type"):
        SearchQuery(types=["alliance"])


def test_snippet_centres_on_the_match(index):
    long = article("a6", "Long", "Filler sentence. " * 40 + "The acquisition of Gamma closed.", labels=[])
    index.upsert([long])
    [hit] = index.search(SearchQuery(text="Gamma")).hits
    assert "Gamma" in hit.snippet and hit.snippet.startswith("…")


def test_an_english_query_finds_a_chinese_article_through_its_translation(index):
    translated = CORPUS[1].model_copy(
        update={
            "title_en": "Stryker completes acquisition of Inari",
            "text_en": "The merger is worth about 4.9 billion dollars.",
        }
    )
    index.upsert([translated])
    assert ids(index, text="merger", langs=["zh"]) == ["a2"]
    [hit] = index.search(SearchQuery(text="merger")).hits
    assert hit.title == "史赛克完成对Inari的收购" and hit.title_en == "Stryker completes acquisition of Inari"
    assert "merger" in hit.snippet  # shown where it matched: in the translation
    assert ids(index, text="并购") == ["a2"]  # the original is searchable as before
    [hit] = index.search(SearchQuery(text="并购")).hits
    assert "并购" in hit.snippet


def test_an_index_from_before_the_english_columns_is_upgraded_in_place(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    with SqliteBackend(path) as backend:
        backend.upsert(CORPUS)
    db = sqlite3.connect(path)
    with db:  # the text table as the first release wrote it
        db.execute("DROP TABLE articles_fts")
        db.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        db.execute("INSERT INTO articles_fts (rowid, title, body) SELECT rowid, 'x', 'x' FROM articles")
    db.close()
    with SqliteBackend(path) as backend:
        assert backend.count() == 5
        assert sorted(h.id for h in backend.search(SearchQuery(text="合作")).hits) == ["a1"]
        assert sorted(h.id for h in backend.search(SearchQuery(text="Stryker")).hits) == ["a3"]
