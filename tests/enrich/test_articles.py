from datetime import UTC, datetime

import pytest

from enrich.articles import build_article, merge_refetch
from enrich.dedupe import content_hash
from enrich.schema import Article, Rejection
from enrich.urls import article_id
from pipeline.config import ArticlesSettings
from pipeline.sample_site.server import SampleSite
from tests.enrich.pages import news_page

BASE = "http://127.0.0.1:8000"
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)
RULES = ArticlesSettings().rules()


def sample_article(path: str) -> Article | Rejection:
    page = SampleSite().render(path, BASE)
    return build_article(
        source_id="s", url=BASE + path, body=page.body, fetched_at=FETCHED, content_type=page.content_type, rules=RULES
    )


def build(body: bytes | str, url: str = "https://news.example.com/2025/06/12/story.html", **kwargs) -> Article | Rejection:
    if isinstance(body, str):
        body = body.encode("utf-8")
    return build_article(source_id="s", url=url, body=body, fetched_at=FETCHED, rules=RULES, **kwargs)


def test_english_article_fields():
    article = sample_article("/medtech-wire/news/stryker-to-acquire-inari-medical.html")
    assert isinstance(article, Article)
    assert article.title == "Stryker to acquire Inari Medical in $4.9 billion deal"
    assert article.lang == "en" and article.title_lang == "en" and article.script is None
    assert article.text.startswith("Stryker has agreed to acquire Inari Medical")
    assert "\n" in article.text  # paragraphs kept
    assert "Related stories" not in article.text and "All rights reserved" not in article.text
    assert article.published_at == datetime(2025, 1, 6, 13, 30, tzinfo=UTC)
    assert article.published_from == "metadata" and article.updated_at is None
    assert article.author == "MedTech Wire staff"
    assert article.site_name == "MedTech Wire"
    assert article.description.startswith("Stryker has agreed to acquire Inari Medical")
    assert article.declared_lang == "en"
    assert article.canonical_url == BASE + "/medtech-wire/news/stryker-to-acquire-inari-medical.html"
    assert article.id == article_id(article.canonical_url)
    assert article.content_hash == content_hash(article.text)


def test_gbk_page_declared_only_in_meta_is_decoded():
    article = sample_article("/yixie-guancha/news/night-clinic.html")
    assert isinstance(article, Article)
    assert article.title == "滨江市第一人民医院开设夜间门诊 优化线上复诊流程"
    assert "夜间门诊实行预约就诊" in article.text
    assert article.lang == "zh" and article.script == "Hans" and article.text_simplified is None
    # 08:30 Beijing time is 00:30 UTC
    assert article.published_at == datetime(2025, 5, 9, 0, 30, tzinfo=UTC)


def test_title_and_text_languages_are_told_apart():
    article = sample_article("/medtech-wire/news/top-hospitals-ai-models-huxiu.html")
    assert article.title == "半年发5个大模型,大三甲医院有多怕被淘汰?"
    assert (article.title_lang, article.lang) == ("zh", "en")


def test_traditional_chinese_is_kept_and_normalised_to_simplified_for_indexing():
    body = news_page(
        "香港醫院管理局與本地大學合作開發人工智能診斷系統",
        ["香港醫院管理局今日宣佈，與本地大學合作開發人工智能診斷系統，首階段將於三間公立醫院試行。"] * 4,
        lang="zh-HK",
    )
    article = build(body)
    assert article.script == "Hant" and article.lang == "zh"
    assert article.title.startswith("香港醫院管理局") and "醫院" in article.text  # the original
    assert article.title_simplified == "香港医院管理局与本地大学合作开发人工智能诊断系统"
    assert "医院" in article.text_simplified and "醫院" not in article.text_simplified
    assert article.index_title == article.title_simplified and article.index_text == article.text_simplified


def test_headline_is_not_repeated_as_the_first_line_of_text():
    article = sample_article("/yixie-guancha/news/stryker-completes-inari-acquisition.html")
    assert not article.text.startswith(article.title)


