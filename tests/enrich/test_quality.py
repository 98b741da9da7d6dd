"""The quality gates on real pages: the corpora's non-article pages are rejected, their
medical and health articles are not (the whole corpora: bench/results/extraction.md)."""

import json
from datetime import UTC, datetime

import pytest

from bench.corpora import load_all
from enrich.articles import build_article
from enrich.quality import page_kind_from_url
from enrich.schema import Article, Rejection
from pipeline.config import ArticlesSettings
from tests.support import SHARED

RULES = ArticlesSettings().rules()
PAGES = {(page.corpus, page.id): page for page in load_all()}
# Readability's "not readerable" MathJax demo and Firefox welcome page, and a hub page of
# the AP site, are not caught: they read like short articles. Everything else is.
KNOWN_MISSES = {("readability", "mathjax"), ("readability", "mozilla-2"), ("newspaper4k", "ap_meta_refresh")}
NOT_ARTICLES = [key for key, page in PAGES.items() if not page.is_article and not page.extra.get("synthetic")]


def run(page) -> Article | Rejection:
    return build_article(
        source_id=page.corpus,
        url=page.url or f"https://corpus.invalid/{page.corpus}/{page.id}",
        body=page.body,
        fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        rules=RULES,
    )


@pytest.mark.parametrize("key", NOT_ARTICLES, ids=["/".join(key) for key in NOT_ARTICLES])
def test_real_list_home_and_redirect_pages_are_rejected(key):
    result = run(PAGES[key])
    if key in KNOWN_MISSES:
        assert isinstance(result, Article)  # when this starts failing, a gate got better
    else:
        assert isinstance(result, Rejection)
        assert result.reason in {"listing_page", "home_page", "no_main_text"}


def test_real_health_and_medtech_articles_pass_every_gate():
    subset = json.loads((SHARED / "corpora" / "health-subset.json").read_text(encoding="utf-8"))
    by_input = {(page.corpus, str(page.path.relative_to(SHARED / "corpora" / page.corpus))): page for page in PAGES.values()}
    pages = [by_input[(item["corpus"], item["input"].split("/", 1)[1])] for item in subset]
    rejected = {page.url: result.reason for page in pages if isinstance(result := run(page), Rejection)}
    assert len(pages) == 34
    assert rejected == {}


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://www.medtechdive.com/", "home_page"),
        ("https://36kr.com/index.html", "home_page"),
        ("https://www.huxiu.com/search?keyword=医疗", "search_page"),
        ("https://search.sina.com.cn/?q=协和", "search_page"),
        ("https://www.massdevice.com/tag/acquisitions/", "tag_page"),
        ("https://www.massdevice.com/category/news/page/3/", "tag_page"),
        ("https://www.example.cn/news/list_2.html", "tag_page"),
        ("https://wir-empfehlen.info/?p=3289", None),  # WordPress serves articles at the root
        ("https://www.israel-nachrichten.org/archive/63076", None),  # an id, not a tag
        ("https://readhub.cn/topic/7PM49H7yjs5", None),
        ("https://www.lhpat-tm.com/blog/decision-info/index-2726.html", None),
        ("https://www.medtechdive.com/news/stryker-inari-acquisition/737123/", None),
    ],
)
def test_page_kinds_by_url(url, kind):
    assert page_kind_from_url(url) == kind
