"""The index segmentation (rjieba) cuts real Chinese news exactly as the jieba package does."""

import logging
import re

import jieba

from search.segment import WORD_BREAK, break_words, index_tokens, query_terms, segment, unbreak_words
from tests.support import SHARED


def test_rjieba_cuts_real_news_as_jieba_does():
    """Every Han run of real news gets the words jieba gives it alone (segment cuts all the runs
    of a text in one call)."""
    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()

    def by_jieba(text: str) -> str:
        def words(run: re.Match[str]) -> str:
            return " " + " ".join(w for w in reference.cut_for_search(run.group(), HMM=True) if w.strip()) + " "

        return re.sub(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", words, text)

    texts = [path.read_text(errors="replace") for path in sorted((SHARED / "corpora" / "cwce-zh" / "cleaned").glob("*.txt"))]
    assert sum(len(re.findall(r"[\u4e00-\u9fff]+", text)) for text in texts[:100]) > 5000
    differing = [text[:40] for text in texts[:100] if segment(text) != by_jieba(text)]
    assert differing == []


def test_tokens_are_the_embedded_index_tokens():
    assert index_tokens("史赛克完成对Inari的收购, U.S. deal") == ["史", "赛克", "完成", "对", "inari", "的", "收购", "u", "s", "deal"]
    assert query_terms('北京协和医院 "Mayo Clinic"') == [["北京"], ["协和"], ["医院"], ["北京协和医院"], ["Mayo", "Clinic"]]


def test_words_are_cut_for_the_clusters_where_the_embedded_index_cuts_them():
    text = "Medtronic’s U.S. unit won a 1,000-bed order; 'quoted' at the end."
    broken = break_words(text)
    assert index_tokens(broken.replace(WORD_BREAK, " ")) == index_tokens(text)
    assert broken.count(WORD_BREAK) == 3  # after ’ in Medtronic’s, . in U.S, , in 1,000
    assert unbreak_words(broken) == text and break_words(broken) == broken
