"""Traditional Chinese articles are indexed in Simplified (their original kept), so one
Simplified query finds both scripts."""

from datetime import UTC, datetime

from enrich.language import to_simplified
from enrich.schema import EnrichedArticle
from search.query import SearchQuery
from search.sqlite import SqliteBackend


def test_a_traditional_article_is_found_by_a_simplified_query_and_shown_as_published(tmp_path):
    title, text = "香港醫院管理局與大學合作開發診斷系統", "醫院管理局今日宣佈與本地大學合作，開發人工智能診斷系統。"
    article = EnrichedArticle(
        id="hk1", source_id="hk", url="https://hk.example/1", canonical_url="https://hk.example/1",
        title=title, text=text, lang="zh", script="Hant",
        title_simplified=to_simplified(title), text_simplified=to_simplified(text),
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    with SqliteBackend(tmp_path / "index.sqlite") as index:
        index.upsert([article])
        hits = index.search(SearchQuery(text="医院 诊断")).hits
        assert [hit.id for hit in hits] == ["hk1"]
        assert hits[0].title == title  # the original, as published
        assert index.get("hk1").title == title
