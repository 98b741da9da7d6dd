"""Word segmentation for Chinese, shared by every index so they match the same words.

Han runs are cut with jieba in search mode (a long word also yields its dictionary
sub-words: 北京协和医院 gives 北京, 协和, 医院 and the whole), so a two-character query such
as 合作 or 并购 finds the word inside longer compounds. Other text is left to the index's
own tokenizer.

The cutting is done by rjieba, jieba's algorithm and dictionary in Rust: the same words as
the `jieba` package (tests/search/test_segment.py holds it to that on real news text), about
ten times faster, which is what lets a search cluster be fed at the engine's own pace.
"""

from __future__ import annotations

import re

import rjieba

from enrich.language import to_simplified

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_HAN_SPLIT = re.compile(f"({_HAN_RUN.pattern})")
_PHRASE = re.compile(r'"([^"]*)"')
# A token as SQLite's unicode61 tokenizer cuts one: a run of letters and digits.
_TOKEN = re.compile(r"[^\W_]+")
# Where the clusters' standard tokenizer (Unicode word boundaries, UAX #29) keeps one word
# but unicode61 cuts two: an apostrophe, full stop, colon, comma or underscore between letters
# or digits ("company’s", "U.S", "1,000"). A zero-width space after it makes every engine cut
# there, so "Medtronic" finds "Medtronic’s" on a cluster as on the embedded index. The core
# Elasticsearch node has no char filter that could do it in the engine.
_WORD_JOINER = re.compile(r"(['.:,;_\u00b7\u05f4\u2018\u2019\u2024\u2027\u2044\ufe10\ufe13\ufe14\ufe50\ufe52\ufe54\ufe55\uff07\uff0c\uff0e\uff1a\uff1b])(?<=[^\W_].)(?=[^\W_])")
WORD_BREAK = "\u200b"
# What stands for a run of Chinese in text given to an engine's English analyzer: a token of
# its own to the standard tokenizer (an emoji, 🀄), so that no phrase matches across the run,
# and one that no query can ask for (a query keeps only terms with a letter or digit).
HAN_STAND_IN = "\U0001f004"


def segment(text: str) -> str:
    """``text`` with every Han run replaced by its space-separated jieba words."""
    parts = _pieces(text)
    return "".join(part if isinstance(part, str) else f" {' '.join(part)} " for part in parts)


def _pieces(text: str) -> list[str | list[str]]:
    """``text`` as its other text and its Han runs, each run cut into its jieba words.

    All the runs go to jieba in one call, a line each (jieba cuts lines apart, so each run's
    words are those it would get alone): one call per run cost more than the cutting."""
    parts: list[str | list[str]] = _HAN_SPLIT.split(text)
    if len(parts) == 1:
        return parts
    runs = iter(" ".join(rjieba.cut_for_search("\n".join(parts[1::2]), True)).split("\n"))
    for at in range(1, len(parts), 2):
        parts[at] = next(runs).split()
    return parts


def has_han(text: str) -> bool:
    return _HAN_RUN.search(text) is not None


def tokens(words: list[str]) -> list[str]:
    """Lower-cased index tokens of already segmented words, cut as the embedded index cuts them.

    A cluster's segmented-Chinese field holds these, space-separated, under a whitespace
    analyzer: the same tokens, in the same positions, as the embedded FTS5 index."""
    return _TOKEN.findall(" ".join(words).lower())


def break_words(text: str) -> str:
    """``text`` cut where the embedded index cuts words, for a cluster's standard tokenizer."""
    return _WORD_JOINER.sub(_broken, text)


def _broken(match: re.Match[str]) -> str:
    return match.group() + WORD_BREAK


def unbreak_words(text: str) -> str:
    return text.replace(WORD_BREAK, "")


def without_han(text: str) -> str:
    """``text`` with each Han run replaced by one stand-in word: its other words, in order."""
    return _HAN_RUN.sub(f" {HAN_STAND_IN} ", text)


def index_tokens(text: str) -> list[str]:
    found: list[str] = []
    for part in _pieces(text):  # the Han words are tokens already: no need to search them again
        found.extend(_TOKEN.findall(part.lower()) if isinstance(part, str) else part)
    return found


def query_terms(text: str) -> list[list[str]]:
    """The user's query as a list of terms, each a list of words that must appear in order.

    Double-quoted parts are phrases; other words stand alone. Han runs outside quotes are
    segmented and each of their words becomes a term of its own. Traditional Chinese is
    folded to Simplified first, as every index holds Chinese text in Simplified.
    """
    if has_han(text):
        text = to_simplified(text)
    terms: list[list[str]] = []
    position = 0
    for match in _PHRASE.finditer(text):
        terms.extend(_loose_terms(text[position : match.start()]))
        phrase = phrase_words(match.group(1))
        if phrase:
            terms.append(phrase)
        position = match.end()
    terms.extend(_loose_terms(text[position:]))
    unique: list[list[str]] = []
    for term in terms:
        if term not in unique:
            unique.append(term)
    return unique


def phrase_words(text: str) -> list[str]:
    """The words of a phrase, in order (Chinese segmented, in Simplified); none if it has no
    letter or digit."""
    if has_han(text):
        text = to_simplified(text)
    words = segment(text.replace('"', " ")).split()
    return words if any(map(_has_word_char, words)) else []


def _loose_terms(text: str) -> list[list[str]]:
    return [[word] for word in segment(text.replace('"', " ")).split() if _has_word_char(word)]


def _has_word_char(word: str) -> bool:
    return any(ch.isalnum() for ch in word)
