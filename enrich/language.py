"""Which language a text is written in (``en``, ``zh`` or ``other``), and which Chinese script.

langdetect is run from a private, seeded factory so results are reproducible and no global
state is touched. Script counts come first, because langdetect is unreliable on short and
mixed-script text and labels Traditional Chinese as Korean:

- Han-heavy text is Chinese, unless it has kana (Japanese) or Hangul (Korean);
- Latin-script text too short for langdetect (a headline, a caption: it calls "Mozilla -
  Wikipedia" Swahili with 0.99999 confidence) takes the language of the text it belongs to
  (the ``hint``: the body's language for a title). A title in another script than its body
  is still told apart by the script counts.

Simplified and Traditional Chinese are told apart by OpenCC: Traditional text is the text
that converting to Simplified changes more than converting to Traditional does.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import opencc
from langdetect import DetectorFactory, LangDetectException
from langdetect.detector_factory import PROFILES_DIRECTORY

from enrich.schema import Language

Script = Literal["Hans", "Hant"]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")

HAN_SHARE_FOR_CHINESE = 0.3
# Japanese writes a kana every few characters; a Chinese page quoting one name does not.
KANA_SHARE_FOR_JAPANESE = 0.05
SAMPLE_CHARS = 3000
# langdetect reads this much of the sample: its n-gram pass is most of the articles stage's
# time on English pages (bench/results/e2e.md), and on the corpora's texts its verdict at
# 1,000 characters is the one it gives at 3,000.
LANGDETECT_CHARS = 1000
# Below this many letters langdetect's guess is not taken over a hint (headlines are shorter).
SHORT_TEXT_LETTERS = 100


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


@lru_cache(maxsize=2)
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def han_share(text: str) -> float:
    """Han characters as a share of all Han and Latin letters (0 when there are none)."""
    han = len(_HAN.findall(text))
    letters = han + len(_LATIN.findall(text))
    return han / letters if letters else 0.0


def detect_language(text: str, hint: Language | None = None) -> Language:
    """The language of ``text``; ``hint`` decides when the text is too short to tell."""
    sample = text[:SAMPLE_CHARS]
    han = len(_HAN.findall(sample))
    latin = len(_LATIN.findall(sample))
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    if not han and not latin and not kana and not hangul:
        # No letters at all says nothing; letters of other scripts (Cyrillic, Arabic...) do.
        return "other" if any(char.isalpha() for char in sample) else hint or "other"
    if kana > KANA_SHARE_FOR_JAPANESE * (han + kana) or hangul > han:
        return "other"
    if han and han_share(sample) >= HAN_SHARE_FOR_CHINESE:
        return "zh"
    if hint and han + latin < SHORT_TEXT_LETTERS:
        return hint
    detector = _factory().create()
    detector.append(sample[:LANGDETECT_CHARS])
    try:
        code = detector.detect()
    except LangDetectException:
        return hint or "other"
    if code.startswith("zh") or (code == "ko" and not hangul):
        return "zh"
    return "en" if code == "en" else "other"


def chinese_script(text: str) -> Script | None:
    """``Hant`` for Traditional Chinese, ``Hans`` for Simplified, None without Han text."""
    sample = "".join(_HAN.findall(text[:SAMPLE_CHARS]))
    if not sample:
        return None
    to_simplified = _changed(sample, _converter("t2s").convert(sample))
    to_traditional = _changed(sample, _converter("s2t").convert(sample))
    return "Hant" if to_simplified > to_traditional else "Hans"


def to_simplified(text: str) -> str:
    """Traditional characters and phrases as Simplified (OpenCC ``t2s``)."""
    return _converter("t2s").convert(text)


def _changed(before: str, after: str) -> int:
    return sum(1 for a, b in zip(before, after, strict=False) if a != b) + abs(len(before) - len(after))
