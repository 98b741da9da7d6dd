"""The shared query model: what a query's text asks every backend to match."""

from __future__ import annotations

from enrich.gazetteer import Gazetteer
from search.query import SearchQuery, with_names_in_both_languages

GAZETTEER = Gazetteer.load()


def test_a_company_named_in_the_text_is_searched_by_all_its_names():
    query = with_names_in_both_languages(SearchQuery(text="梅奥诊所 AI 合作"), GAZETTEER)
    assert query.text == "AI 合作"
    [names] = query.alternatives
    assert {"Mayo Clinic", "梅奥诊所"} <= set(names)
    english = with_names_in_both_languages(SearchQuery(text="Mayo Clinic partnership"), GAZETTEER)
    assert english.text == "partnership" and english.alternatives == query.alternatives
    # one group per company, however often it is named; every group must match
    both = with_names_in_both_languages(SearchQuery(text="Stryker 史赛克 Mayo Clinic"), GAZETTEER)
    assert both.text == "" and len(both.alternatives) == 2
    assert [len(group) for group in both.term_groups()] == [len(names) for names in both.alternatives]


def test_a_quoted_name_or_unknown_text_stays_as_written():
    quoted = SearchQuery(text='"Mayo Clinic" AI')
    assert with_names_in_both_languages(quoted, GAZETTEER) == quoted
    plain = SearchQuery(text="surgical robot")
    assert with_names_in_both_languages(plain, GAZETTEER) == plain


def test_alternatives_without_words_ask_for_nothing():
    assert SearchQuery(alternatives=[["!!!", "  "]]).term_groups() == []
    assert SearchQuery(text="AI", alternatives=[["Mayo Clinic", "梅奥诊所"]]).words() == ["AI", "Mayo", "Clinic", "梅奥", "诊所"]
