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


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in _BOUNDARY.split(text) if part and part.strip()]
