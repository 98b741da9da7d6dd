"""Sentence splitting for English and Chinese news text."""

from __future__ import annotations

import re

# A sentence ends at Chinese terminal punctuation, or at . ! ? followed by a space and what
# looks like the start of a new sentence; line breaks always end one.
_BOUNDARY = re.compile(
    r"(?<=[。！？；!?])[”」』\"']?\s*"
    r"|(?<=[.!?][\"'”’)])\s+"
    r"|(?<=[a-z0-9%)\]][.!?])\s+(?=[A-Z0-9\"“‘(\[\u4e00-\u9fff])"
    r"|\s*\n\s*"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, whitespace trimmed, in order."""
    spans = []
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        spans.append((start, boundary.start()))
        start = boundary.end()
    spans.append((start, len(text)))
    trimmed = []
    for begin, end in spans:
        part = text[begin:end]
        stripped = part.strip()
        if stripped:
            begin += len(part) - len(part.lstrip())
            trimmed.append((begin, begin + len(stripped)))
    return trimmed


def split_sentences(text: str) -> list[str]:
    return [text[begin:end] for begin, end in sentence_spans(text)]
