from enrich.urls import article_id, canonical_url


def test_tracking_parameters_and_fragments_are_dropped():
    assert canonical_url("HTTPS://News.Example.com/a?utm_source=x&id=3#top") == "https://news.example.com/a?id=3"


def test_article_id_is_stable_across_url_variants():
    assert article_id("https://example.com/a?utm_campaign=z") == article_id("https://EXAMPLE.com/a")
    assert article_id("https://example.com/a") != article_id("https://example.com/b")
    assert len(article_id("https://example.com/a")) == 20


def test_pages_told_apart_by_their_query_are_different_articles():
    # Chinese CMSs address articles as show.php?newsid=N: each is its own article.
    assert article_id("http://news.example.cn/show.php?newsid=1") != article_id("http://news.example.cn/show.php?newsid=2")
