"""Articles with their English title and text: what the pipeline's translation stage does."""

from __future__ import annotations

from collections.abc import Sequence

from enrich.language import HAN_SHARE_FOR_CHINESE, han_share
from enrich.schema import Article, Translation
from enrich.sentences import sentence_spans
from enrich.translation.config import TranslatorConfig
from enrich.translation.translator import Failure, TranslationStats, Translator



def needs_translation(article: Article) -> bool:
    """A Chinese article, or one whose headline is Chinese (outlets translate English reports
    and keep the Chinese headline)."""
    return article.lang == "zh" or han_share(article.title) >= HAN_SHARE_FOR_CHINESE


def translate_articles(
    articles: Sequence[Article],
    translator: Translator | None,
    config: TranslatorConfig,
    unavailable: str | None = None,
) -> tuple[list[Article], TranslationStats]:
    """Every article that needs it with ``title_en``, ``text_en`` (Chinese text only) and its
    ``translation`` record; the others unchanged. Without a translator (``unavailable`` says
    why), or where the model failed, an article keeps its original fields and is marked
    pending."""
    wanted = [article for article in articles if needs_translation(article)]
    stats = TranslationStats()
    done: dict[str, Article] = {}
    if translator is None:
        reason = unavailable or "no translator"
        done = {article.id: _pending(article, config, reason) for article in wanted}
    elif wanted:
        texts = []
        for article in wanted:
            texts += [article.title, _body(article, config)[0]]
        results, stats = translator.translate_each(texts)
        for index, article in enumerate(wanted):
            title, text = results[2 * index], results[2 * index + 1]
            failure = next((r for r in (title, text) if isinstance(r, Failure)), None)
            if failure is not None:
                done[article.id] = _pending(article, config, f"translation failed: {failure.reason}")
                continue
            record = Translation(status="done", model=config.model, scope=_body(article, config)[1])
            text_en = text if article.lang == "zh" else None
            done[article.id] = article.model_copy(update={"title_en": title, "text_en": text_en, "translation": record})
    return [done.get(article.id, article) for article in articles], stats


def _body(article: Article, config: TranslatorConfig) -> tuple[str, str]:
    """What of the text is translated, and the scope that really is (a short text's lead is the
    whole of it; a text not in Chinese needs none)."""
    text = article.text if article.lang == "zh" else ""
    if config.scope == "full":
        return text, "full"
    spans = sentence_spans(text)
    if len(spans) <= config.lead_sentences:
        return text, "full"
    return text[: spans[config.lead_sentences - 1][1]], "title_lead"


def _pending(article: Article, config: TranslatorConfig, reason: str) -> Article:
    record = Translation(status="pending", model=config.model, scope=config.scope, error=reason)
    return article.model_copy(update={"title_en": None, "text_en": None, "translation": record})
