"""The pipeline's assets, one per stage, each partitioned by source and crawl day.

No `from __future__ import annotations` here: Dagster reads the parameter and return
annotations at definition time (context type, IO manager types)."""


from collections import Counter

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    MaterializeResult,
    Output,
    asset,
)
from pydantic import BaseModel, Field

from enrich.articles import build_article, merge_refetch
from enrich.schema import Article, EnrichedArticle, Rejection
from enrich.translation import TranslatorUnavailable, needs_translation, translate_articles
from pipeline.partitions import SOURCE_DAY, SourceDay
from pipeline.resources import (
    CrawlerResource,
    ModelsResource,
    PendingTranslationsResource,
    RawStoreResource,
    SearchBackendResource,
    SourcesResource,
)


class ArticleBatch(BaseModel):
    """What one partition's raw pages became: articles, and the pages rejected with why."""

    articles: list[Article] = Field(default_factory=list)
    rejections: list[Rejection] = Field(default_factory=list)


NEW_ARTICLES_CHECK = "source_yields_new_articles"


@asset(
    partitions_def=SOURCE_DAY,
    kinds={"scrapy"},
    group_name="ingest",
    check_specs=[
        AssetCheckSpec(
            NEW_ARTICLES_CHECK,
            asset="raw_pages",
            description="Fails when a source's last crawl.stale_after_runs crawls found no new article: "
            "its feed went quiet or its layout changed under our selectors.",
        )
    ],
)
def raw_pages(
    context: AssetExecutionContext,
    crawler: CrawlerResource,
    sources: SourcesResource,
    raw_store: RawStoreResource,
) -> MaterializeResult:
    """Every response and failure of one crawl of a source, kept losslessly in the raw store."""
    partition = SourceDay.of(context)
    crawled = crawler.crawl(context, sources.get(partition.source_id), partition.day, raw_store.store)
    quiet = crawler.runs_without_new_articles(partition.source_id)
    check = AssetCheckResult(
        check_name=NEW_ARTICLES_CHECK,
        passed=quiet < crawler.stale_after_runs,
        severity=AssetCheckSeverity.ERROR,
        metadata={"runs_without_new_articles": quiet, "threshold": crawler.stale_after_runs},
        description=f"{partition.source_id}: {quiet} consecutive crawl(s) without a new article",
    )
    return MaterializeResult(metadata=crawled.metadata, check_results=[check])


@asset(partitions_def=SOURCE_DAY, deps=[raw_pages], kinds={"python"}, group_name="ingest")
def articles(context: AssetExecutionContext, raw_store: RawStoreResource) -> Output[ArticleBatch]:
    """Articles extracted from the partition's stored article pages (re-runnable offline)."""
    partition = SourceDay.of(context)
    latest: dict[str, Article] = {}
    rejections: list[Rejection] = []
    pages = 0
    for page in raw_store.store.pages(partition.source_id, partition.day):
        if page.kind != "article" or not page.ok:
            continue
        pages += 1
        result = build_article(
            source_id=page.source_id,
            url=page.url,
            body=page.body,
            fetched_at=page.fetched_at,
            content_type=page.header("content-type"),
        )
        if isinstance(result, Rejection):
            rejections.append(result)
        else:
            previous = latest.get(result.id)
            latest[result.id] = merge_refetch(previous, result) if previous else result
    batch = ArticleBatch(articles=list(latest.values()), rejections=rejections)
    return Output(
        batch,
        metadata={
            "article_pages": pages,
            "extracted": len(batch.articles),
            "rejected": len(rejections),
            "rejected_by_reason": dict(Counter(r.reason for r in rejections)),
            "by_language": dict(Counter(a.lang for a in batch.articles)),
        },
    )


@asset(partitions_def=SOURCE_DAY, kinds={"pytorch"}, group_name="enrich")
def translated_articles(
    context: AssetExecutionContext,
    articles: ArticleBatch,
    models: ModelsResource,
    pending_translations: PendingTranslationsResource,
) -> Output[list[Article]]:
    """The partition's articles, Chinese ones with an English title and text beside the
    originals. One the model cannot translate (model unavailable, or failing on it) keeps its
    original text, is marked pending, and is translated by a later run."""
    partition = SourceDay.of(context)
    config = models.translator_config
    wanted = [article for article in articles.articles if needs_translation(article)]
    translator, unavailable = None, None
    if wanted and models.translate_enabled:
        try:
            translator = models.translator()
        except TranslatorUnavailable as problem:
            unavailable = str(problem)
            context.log.error(
                f"translation model unavailable: {unavailable}. {len(wanted)} article(s) with Chinese text "
                "or headline are indexed untranslated and marked pending; a later run translates them."
            )
    if models.translate_enabled:
        translated, stats = translate_articles(articles.articles, translator, config, unavailable)
    else:
        translated, stats = list(articles.articles), None
    pending = {
        article.id: article.translation.error or ""
        for article in translated
        if article.translation and article.translation.status == "pending"
    }
    with pending_translations.open() as registry:
        registry.replace_partition(partition, pending)
    return Output(
        translated,
        metadata={
            "to_translate": len(wanted),
            "translated": sum(1 for a in translated if a.translation and a.translation.status == "done"),
            "pending": len(pending),
            "translation_error": unavailable or "",
            "model": config.model if models.translate_enabled else "disabled",
            "backend": config.backend,
            **({f"segments_{k}": v for k, v in stats.as_dict().items()} if stats else {}),
        },
    )


@asset(
    partitions_def=SOURCE_DAY,
    ins={"articles": AssetIn("translated_articles")},
    kinds={"python"},
    group_name="enrich",
)
def enriched_articles(articles: list[Article], models: ModelsResource) -> Output[list[EnrichedArticle]]:
    """Articles with the business events they report and the evidence for each."""
    classifier = models.rule_classifier()
    enriched = [
        EnrichedArticle(**article.model_dump(), events=classifier.classify(article.title, article.text))
        for article in articles
    ]
    return Output(
        enriched,
        metadata={
            "articles": len(enriched),
            "with_events": sum(1 for article in enriched if article.events),
            "by_event_type": dict(Counter(label for article in enriched for label in article.labels)),
        },
    )


@asset(partitions_def=SOURCE_DAY, kinds={"sqlite"}, group_name="search")
def search_index(enriched_articles: list[EnrichedArticle], search: SearchBackendResource) -> MaterializeResult:
    """The partition's articles upserted into the search backend, by id."""
    with search.open() as backend:
        stats = backend.upsert(enriched_articles)
        total = backend.count()
    return MaterializeResult(
        metadata={
            "indexed": stats.written,
            "inserted": stats.inserted,
            "updated": stats.updated,
            "unchanged": stats.unchanged,
            "index_total": total,
        }
    )
