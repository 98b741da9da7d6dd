"""Cutting a text into what a model translates at once, without losing a character.

A text is cut into lines, each line into sentences (``enrich.sentences``, quotations kept
whole). A sentence longer than the model's token limit is cut at clause punctuation (，、：
and commas that are not inside a number), and a clause still too long at the longest prefix
that fits, never inside a protected name. The translations are put back in the same order:
lines joined by line breaks, a line's segments by spaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from enrich.sentences import sentence_spans
from enrich.translation.entities import Name, mask

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CLAUSE_END = re.compile(r"[，、：﹐﹑]|[,:](?!\d)")


@dataclass(frozen=True)
class Segment:
    """A sentence, or part of one, translated in one piece; with the names protected in it."""

    text: str
    names: tuple[Name, ...] = ()

    @property
    def translatable(self) -> bool:
        """Only Chinese is sent to the model: a segment without a Han character stays as it is."""
        return bool(HAN.search(self.text))

    @cached_property
    def masked(self) -> str | None:
        return mask(self.text, self.names)

    @property
    def source(self) -> str:
        """What the model is given: the text with its names masked when they can be."""
        return self.masked if self.masked is not None else self.text


Fits = Callable[[Segment], bool]


def segment_lines(text: str, names: list[Name], fits: Fits) -> list[list[Segment]]:
    """``text`` as lines of segments; every segment fits, and together they are the whole text
    (only whitespace between sentences is left out)."""
    lines = []
    offset = 0
    for line in text.split("\n"):
        segments: list[Segment] = []
        for start, end in sentence_spans(line):
            inside = [n.shifted(offset + start) for n in names if offset + start <= n.start and n.end <= offset + end]
            segments.extend(split_to_fit(line[start:end], inside, fits))
        lines.append(segments)
        offset += len(line) + 1
    return lines


def split_to_fit(sentence: str, names: list[Name], fits: Fits) -> list[Segment]:
    """The sentence as one segment if it fits, else as consecutive segments that each fit:
    clauses packed together while they fit, a clause too long alone cut by tokens."""
    whole = _segment(sentence, names, 0, len(sentence))
    if fits(whole):
        return [whole]
    segments: list[Segment] = []
    start = end = 0  # the clauses packed so far: sentence[start:end]
    for clause_end in [*_clause_ends(sentence, names), len(sentence)]:
        if fits(_segment(sentence, names, start, clause_end)):
            end = clause_end
            continue
        if end > start:
            segments.append(_segment(sentence, names, start, end))
            start = end
        if fits(_segment(sentence, names, start, clause_end)):
            end = clause_end
        else:
            segments.extend(_split_by_tokens(sentence, names, start, clause_end, fits))
            start = end = clause_end
    if end > start:
        segments.append(_segment(sentence, names, start, end))
    return [segment for segment in segments if segment.text]


def _split_by_tokens(sentence: str, names: list[Name], start: int, end: int, fits: Fits) -> list[Segment]:
    """Consecutive longest prefixes that fit (found by bisection on the character count),
    preferring to cut at a space in the second half of the prefix, never inside a name."""
    segments = []
    while start < end:
        low, high = start + 1, end  # the longest fitting end lies in [low, high]
        while low < high:
            middle = (low + high + 1) // 2
            if fits(_segment(sentence, names, start, middle)):
                low = middle
            else:
                high = middle - 1
        cut = low
        if cut < end:
            space = sentence.rfind(" ", start + (cut - start) // 2, cut)
            cut = space + 1 if space > start else cut
            for name in names:
                if name.start < cut < name.end:
                    cut = name.start if name.start > start else name.end
        segments.append(_segment(sentence, names, start, cut))
        start = cut
    return segments


def _clause_ends(sentence: str, names: list[Name]) -> list[int]:
    return [
        match.end()
        for match in _CLAUSE_END.finditer(sentence)
        if not any(name.start < match.end() < name.end for name in names)
    ]


def _segment(sentence: str, names: list[Name], start: int, end: int) -> Segment:
    """sentence[start:end], whitespace trimmed, with the names wholly inside it."""
    part = sentence[start:end]
    lead = len(part) - len(part.lstrip())
    text = part.strip()
    begin = start + lead
    inside = tuple(n.shifted(begin) for n in names if begin <= n.start and n.end <= begin + len(text))
    return Segment(text, inside)
