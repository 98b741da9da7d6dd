"""Chinese → English translation: complete, batched, remembered, organisation names kept.

``build_translator(TranslatorConfig(...))`` loads the model (transformers or CTranslate2)
and gives a ``Translator``; ``translate_articles`` fills an article's English fields.
"""

from enrich.translation.articles import needs_translation, translate_articles
from enrich.translation.backends import TranslatorUnavailable, convert_to_ctranslate2
from enrich.translation.config import DEFAULT_MODEL, TranslatorConfig
from enrich.translation.entities import NameFinder
from enrich.translation.memory import TranslationMemory
from enrich.translation.translator import Failure, TranslationStats, Translator, build_translator

__all__ = [
    "DEFAULT_MODEL",
    "Failure",
    "NameFinder",
    "TranslationMemory",
    "TranslationStats",
    "Translator",
    "TranslatorConfig",
    "TranslatorUnavailable",
    "build_translator",
    "convert_to_ctranslate2",
    "needs_translation",
    "translate_articles",
]
