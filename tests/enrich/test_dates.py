from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from enrich.dates import from_metadata, page_dates, parse_printed_date
from enrich.extract import parse_html
from tests.enrich.pages import news_page

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Fetched on 13 June 2025 at 09:00 Beijing time.
FETCHED = datetime(2025, 6, 13, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("printed", "expected_utc"),
    [
        ("2025-06-12 15:41", datetime(2025, 6, 12, 7, 41)),
        ("2025/6/12 15:41:07", datetime(2025, 6, 12, 7, 41, 7)),
        ("2025年6月12日", datetime(2025, 6, 11, 16, 0)),
        ("2025年06月12日 15:41", datetime(2025, 6, 12, 7, 41)),
        ("6月12日 15:41", datetime(2025, 6, 12, 7, 41)),
        ("昨天 15:41", datetime(2025, 6, 12, 7, 41)),
        ("3小时前", datetime(2025, 6, 12, 22, 0)),
        ("30分钟前", datetime(2025, 6, 13, 0, 30)),
        ("2天前", datetime(2025, 6, 11, 1, 0)),
        ("June 12, 2025", datetime(2025, 6, 11, 16, 0)),
        ("2 hours ago", datetime(2025, 6, 12, 23, 0)),
    ],
)
def test_dates_as_chinese_outlets_print_them_become_utc(printed, expected_utc):
    assert parse_printed_date(printed, SHANGHAI, FETCHED) == expected_utc.replace(tzinfo=UTC)


def test_a_day_without_a_year_is_the_latest_one_not_after_the_fetch():
    # 20 December, seen on 13 June 2025: last December.
    assert parse_printed_date("12月20日 08:00", SHANGHAI, FETCHED) == datetime(2024, 12, 20, 0, 0, tzinfo=UTC)


def test_a_date_after_the_fetch_is_not_a_publication_date():
    assert parse_printed_date("2025-07-01 10:00", SHANGHAI, FETCHED) is None


def test_the_same_printed_time_in_another_time_zone():
    new_york = ZoneInfo("America/New_York")
    assert parse_printed_date("2025-06-12 15:41", new_york, FETCHED) == datetime(2025, 6, 12, 19, 41, tzinfo=UTC)


def test_metadata_dates_keep_their_offset_and_take_the_sources_zone_otherwise():
    assert from_metadata("2025-06-12T15:41:00+0800", SHANGHAI) == datetime(2025, 6, 12, 7, 41, tzinfo=UTC)
    assert from_metadata("2025-06-12T15:41:00Z", SHANGHAI) == datetime(2025, 6, 12, 15, 41, tzinfo=UTC)
    assert from_metadata("2025-06-12T15:41:00", SHANGHAI) == datetime(2025, 6, 12, 7, 41, tzinfo=UTC)
    assert from_metadata("2025-06-12", ZoneInfo("UTC")) == datetime(2025, 6, 12, tzinfo=UTC)
    assert from_metadata("not a date", SHANGHAI) is None
    assert from_metadata(None, SHANGHAI) is None


def dates_of(html: str, metadata: str | None = None, modified: str | None = None, title: str = "协和发布罕见病大模型"):
    return page_dates(
        parse_html(html), title=title, metadata_date=metadata, modified_date=modified,
        timezone="Asia/Shanghai", fetched_at=FETCHED,
    )


def test_the_byline_under_the_headline_gives_the_time_the_metadata_lacks():
    html = news_page("协和发布罕见病大模型", ["正文。" * 50], byline="虎嗅APP · 2025-06-12 15:41", lang="zh")
    # htmldate found only the day (from the URL or the text): the byline has the minute.
    dates = dates_of(html, metadata="2025-06-12T00:00:00")
    assert dates.published_at == datetime(2025, 6, 12, 7, 41, tzinfo=UTC)
    assert dates.published_from == "byline"


def test_a_relative_byline_counts_back_from_the_fetch():
    html = news_page("协和发布罕见病大模型", ["正文。" * 50], byline="医械观察 3小时前", lang="zh")
    assert dates_of(html).published_at == datetime(2025, 6, 12, 22, 0, tzinfo=UTC)


def test_metadata_with_a_time_of_day_wins_over_the_byline():
    html = news_page("协和发布罕见病大模型", ["正文。" * 50], byline="2025-06-01 08:00", lang="zh")
    dates = dates_of(html, metadata="2025-06-12T15:41:00+0800")
    assert dates.published_at == datetime(2025, 6, 12, 7, 41, tzinfo=UTC)
    assert dates.published_from == "metadata"


def test_relative_words_inside_a_sentence_are_not_a_byline():
    html = news_page("协和发布罕见病大模型", ["作为今天华人中数一数二的歌手，她昨天发布了新专辑。" * 5], lang="zh")
    assert dates_of(html).published_at is None


def test_only_a_later_declared_modification_is_an_update():
    html = news_page("t", ["x"])
    later = dates_of(html, metadata="2025-06-12T15:41:00+0800", modified="2025-06-13T08:00:00+08:00")
    assert later.updated_at == datetime(2025, 6, 13, 0, 0, tzinfo=UTC)
    same = dates_of(html, metadata="2025-06-12T15:41:00+0800", modified="2025-06-12T15:41:00+08:00")
    assert same.updated_at is None


def test_the_declared_modified_date_is_read_from_meta_tags_and_json_ld():
    from enrich.dates import declared_modified_date

    meta = '<meta property="article:modified_time" content="2025-06-13T08:00:00+08:00">'
    assert declared_modified_date(parse_html(news_page("t", ["x"], head=meta))) == "2025-06-13T08:00:00+08:00"
    json_ld = '<script type="application/ld+json">{"@type": "NewsArticle", "dateModified": "2025-06-14"}</script>'
    assert declared_modified_date(parse_html(news_page("t", ["x"], head=json_ld))) == "2025-06-14"
    assert declared_modified_date(parse_html(news_page("t", ["x"]))) is None
