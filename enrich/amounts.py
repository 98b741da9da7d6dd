"""Sums of money in English and Chinese news: "$4.9 billion", "US$80 per share", "more than
€1.3bn", "49亿美元", "人民币5000万元", "数亿元", "3-5亿元", converted to US dollars.

Ranges give their midpoint (and low/high); open bounds ("more than", 超, 逾) and vague
quantities (数亿 "several hundred million" = 2-9 亿, 上亿 "over 100 million") give the bound
they state, flagged approximate. ¥ is read as renminbi unless the amount says yen. Per-share
prices are recognised so that they are not taken for a deal's value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from enrich.schema import Amount

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CN_NUM = r"[零〇一二两三四五六七八九十百千]+"
_VAGUE = r"数十|数百|数千|几十|几百|几千|数|几|上"

_ZH_SCALE = r"万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千"
_EN_QUALIFIER = (
    r"about|around|approximately|approx\.|roughly|nearly|almost|close to|some|more than|over|"
    r"upwards of|in excess of|at least|up to|as much as|less than|under|an estimated|estimated|"
    r"a reported|north of|between|~"
)
_EN_SCALE = rf"\s?(?:trillion|billion|million|thousand|bn|mn|mln|tn)\b|[bmk]\b|{_ZH_SCALE}"
_EN_SYMBOL = r"US\$|USD|HK\$|HKD|A\$|AUD|C\$|CAD|S\$|SGD|\$|€|EUR|£|GBP|¥|￥|JPY|CNY|RMB|CHF|₩|KRW"
_EN_WORD = (
    r"(?:US |U\.S\. |Hong Kong |Singapore |Australian |Canadian )?dollars|euros?|pounds(?: sterling)?|"
    r"yuan|renminbi|yen|Swiss francs|francs|won|USD|EUR|RMB|CNY|HKD|JPY|GBP|CHF"
)
_ZH_QUALIFIER = r"大约|约合|约|将近|接近|近|超过|超|逾|不少于|不低于|至少|最高"
_ZH_CURRENCY = r"美元|欧元|英镑|日元|港元|港币|元人民币|人民币|元|瑞士法郎|澳元|新加坡元|韩元"

_AMOUNT = re.compile(
    # English, symbol first: "more than $1.3 billion", "$50-60 million", "US$80 per share"
    rf"(?:(?P<q1>{_EN_QUALIFIER})\s+)?(?P<s1>{_EN_SYMBOL})\s?(?P<n1>{_NUM})(?P<k1>{_EN_SCALE})?"
    rf"(?:\s?(?:-|–|—|to|and)\s?(?:{_EN_SYMBOL})?\s?(?P<m1>{_NUM})(?P<l1>{_EN_SCALE})?)?"
    r"(?P<p1>\s(?:or more|plus)\b|\+)?"
    # English, word last: "500 million yuan", "5 billion yen"
    rf"|(?:(?P<q2>{_EN_QUALIFIER})\s+)?(?<![\w.])(?P<n2>{_NUM})(?:\s?(?:-|–|to)\s?(?P<m2>{_NUM}))?"
    rf"(?P<k2>\s?(?:trillion|billion|million|thousand|bn|mn))?\s(?P<w2>{_EN_WORD})\b"
    # Chinese: "49亿美元", "人民币5000万元", "数亿元", "3-5亿元", "超1亿美元", "5亿多元"
    rf"|(?P<q3>{_ZH_QUALIFIER})?(?P<pre3>人民币|美元|港币|港元|欧元)?\s?"
    rf"(?P<n3>{_NUM}|{_VAGUE}|{_CN_NUM})(?:\s?(?:-|~|～|—|至|到)\s?(?P<m3>{_NUM}|{_CN_NUM}))?"
    rf"(?P<k3>{_ZH_SCALE})?(?P<p3>多|余|来)?(?P<c3>{_ZH_CURRENCY})(?P<after3>左右|以上|上下)?"
    rf"|(?P<q4>{_ZH_QUALIFIER})?(?P<pre4>人民币|美元|港币|港元|欧元)\s?(?P<n4>{_NUM}|{_CN_NUM})(?P<k4>{_ZH_SCALE})",
    re.IGNORECASE,
)
_PER_SHARE_AFTER = re.compile(r"\s?(?:per|a|/)\s?(?:share|ADS)\b", re.IGNORECASE)
_PER_SHARE_BEFORE = re.compile(r"每股\s?$")

_EN_SCALES = {"trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6,
              "mn": 1e6, "mln": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}
_ZH_SCALES = {"万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "十亿": 1e9, "亿": 1e8, "千万": 1e7, "百万": 1e6,
              "十万": 1e5, "万": 1e4, "千": 1e3}
_SYMBOLS = {"us$": "USD", "usd": "USD", "$": "USD", "hk$": "HKD", "hkd": "HKD", "a$": "AUD", "aud": "AUD",
            "c$": "CAD", "cad": "CAD", "s$": "SGD", "sgd": "SGD", "€": "EUR", "eur": "EUR", "£": "GBP",
            "gbp": "GBP", "¥": "CNY", "￥": "CNY", "jpy": "JPY", "cny": "CNY", "rmb": "CNY", "chf": "CHF",
            "₩": "KRW", "krw": "KRW"}
_WORDS = {"dollars": "USD", "us dollars": "USD", "u.s. dollars": "USD", "hong kong dollars": "HKD",
          "singapore dollars": "SGD", "australian dollars": "AUD", "canadian dollars": "CAD", "euro": "EUR",
          "euros": "EUR", "pounds": "GBP", "pounds sterling": "GBP", "yuan": "CNY", "renminbi": "CNY",
          "yen": "JPY", "swiss francs": "CHF", "francs": "CHF", "won": "KRW"}
_ZH_CURRENCIES = {"美元": "USD", "欧元": "EUR", "英镑": "GBP", "日元": "JPY", "港元": "HKD", "港币": "HKD",
                  "元人民币": "CNY", "人民币": "CNY", "元": "CNY", "瑞士法郎": "CHF", "澳元": "AUD",
                  "新加坡元": "SGD", "韩元": "KRW"}
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# 数 / 几 ("several") span 2 to 9 of the unit after them; 上 ("upwards of") means at least one.
_VAGUE_RANGES = {"数": (2, 9), "几": (2, 9), "数十": (20, 90), "几十": (20, 90), "数百": (200, 900),
                 "几百": (200, 900), "数千": (2000, 9000), "几千": (2000, 9000), "上": (1, None)}


@dataclass(frozen=True)
class FxRates:
    """US dollars per unit of each currency, as of a date (configured in medradar.yaml)."""

    rates: tuple[tuple[str, float], ...]
    as_of: date | None = None

    @classmethod
    def of(cls, usd_per_unit: Mapping[str, float], as_of: date | None = None) -> FxRates:
        return cls(tuple(sorted(usd_per_unit.items())), as_of)

    @cached_property
    def usd_per_unit(self) -> dict[str, float]:
        return dict(self.rates)

    def to_usd(self, value: float, currency: str) -> float | None:
        rate = self.usd_per_unit.get(currency)
        return round(value * rate, 2) if rate is not None else None


@dataclass(frozen=True)
class AmountMatch:
    start: int
    end: int
    amount: Amount
    per_share: bool


def find_amounts(text: str, fx: FxRates) -> list[AmountMatch]:
    """Every sum of money in ``text``, in order."""
    found = []
    for match in _AMOUNT.finditer(text):
        parsed = _parse(match)
        if parsed is None:
            continue
        value, low, high, currency, approximate = parsed
        per_share = bool(
            _PER_SHARE_AFTER.match(text, match.end())
            or _PER_SHARE_BEFORE.search(text[max(0, match.start() - 3) : match.start()])
        )
        amount = Amount(
            value=value, currency=currency, usd=fx.to_usd(value, currency), approximate=approximate,
            low=low, high=high, text=match.group().strip(),
        )
        found.append(AmountMatch(match.start(), match.end(), amount, per_share))
    return found


def deal_amount(sentences: Iterable[str], fx: FxRates) -> Amount | None:
    """The value of the deal the sentences report: the first sum that is not a per-share price."""
    for sentence in sentences:
        for match in find_amounts(sentence, fx):
            if not match.per_share:
                return match.amount
    return None


def _parse(match: re.Match[str]) -> tuple[float, float | None, float | None, str, bool] | None:
    g = match.groupdict()
    if g["n1"] is not None:
        currency = _SYMBOLS[g["s1"].lower()]
        if currency == "CNY" and g["s1"] in "¥￥" and re.match(r"\s?yen\b", match.string[match.end():], re.I):
            currency = "JPY"
        scale, scale_high = _en_scale(g["k1"]), _en_scale(g["l1"])
        if g["m1"] is not None and not g["k1"]:
            scale = scale_high  # "$50-60 million": the scale applies to both ends
        low = _number(g["n1"]) * scale
        high = _number(g["m1"]) * scale_high if g["m1"] else None
        return _result(low, high, currency, bool(g["q1"] or g["p1"]))
    if g["n2"] is not None:
        scale = _en_scale(g["k2"])
        currency = _WORDS.get(g["w2"].lower()) or _SYMBOLS.get(g["w2"].lower())
        if currency is None:
            return None
        low = _number(g["n2"]) * scale
        high = _number(g["m2"]) * scale if g["m2"] else None
        return _result(low, high, currency, bool(g["q2"]))
    if g["n3"] is not None:
        scale = _ZH_SCALES.get(g["k3"] or "", 1.0)
        currency = _ZH_CURRENCIES[g["c3"]]
        if g["pre3"] and g["c3"] == "元":
            currency = _ZH_CURRENCIES[g["pre3"]]
        approximate = bool(g["q3"] or g["p3"] or g["after3"])
        if not g["k3"] and not g["n3"][0].isdigit():
            return None  # 二元 "binary", 上元 "Lantern Festival": words, not sums
        if g["n3"] in _VAGUE_RANGES:
            low_factor, high_factor = _VAGUE_RANGES[g["n3"]]
            high = high_factor * scale if high_factor else None
            return low_factor * scale, low_factor * scale, high, currency, True
        low = _number(g["n3"]) * scale
        high = _number(g["m3"]) * scale if g["m3"] else None
        return _result(low, high, currency, approximate)
    if g["n4"] is not None:
        currency = _ZH_CURRENCIES[g["pre4"]]
        return _result(_number(g["n4"]) * _ZH_SCALES[g["k4"]], None, currency, bool(g["q4"]))
    return None


def _result(
    low: float, high: float | None, currency: str, approximate: bool
) -> tuple[float, float | None, float | None, str, bool] | None:
    if low <= 0:
        return None
    if high is not None and high > low:
        return (low + high) / 2, low, high, currency, True
    return low, None, None, currency, approximate


def _en_scale(word: str | None) -> float:
    if not word:
        return 1.0
    word = word.strip()
    return _ZH_SCALES[word] if word in _ZH_SCALES else _EN_SCALES[word.lower()]


def _number(text: str) -> float:
    if text[0].isdigit():
        return float(text.replace(",", ""))
    total, digit = 0, None
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (digit if digit is not None else 1) * _CN_UNITS[char]
            digit = None
    return float(total + (digit or 0))
