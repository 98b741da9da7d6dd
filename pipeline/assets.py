"""The pipeline's assets, one per stage, each partitioned by source and crawl day.

No `from __future__ import annotations` here: Dagster reads the parameter and return
annotations at definition time (context type, IO manager types)."""


import warnings
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    Config,
    MaterializeResult,
    Output,
    PreviewWarning,
    asset,
    asset_check,
)
from pydantic import BaseModel, Field

from enrich.articles import build_article, merge_refetch
from enrich.schema import Article, EnrichedArticle, Event, Rejection
from enrich.translation import TranslatorUnavailable, needs_translation, translate_articles
from pipeline.alerts import evaluate_partitions
from pipeline.checks import REJECTION_RATE_CHECK, PageCounts, earlier_counts, rejection_rate_check
from pipeline.config import AlertsSettings
from pipeline.eventstore import coverage_verdict
from pipeline.partitions import SOURCE_DAY, SourceDay
from pipeline.resources import (
    AlertsResource,
    ArticleRulesResource,
    CrawlerResource,
    DuplicateStoreResource,
    EventStoreResource,
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
def enriched_articles(
    context: AssetExecutionContext, articles: list[Article], models: ModelsResource
) -> Output[list[EnrichedArticle]]:
    """Articles with the business events they report: type, status, parties with roles,
    amount, the evidence sentences, and which classifier layers spoke."""
    analyser = models.analyser()
    for layer, reason in analyser.unavailable.items():
        context.log.warning(f"{layer} layer unavailable, the other layers decide: {reason}")
    enriched = analyser.enrich(articles)
    return Output(
        enriched,
        metadata={
            "articles": len(enriched),
            "with_events": sum(1 for article in enriched if article.events),
            "by_event_type": dict(Counter(label for article in enriched for label in article.labels)),
            "layers": analyser.layers,
            "unavailable_layers": dict(analyser.unavailable),
        },
    )


@asset(partitions_def=SOURCE_DAY, kinds={"sqlite"}, group_name="enrich")
def events(
    context: AssetExecutionContext, enriched_articles: list[EnrichedArticle], event_store: EventStoreResource
) -> Output[list[Event]]:
    """The deals and launches the partition's articles report, each merged with the reports
    of the same event from other sources, days and languages (one event per deal)."""
    partition = SourceDay.of(context)
    with event_store.open() as store:
        update = store.replace_partition(partition.source_id, partition.day, enriched_articles)
    return Output(
        update.events,
        metadata={
            "events": len(update.events),
            "new_events": update.new,
            "multi_source_events": sum(1 for e in update.events if len(e.sources) > 1),
            "by_event_type": dict(Counter(e.type for e in update.events)),
            "events_total": update.total,
        },
    )


def event_coverage(context: AssetCheckExecutionContext, event_store: EventStoreResource) -> AssetCheckResult:
    """The share of the partition's articles with at least one event, against the source's
    recent partitions: a sudden drop means a stage broke (extraction, a model, the triggers)."""
    keys = context.partition_key.keys_by_dimension
    with event_store.open() as store:
        coverage = store.coverage(keys["source"])
    verdict = coverage_verdict(coverage, date.fromisoformat(keys["day"]), event_store.coverage_drop)
    return AssetCheckResult(passed=verdict.passed, severity=AssetCheckSeverity.WARN, metadata=verdict.metadata)


# Partitioned asset checks are a preview feature of Dagster 1.13 (pinned exactly in
# pyproject.toml); the warning says nothing a user could act on.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", PreviewWarning)
    event_coverage = asset_check(asset=events, partitions_def=SOURCE_DAY)(event_coverage)


@asset(partitions_def=SOURCE_DAY, kinds={"sqlite"}, group_name="search")
def search_index(
    context: AssetExecutionContext,
    enriched_articles: list[EnrichedArticle],
    search: SearchBackendResource,
    duplicates: DuplicateStoreResource,
) -> MaterializeResult:
    """The partition's articles upserted into the search backend, by id. A copy of an article
    published elsewhere is not indexed on its own: the canonical article is, once, listing
    every outlet that published it (whichever partition indexes it, it lists them all). A
    cluster that cannot be reached gets them on the next run, from the local spool."""
    documents: dict[str, EnrichedArticle] = {}
    with duplicates.open() as store, search.open() as backend:
        for article in enriched_articles:
            canonical_id = article.duplicate.canonical_id if article.duplicate else article.id
            canonical = article if article.duplicate is None else documents.get(canonical_id) or backend.get(canonical_id)
            if canonical is None:
                continue  # indexed, with this outlet too, when its own partition is
            documents[canonical_id] = canonical.model_copy(update={"reported_by": store.members(canonical_id)})
        stats = backend.upsert(documents.values())
        total = backend.count() if stats.unavailable is None else None
    for error in stats.errors:
        context.log.warning(f"article {error.id} not indexed: {error.reason}")
    if stats.unavailable:
        context.log.warning(f"{stats.spooled} article(s) spooled for the next run: {stats.unavailable}")
    metadata = {
        "backend": search.backend,
        "indexed": stats.written,
        "inserted": stats.inserted,
        "updated": stats.updated,
        "unchanged": stats.unchanged,
        "failed": stats.failed,
        "spooled": stats.spooled,
        "replayed": stats.replayed,
        "copies_merged": sum(1 for article in enriched_articles if article.duplicate),
    }
    if total is not None:
        metadata["index_total"] = total
    return MaterializeResult(metadata=metadata)


# -- alerts --------------------------------------------------------------------------------

OUTBOX_CHECK = "outbox_not_growing"


class AlertRunConfig(Config):
    """What an alerts run looks at: the (source, day) partitions just indexed (the sensor
    fills them in), and whether it is the daily run (daily watches, trend spikes)."""

    partitions: list[list[str]] = Field(default_factory=list, description="[source, day] pairs")
    daily: bool = False


@asset(
    kinds={"sqlite"},
    group_name="alerts",
    check_specs=[AssetCheckSpec(OUTBOX_CHECK, asset="alert_outbox", description="unsent alerts pile up")],
)
def alert_outbox(
    context: AssetExecutionContext,
    config: AlertRunConfig,
    search: SearchBackendResource,
    event_store: EventStoreResource,
    alerts: AlertsResource,
):
    """Alerts recorded and sent: the watches matched against the newly indexed articles (one
    item per event cluster), daily messages and trend spikes on the daily run, every due
    message of the outbox sent once. Materialised by the watches sensor and the daily schedule."""
    settings = alerts.settings
    partitions = [(source, day) for source, day in config.partitions]
    with search.open() as backend, event_store.open() as store, alerts.open() as outbox:
        report = evaluate_partitions(backend, store, outbox, settings, Path(alerts.assets_dir), partitions, config.daily)
        counts, oldest = outbox.counts(), outbox.oldest_unsent()
    for error in report.delivery.errors:
        context.log.warning(error)
    yield MaterializeResult(
        metadata={
            "partitions": len(partitions), "matched": report.matched, "new_items": report.new, "queued": report.queued,
            "sent": report.delivery.sent, "retry_later": report.delivery.retry_later, "failed": report.delivery.failed,
            "spikes": len(report.spikes), **{f"outbox_{status}": n for status, n in counts.items()},
        }  # fmt: skip
    )
    yield outbox_check(counts, oldest, settings)


def outbox_check(counts: dict[str, int], oldest: datetime | None, settings: AlertsSettings) -> AssetCheckResult:
    """Fails when unsent messages pile up (a channel down for long), warns on failed ones."""
    unsent = counts["pending"] + counts["sending"]
    age_hours = (datetime.now(UTC) - oldest).total_seconds() / 3600 if oldest else 0.0
    metadata = {"unsent": unsent, "failed": counts["failed"], "oldest_unsent_hours": round(age_hours, 2)}
    if unsent > settings.outbox_max_unsent or age_hours > settings.outbox_max_age_hours:
        return AssetCheckResult(
            check_name=OUTBOX_CHECK, passed=False, metadata=metadata,
            description=f"{unsent} alert message(s) unsent, the oldest for {age_hours:.1f} h: is SMTP or a webhook down?",
        )  # fmt: skip
    if counts["failed"]:
        return AssetCheckResult(
            check_name=OUTBOX_CHECK, passed=False, severity=AssetCheckSeverity.WARN, metadata=metadata,
            description=f"{counts['failed']} alert message(s) failed for good (medradar outbox list --status failed)",
        )  # fmt: skip
    return AssetCheckResult(check_name=OUTBOX_CHECK, passed=True, metadata=metadata)
