"""Sentence splitting for English and Chinese news text.

A sentence ends at Chinese terminal punctuation (。！？；), at . ! ? followed by a space and
what looks like the start of a new sentence, and always at a line break. Closing quotes and
brackets after the punctuation stay with the sentence they close, and a quotation is kept
whole: 他说：“我们很高兴。这是重要的一步。”公司表示 is one sentence up to the closing ”.
Nothing is dropped: the sentences are the text's own characters, whitespace trimmed.
"""

from __future__ import annotations

import re

# Where a sentence may end (the end of the match); line breaks are handled apart.
_CANDIDATE = re.compile(
    r"[。！？；!?][”’」』\"')）]*"
    r"|(?<=[a-z0-9%)\]])[.](?=\s+[A-Z0-9\"“‘(\[\u4e00-\u9fff])"
    r"|[.][\"'”’)]+(?=\s)"
)
_OPENING = {"“": "”", "「": "」", "『": "』"}
_CLOSING = {close: open_ for open_, close in _OPENING.items()}


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, whitespace trimmed, in order."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        start = 0
        for end in _ends(line):
            spans.append((offset + start, offset + end))
            start = end
        spans.append((offset + start, offset + len(line)))
        offset += len(line)
    return [trimmed for span in spans if (trimmed := _trim(text, span)) is not None]


def split_sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def _ends(line: str) -> list[int]:
    """Sentence ends within one line: candidates outside any quotation."""
    ends = []
    depth = _quote_depths(line)
    for match in _CANDIDATE.finditer(line):
        if depth[match.end()] == 0:
            ends.append(match.end())
    return ends


def _quote_depths(line: str) -> list[int]:
    """How many quotations are open before each position (a stray closing quote is ignored;
    ASCII double quotes alternate between opening and closing)."""
    depths = [0]
    stack: list[str] = []
    for char in line:
        if char in _OPENING:
            stack.append(char)
        elif char in _CLOSING and _CLOSING[char] in stack:
            while stack.pop() != _CLOSING[char]:
                pass
        elif char == '"':
            if stack and stack[-1] == '"':
                stack.pop()
            else:
                stack.append('"')
        depths.append(len(stack))
    return depths


def _trim(text: str, span: tuple[int, int]) -> tuple[int, int] | None:
    start, end = span
    part = text[start:end]
    stripped = part.strip()
    if not stripped:
        return None
    start += len(part) - len(part.lstrip())
    return start, start + len(stripped)
