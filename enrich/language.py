"""Which language an article is written in: ``en``, ``zh`` or ``other``.

langdetect is run from a private, seeded factory so results are reproducible and no global
state is touched. Han-heavy text is Chinese before langdetect is asked: it is unreliable on
short and mixed-script text, and labels Traditional Chinese as Korean.
"""

from __future__ import annotations

import re
from functools import lru_cache

from langdetect import DetectorFactory, LangDetectException
from langdetect.detector_factory import PROFILES_DIRECTORY

from enrich.schema import Language

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN = re.compile(r"[A-Za-z]")

HAN_SHARE_FOR_CHINESE = 0.3
SAMPLE_CHARS = 3000


@lru_cache(maxsize=1)
def _factory() -> DetectorFactory:
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


def han_share(text: str) -> float:
    """Han characters as a share of all Han and Latin letters (0 when there are none)."""
    han = len(_HAN.findall(text))
    letters = han + len(_LATIN.findall(text))
    return han / letters if letters else 0.0


def detect_language(text: str) -> Language:
    sample = text[:SAMPLE_CHARS]
    if not _LATIN.search(sample) and not _HAN.search(sample):
        return "other"
    if han_share(sample) >= HAN_SHARE_FOR_CHINESE:
        return "zh"
    detector = _factory().create()
    detector.append(sample)
    try:
        code = detector.detect()
    except LangDetectException:
        return "other"
    if code.startswith("zh") or (code == "ko" and not _HANGUL.search(sample)):
        return "zh"
    return "en" if code == "en" else "other"
