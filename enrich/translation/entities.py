"""Organisation names kept out of the model's hands.

A name the gazetteer recognises is replaced by a placeholder before translation and the
placeholder by the name's canonical English form afterwards (北京协和医院 → Peking Union
Medical College Hospital); a Latin name or ticker is put back exactly as written. When the
model loses or repeats a placeholder, the text between the names is translated piece by
piece instead, so a protected name can never be mangled or dropped.

Any finder with the gazetteer's shape works (``enrich.gazetteer.Gazetteer``): ``find(text)``
returns non-overlapping matches, each with ``start``, ``end`` and ``org.name_en``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Placeholders: a capital X and a number, which the Marian SentencePiece vocabulary holds as two
# short pieces and the model copies like any code name. A text that already contains one is
# not masked (its names are protected by piecewise translation instead).
_PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9])X(\d+)(?![0-9])")


class EnglishNamed(Protocol):
    @property
    def name_en(self) -> str: ...


class NameMatch(Protocol):
    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def org(self) -> EnglishNamed: ...


class NameFinder(Protocol):
    """Finds organisation names in a text (the gazetteer)."""

    def find(self, text: str) -> Sequence[NameMatch]: ...


@dataclass(frozen=True)
class Name:
    """A protected name in a text: where it is, and what the English text says instead."""

    start: int
    end: int
    english: str

    def shifted(self, offset: int) -> Name:
        return Name(self.start - offset, self.end - offset, self.english)


def find_names(finder: NameFinder | None, text: str) -> list[Name]:
    """The names to protect in ``text``, in order: Chinese names become their canonical English
    name, Latin names and tickers stay as written."""
    if finder is None:
        return []
    names = []
    for match in sorted(finder.find(text), key=lambda m: m.start):
        if names and match.start < names[-1].end:
            continue
        surface = text[match.start : match.end]
        names.append(Name(match.start, match.end, match.org.name_en if _HAN.search(surface) else surface))
    return names


def mask(text: str, names: Sequence[Name]) -> str | None:
    """``text`` with each name replaced by its placeholder (X1, X2...), or None when the text
    already contains something that looks like a placeholder."""
    if not names or _PLACEHOLDER.search(text):
        return None
    parts, position = [], 0
    for number, name in enumerate(names, 1):
        # A space only where a letter or digit would otherwise glue onto the placeholder.
        before = " " if name.start and text[name.start - 1].isascii() and text[name.start - 1].isalnum() else ""
        after = " " if name.end < len(text) and text[name.end].isascii() and text[name.end].isalnum() else ""
        parts += [text[position : name.start], f"{before}X{number}{after}"]
        position = name.end
    parts.append(text[position:])
    return "".join(parts)


def unmask(translation: str, names: Sequence[Name]) -> str | None:
    """The translation with each placeholder replaced by its English name, or None unless
    every placeholder came back exactly once."""
    found = [int(match.group(1)) for match in _PLACEHOLDER.finditer(translation)]
    if sorted(found) != list(range(1, len(names) + 1)):
        return None
    return _PLACEHOLDER.sub(lambda match: names[int(match.group(1)) - 1].english, translation)


def between_names(text: str, names: Sequence[Name]) -> list[str | Name]:
    """The text cut at its names: the pieces between them (non-empty) and the names, in order."""
    parts: list[str | Name] = []
    position = 0
    for name in names:
        if text[position : name.start].strip():
            parts.append(text[position : name.start])
        parts.append(name)
        position = name.end
    if text[position:].strip():
        parts.append(text[position:])
    return parts