def test_a_dated_byline_in_the_sources_time_zone():
    body = news_page(
        "北京协和医院发布罕见病大模型",
        ["北京协和医院联合中国科学院自动化研究所发布罕见病大模型，覆盖上百种罕见病的辅助诊断。"] * 3,
        byline="来源：医械观察 2025年6月12日 15:41",
    )
    article = build(body, timezone="Asia/Shanghai")
    assert article.published_at == datetime(2025, 6, 12, 7, 41, tzinfo=UTC)
    assert article.published_from == "byline"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty_body"),
        (b"   \n ", "empty_body"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_html"),
        (b"<html>\x00\x01\x02binary</html>", "not_html"),
        (bytes(range(128, 256)) * 20, "undecodable"),
        (b"<html><body><h1>Hi</h1><p>Too short to be news.</p></body></html>", "too_short"),
        (b'<html><head><meta http-equiv="refresh" content="0;url=https://elsewhere.example/"></head><body>Moved</body></html>', "redirect"),
    ],
)
def test_pages_that_are_not_articles_are_rejected_with_a_reason(body, reason):
    result = build(body)
    assert isinstance(result, Rejection)
    assert result.reason == reason
    assert result.url == "https://news.example.com/2025/06/12/story.html"


def test_a_page_larger_than_the_limit_is_rejected_unread():
    rules = ArticlesSettings(max_page_bytes=1000).rules()
    body = news_page("A long story", ["word " * 100] * 5).encode()
    result = build_article(source_id="s", url="https://a.example/x", body=body, fetched_at=FETCHED, rules=rules)
    assert result.reason == "too_large" and "the limit is 1,000" in result.detail


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://news.example.com/", "home_page"),
        ("https://news.example.com/search?q=stryker", "search_page"),
        ("https://news.example.com/tag/acquisitions/", "tag_page"),
    ],
)
def test_home_search_and_tag_pages_are_rejected_by_url(url, reason):
    body = news_page("Stryker to acquire Inari", ["Stryker has agreed to acquire Inari Medical for $4.9 billion. " * 8] * 3)
    assert build(body, url).reason == reason
    assert isinstance(build(body, "https://news.example.com/2025/01/06/stryker-inari.html"), Article)


def test_the_sources_own_listing_pages_are_never_articles():
    page = SampleSite().render("/medtech-wire/news/", BASE)
    result = build(page.body, BASE + "/medtech-wire/news/", section_urls=[BASE + "/medtech-wire/", BASE + "/medtech-wire/news/"])
    assert result.reason == "home_page"


def test_a_listing_page_is_rejected_by_its_links():
    links = [f'<li><a href="/news/{i}.html">Medtech company number {i} announces a new device partnership</a> 5/{i}</li>' for i in range(40)]
    body = f"<html><head><title>Latest news</title></head><body><h1>Latest news</h1><ul>{''.join(links)}</ul></body></html>"
    assert build(body).reason == "listing_page"


def test_a_paywall_teaser_is_rejected_but_a_full_paywalled_article_is_kept():
    teaser = news_page(
        "Medtronic weighs a sale of its diabetes unit",
        ["Medtronic is exploring options for its diabetes business, people familiar with the matter said. " * 4],
        extra="<div class='paywall'>Subscribe to continue reading. Already a subscriber? Sign in</div>",
    )
    assert build(teaser).reason == "paywall"
    full = news_page(
        "Medtronic weighs a sale of its diabetes unit",
        [f"Paragraph {n}: Medtronic is exploring options for its diabetes business, people said. " * 4 for n in range(6)],
        head='<script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": false}</script>',
    )
    assert isinstance(build(full), Article)


def test_a_page_of_boilerplate_only_is_rejected():
    body = news_page(
        "Page not found",
        [
            "Sorry, this page could not be found. It may have been moved or is no longer available.",
            "Return to the home page | Contact us | About us",
            "Sign in to your account or register for free to follow topics.",
            "Subscribe to our newsletter for the latest medtech news.",
            "We use cookies to improve your experience. Read our privacy policy.",
            "© 2026 MedTech Wire. All rights reserved. Terms of use.",
        ],
    )
    assert build(body).reason == "boilerplate_only"


def test_refetch_keeps_the_first_fetch_time_and_the_newest_content():
    first = sample_article("/medtech-wire/news/stryker-to-acquire-inari-medical.html")
    later = first.model_copy(update={"fetched_at": datetime(2026, 2, 1, tzinfo=UTC), "text": "edited"})
    merged = merge_refetch(later, first)
    assert merged.fetched_at == FETCHED and merged.text == "edited"
