"""The pipeline's assets, one per stage, each partitioned by source and crawl day.

No `from __future__ import annotations` here: Dagster reads the parameter and return
annotations at definition time (context type, IO manager types)."""


from collections import Counter

from dagster import AssetCheckSpec, AssetExecutionContext, MaterializeResult, Output, asset
from pydantic import BaseModel, Field

from enrich.articles import build_article, merge_refetch
from enrich.schema import Article, EnrichedArticle, Rejection
from pipeline.checks import REJECTION_RATE_CHECK, PageCounts, earlier_counts, rejection_rate_check
from pipeline.partitions import SOURCE_DAY, SourceDay
from pipeline.resources import (
    ArticleRulesResource,
    CrawlerResource,
    DuplicateStoreResource,
    ModelsResource,
    RawStoreResource,
    SearchBackendResource,
    SourcesResource,
)


class ArticleBatch(BaseModel):
    """What one partition's raw pages became: articles, and the pages rejected with why."""

    articles: list[Article] = Field(default_factory=list)
    rejections: list[Rejection] = Field(default_factory=list)


@asset(partitions_def=SOURCE_DAY, kinds={"scrapy"}, group_name="ingest")
def raw_pages(
    context: AssetExecutionContext,
    crawler: CrawlerResource,
    sources: SourcesResource,
    raw_store: RawStoreResource,
) -> MaterializeResult:
    """Every response and failure of one crawl of a source, kept losslessly in the raw store."""
    partition = SourceDay.of(context)
    return crawler.crawl(context, sources.get(partition.source_id), partition.day, raw_store.store)


@asset(
    partitions_def=SOURCE_DAY,
    deps=[raw_pages],
    kinds={"python"},
    group_name="ingest",
    check_specs=[
        AssetCheckSpec(
            REJECTION_RATE_CHECK,
            asset="articles",
            description="the share of article pages the quality gates reject has not jumped"
            " against the source's earlier partitions",
        )
    ],
)
def articles(
    context: AssetExecutionContext,
    raw_store: RawStoreResource,
    sources: SourcesResource,
    article_rules: ArticleRulesResource,
    duplicates: DuplicateStoreResource,
):
    """Articles extracted from the partition's stored article pages (re-runnable offline:
    nothing is fetched), with the pages the quality gates rejected and why, and each copy
    of an article published elsewhere linked to the first one."""
    partition = SourceDay.of(context)
    source = sources.get(partition.source_id)
    rules = article_rules.rules()
    section_urls = [str(source.homepage), *map(str, source.listings)]
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
            rules=rules,
            timezone=source.timezone,
            section_urls=section_urls,
        )
        if isinstance(result, Rejection):
            rejections.append(result)
        else:
            previous = latest.get(result.id)
            latest[result.id] = merge_refetch(previous, result) if previous else result
    # Oldest first, so the first published of a set of copies is the canonical one.
    ordered = sorted(latest.values(), key=lambda a: (a.published_at or a.fetched_at, a.id))
    with duplicates.open() as store:
        registered = store.register(ordered)
    batch = ArticleBatch(articles=registered, rejections=rejections)
    yield Output(
        batch,
        metadata={
            "article_pages": pages,
            "extracted": len(batch.articles),
            "rejected": len(rejections),
            "rejected_by_reason": dict(Counter(r.reason for r in rejections)),
            "duplicates": sum(1 for a in registered if a.duplicate),
            "duplicates_by_kind": dict(Counter(a.duplicate.kind for a in registered if a.duplicate)),
            "by_language": dict(Counter(a.lang for a in batch.articles)),
            "traditional_chinese": sum(1 for a in registered if a.script == "Hant"),
        },
    )
    history = earlier_counts(context.instance, context.asset_key, partition, article_rules.rejection_history)
    yield rejection_rate_check(PageCounts(pages, len(rejections)), history, article_rules.settings)


@asset(partitions_def=SOURCE_DAY, kinds={"python"}, group_name="enrich")
def enriched_articles(articles: ArticleBatch, models: ModelsResource) -> Output[list[EnrichedArticle]]:
    """Articles with the business events they report and the evidence for each."""
    classifier = models.rule_classifier()
    enriched = [
        EnrichedArticle(**article.model_dump(), events=classifier.classify(article.index_title, article.index_text))
        for article in articles.articles
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
def search_index(
    enriched_articles: list[EnrichedArticle], search: SearchBackendResource, duplicates: DuplicateStoreResource
) -> MaterializeResult:
    """The partition's articles upserted into the search backend, by id. A copy of an article
    published elsewhere is not indexed on its own: the canonical article is, once, listing
    every outlet that published it (whichever partition indexes it, it lists them all)."""
    documents: dict[str, EnrichedArticle] = {}
    with duplicates.open() as store, search.open() as backend:
        for article in enriched_articles:
            canonical_id = article.duplicate.canonical_id if article.duplicate else article.id
            canonical = article if article.duplicate is None else documents.get(canonical_id) or backend.get(canonical_id)
            if canonical is None:
                continue  # indexed, with this outlet too, when its own partition is
            documents[canonical_id] = canonical.model_copy(update={"reported_by": store.members(canonical_id)})
        stats = backend.upsert(documents.values())
        total = backend.count()
    return MaterializeResult(
        metadata={
            "indexed": stats.written,
            "inserted": stats.inserted,
            "updated": stats.updated,
            "unchanged": stats.unchanged,
            "copies_merged": sum(1 for article in enriched_articles if article.duplicate),
            "index_total": total,
        }
    )
