from datetime import UTC, datetime

import pytest

from enrich.articles import build_article, merge_refetch, parse_published
from enrich.schema import Article, Rejection
from enrich.urls import article_id
from pipeline.sample_site.server import SampleSite

BASE = "http://127.0.0.1:8000"
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)


def sample_article(path: str) -> Article | Rejection:
    page = SampleSite().render(path, BASE)
    return build_article(
        source_id="s", url=BASE + path, body=page.body, fetched_at=FETCHED, content_type=page.content_type
    )


def test_english_article_fields():
    article = sample_article("/medtech-wire/news/stryker-to-acquire-inari-medical.html")
    assert isinstance(article, Article)
    assert article.title == "Stryker to acquire Inari Medical in $4.9 billion deal"
    assert article.lang == "en"
    assert article.text.startswith("Stryker has agreed to acquire Inari Medical")
    assert "Related stories" not in article.text and "All rights reserved" not in article.text
    assert article.published_at == datetime(2025, 1, 6, 13, 30, tzinfo=UTC)
    assert article.author == "MedTech Wire staff"
    assert article.site_name == "MedTech Wire"
    assert article.id == article_id(article.canonical_url)


def test_gbk_page_declared_only_in_meta_is_decoded():
    article = sample_article("/yixie-guancha/news/night-clinic.html")
    assert isinstance(article, Article)
    assert article.title == "滨江市第一人民医院开设夜间门诊 优化线上复诊流程"
    assert "夜间门诊实行预约就诊" in article.text
    assert article.lang == "zh"
    # 08:30 Beijing time is 00:30 UTC
    assert article.published_at == datetime(2025, 5, 9, 0, 30, tzinfo=UTC)


def test_headline_is_not_repeated_as_the_first_line_of_text():
    article = sample_article("/yixie-guancha/news/stryker-completes-inari-acquisition.html")
    assert not article.text.startswith(article.title)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty_body"),
        (b"   \n ", "empty_body"),
        (b"<html><body><h1>Hi</h1><p>Too short to be news.</p></body></html>", "too_short"),
    ],
)
def test_pages_that_are_not_articles_are_rejected_with_a_reason(body, reason):
    result = build_article(source_id="s", url=f"{BASE}/x", body=body, fetched_at=FETCHED)
    assert isinstance(result, Rejection)
    assert result.reason == reason
    assert result.url == f"{BASE}/x"


def test_refetch_keeps_the_first_fetch_time_and_the_newest_content():
    first = sample_article("/medtech-wire/news/stryker-to-acquire-inari-medical.html")
    later = first.model_copy(update={"fetched_at": datetime(2026, 2, 1, tzinfo=UTC), "text": "edited"})
    merged = merge_refetch(later, first)
    assert merged.fetched_at == FETCHED and merged.text == "edited"


def test_published_dates_become_utc():
    assert parse_published("2025-06-12T15:41:00+0800") == datetime(2025, 6, 12, 7, 41, tzinfo=UTC)
    assert parse_published("2025-06-12") == datetime(2025, 6, 12, tzinfo=UTC)
    assert parse_published("not a date") is None
    assert parse_published(None) is None
