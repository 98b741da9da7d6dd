"""The organisation gazetteer: canonical ids for companies, hospitals, universities, investors
and regulators, with their English and Chinese names, aliases and tickers.

``find`` locates every known name in a text with two Aho-Corasick automata (one pass each):
Latin names must stand as whole words; Chinese names must stand as whole jieba words, so 强生
(Johnson & Johnson) is found in 强生宣布 but not in 加强生产. ``lookup`` maps one surface form
to its organisation (the translation stage uses it to keep names intact).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import ahocorasick
import jieba

from enrich.events import read_data

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Exchange names as news writes them, to the code the gazetteer uses.
_EXCHANGES = {
    "NYSE": "NYSE", "NASDAQ": "NASDAQ", "HKEX": "HKEX", "HKG": "HKEX", "SEHK": "HKEX", "HK": "HKEX",
    "SSE": "SSE", "SHA": "SSE", "SH": "SSE", "SS": "SSE", "SZSE": "SZSE", "SHE": "SZSE", "SZ": "SZSE",
    "TSE": "TSE", "TYO": "TSE", "ETR": "ETR", "XETRA": "ETR", "FWB": "ETR", "SIX": "SIX", "SWX": "SIX",
    "LSE": "LSE", "LON": "LSE", "AMS": "AMS", "EPA": "EPA", "CPH": "CPH", "STO": "STO", "ASX": "ASX",
}
_TICKER = re.compile(
    r"\b(?P<exchange>NYSE|NASDAQ|Nasdaq|HKEX|HKG|SEHK|SSE|SZSE|SHA|SHE|TSE|TYO|ETR|XETRA|FWB|SIX|SWX|LSE|LON|AMS|EPA|CPH|STO|ASX)"
    r"\s*[:：]\s*(?P<code>[A-Z0-9][A-Z0-9.-]{0,9})"
    r"|(?<![\d.])(?P<code2>\d{6}|\d{4,5})\.(?P<exchange2>SH|SZ|SS|HK)\b"
)
# How far around a Chinese match jieba looks to check that the name is a whole word.
_WINDOW = 8


@dataclass(frozen=True)
class Organisation:
    id: str
    name_en: str
    name_zh: str | None = None
    aliases: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    kind: str = "company"
    country: str | None = None
    not_in: tuple[str, ...] = ()

    @property
    def surfaces(self) -> tuple[str, ...]:
        names = (self.name_en, self.name_zh, *self.aliases)
        return tuple(dict.fromkeys(name for name in names if name))


@dataclass(frozen=True)
class OrgMatch:
    start: int
    end: int
    surface: str
    org: Organisation


@dataclass
class Gazetteer:
    organisations: list[Organisation]
    _by_id: dict[str, Organisation] = field(init=False, repr=False)
    _by_surface: dict[str, Organisation] = field(init=False, repr=False)
    _by_ticker: dict[str, Organisation] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id, self._by_surface, self._by_ticker = {}, {}, {}
        for org in self.organisations:
            if org.id in self._by_id:
                raise ValueError(f"organisation id {org.id!r} is used twice")
            self._by_id[org.id] = org
            for surface in org.surfaces:
                other = self._by_surface.setdefault(surface, org)
                if other is not org:
                    raise ValueError(f"{surface!r} names both {other.id!r} and {org.id!r}")
            for ticker in org.tickers:
                self._by_ticker[_normal_ticker(ticker)] = org

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        """The bundled ``data/organisations.yaml`` (or another file of the same shape)."""
        where = str(path or "enrich/data/organisations.yaml")
        organisations = []
        for index, entry in enumerate(read_data("organisations.yaml", path)):
            try:
                organisations.append(
                    Organisation(
                        id=entry["id"],
                        name_en=entry["en"],
                        name_zh=entry.get("zh") or None,
                        aliases=tuple(str(a) for a in entry.get("aliases") or ()),
                        tickers=tuple(entry.get("tickers") or ()),
                        kind=entry.get("kind", "company"),
                        country=entry.get("country"),
                        not_in=tuple(entry.get("not_in") or ()),
                    )
                )
            except (KeyError, TypeError) as problem:
                raise ValueError(f"{where}: entry {index}: missing or malformed {problem}") from None
        return cls(organisations)

    def __len__(self) -> int:
        return len(self.organisations)

    def get(self, org_id: str) -> Organisation | None:
        return self._by_id.get(org_id)

    def lookup(self, surface: str) -> Organisation | None:
        """The organisation a name, alias or ticker ("NYSE:SYK", "2359.HK") stands for."""
        surface = surface.strip()
        found = self._by_surface.get(surface) or self._casefolded.get(surface.casefold())
        if found:
            return found
        ticker = _TICKER.fullmatch(surface)
        return self._ticker_org(ticker) if ticker else None

    def names(self) -> Iterator[tuple[str, Organisation]]:
        """Every surface form with its organisation (for protecting names in translation)."""
        return iter(self._by_surface.items())

    def find(self, text: str) -> list[OrgMatch]:
        """Known organisations in ``text``: leftmost-longest, non-overlapping, in order."""
        found = [
            OrgMatch(start, end + 1, surface, self._by_surface[surface])
            for end, surface in _matches(self._latin, text)
            for start in [end + 1 - len(surface)]
            if _latin_word(text, start, end + 1)
        ]
        if _HAN.search(text):
            found += [
                OrgMatch(start, end + 1, surface, self._by_surface[surface])
                for end, surface in _matches(self._han, text)
                for start in [end + 1 - len(surface)]
                if self._han_word(text, start, end + 1)
            ]
        for ticker in _TICKER.finditer(text):
            org = self._ticker_org(ticker)
            if org:
                found.append(OrgMatch(ticker.start(), ticker.end(), ticker.group(), org))
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        chosen: list[OrgMatch] = []
        for match in found:
            if not chosen or match.start >= chosen[-1].end:
                chosen.append(match)
        return chosen

    # -- internals ---------------------------------------------------------------------

    def _ticker_org(self, match: re.Match[str]) -> Organisation | None:
        exchange = match.group("exchange") or match.group("exchange2")
        code = match.group("code") or match.group("code2")
        return self._by_ticker.get(_normal_ticker(f"{exchange}:{code}"))

    @cached_property
    def _casefolded(self) -> dict[str, Organisation]:
        return {surface.casefold(): org for surface, org in reversed(self._by_surface.items())}

    @cached_property
    def _latin(self) -> ahocorasick.Automaton:
        return _automaton(s for s in self._by_surface if not _HAN.search(s))

    @cached_property
    def _han(self) -> ahocorasick.Automaton:
        return _automaton(s for s in self._by_surface if _HAN.search(s))

    @cached_property
    def tokenizer(self) -> jieba.Tokenizer:
        """A jieba tokenizer that knows every Chinese name (and the words they must not split)."""
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for surface in self._by_surface:
            if _HAN.search(surface):
                tokenizer.add_word(surface)
        for org in self.organisations:
            for word in org.not_in:
                tokenizer.add_word(word)
        return tokenizer

    def _han_word(self, text: str, start: int, end: int) -> bool:
        low, high = max(0, start - _WINDOW), min(len(text), end + _WINDOW)
        cuts, position = {low}, low
        for word in self.tokenizer.cut(text[low:high], HMM=False):
            position += len(word)
            cuts.add(position)
        return start in cuts and end in cuts


def _automaton(surfaces: Iterator[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for surface in surfaces:
        automaton.add_word(surface, surface)
    if len(automaton):
        automaton.make_automaton()
    return automaton


def _matches(automaton: ahocorasick.Automaton, text: str) -> Iterator[tuple[int, str]]:
    return automaton.iter(text) if len(automaton) else iter(())


def _is_latin_letter_or_digit(char: str) -> bool:
    return (char.isascii() and char.isalnum()) or "\u00c0" <= char <= "\u024f"


def _latin_word(text: str, start: int, end: int) -> bool:
    """A Latin name stands alone: no letter or digit glued to either side, no currency sign
    before it (so "$3M" is three million dollars, not 3M)."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if before and (_is_latin_letter_or_digit(before) or before in "$€£¥"):
        return False
    return not (after and _is_latin_letter_or_digit(after))


def _normal_ticker(ticker: str) -> str:
    exchange, _, code = ticker.partition(":")
    exchange = _EXCHANGES.get(exchange.strip().upper(), exchange.strip().upper())
    code = code.strip().upper()
    if exchange == "HKEX" and code.isdigit():
        code = code.lstrip("0") or "0"
    return f"{exchange}:{code}"
