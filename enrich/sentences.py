"""Sentence splitting for English and Chinese news text."""

from __future__ import annotations

import re

# A sentence ends at Chinese terminal punctuation, or at . ! ? followed by a space and what
# looks like the start of a new sentence; line breaks always end one. Each alternative
# starts with the punctuation itself (not a lookbehind), so the regex engine can skip
# straight to candidate characters: splitting is not what makes classification slow.
_BOUNDARY = re.compile(
    r"(?P<end>[。！？；!?][”」』\"']?)\s*"
    r"|(?P<quoted>[.!?][\"'”’)])\s+"
    r"|(?<=[a-z0-9%)\]])(?P<stop>[.!?])\s+(?=[A-Z0-9\"“‘(\[\u4e00-\u9fff])"
    r"|\s*\n\s*"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, whitespace trimmed, in order."""
    spans = []
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        # the punctuation group that matched stays with its sentence; a line break has none
        end = boundary.end(boundary.lastindex) if boundary.lastindex else boundary.start()
        if end > start:
            spans.append((start, end))
        start = boundary.end()
    if start < len(text):
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
