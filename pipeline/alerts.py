"""Alerts end to end: new articles → watch matches → one item per event cluster → outbox →
email and webhooks; daily messages; trend spikes.

Every step is idempotent: an item is claimed once per (watch, event cluster) and a trend once
per (trend, ISO week) in the same transaction that puts its messages in the outbox, and the
outbox sends each message once (``pipeline.notify``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from pydantic import TypeAdapter

from enrich.schema import EnrichedArticle
from pipeline.config import AlertsSettings, Settings
from pipeline.eventstore import EventStore
from pipeline.io_manager import partition_file
from pipeline.notify.delivery import DeliveryReport, RetryPolicy, deliver_due
from pipeline.notify.email import SmtpOptions, render_email, send_email
from pipeline.notify.notice import Notice
from pipeline.notify.outbox import Message, Outbox, utcnow
from pipeline.notify.webhooks import post_webhook, render_webhook
from search.alerts import AlertItem, WatchAlert, cluster_items, watch_alerts
from search.backend import SearchBackend, hit_ids
from search.engines import ClusterUnavailable
from search.query import known_event_types
from search.trends import Series, Spike, SpikeTest, judge, spikes, topic_series
from search.watches import Watch


@dataclass
class AlertReport:
    """What one evaluation did."""

    matched: int = 0  # (watch, item) pairs found in the batch
    new: int = 0  # of those, never alerted before
    queued: int = 0  # messages put in the outbox
    spikes: list[Spike] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


def batch_key(prefix: str, item_keys: Iterable[str]) -> str:
    digest = hashlib.sha256(json.dumps(sorted(item_keys)).encode()).hexdigest()[:16]
    return f"{prefix}:{digest}"


def messages_for(watch: Watch, notice: Notice, key: str, sender: str, now: datetime) -> list[Message]:
    emails = [render_email(notice, key, address, sender, now) for address in watch.emails]
    hooks = [render_webhook(notice, key, hook.url, hook.secret.get_secret_value()) for hook in watch.webhooks]
    return emails + hooks


def match_new_articles(
    backend: SearchBackend, store: EventStore, article_ids: Sequence[str], watches: Sequence[Watch] | None = None
) -> list[WatchAlert]:
    """Which watches the articles match, gathered per event cluster (nothing is recorded)."""
    watches = backend.watches() if watches is None else watches
    if not watches or not article_ids:
        return []
    return watch_alerts(watches, backend.match_watches(list(article_ids)), store.events_of, backend.get)


def queue_watch_alerts(
    outbox: Outbox, watches: Sequence[Watch], alerts: Sequence[WatchAlert], sender: str, now: datetime
) -> AlertReport:
    """Claim each (watch, item) once; instant watches get their new items in one message now,
    daily ones keep them for the day's message."""
    report = AlertReport(matched=len(alerts))
    by_name = {watch.name: watch for watch in watches}
    with outbox.transaction():
        fresh: dict[str, list[AlertItem]] = {}
        for alert in alerts:
            watch = by_name[alert.watch]
            if not watch.emails and not watch.webhooks:
                continue  # saved without channels (the desk): claimed once it has some
            if outbox.claim(f"watch:{watch.name}", alert.item.key, watch.cadence, alert.item.model_dump_json(), now):
                fresh.setdefault(watch.name, []).append(alert.item)
        for name, items in fresh.items():
            report.new += len(items)
            watch = by_name[name]
            if watch.cadence != "instant":
                continue
            key = batch_key(f"watch:{name}:instant", [item.key for item in items])
            notice = Notice(kind="watch", name=name, items=items)
            report.queued += sum(outbox.enqueue(m, now) for m in messages_for(watch, notice, key, sender, now))
            outbox.assign(f"watch:{name}", [item.key for item in items], key)
    return report


def queue_daily(outbox: Outbox, watches: Sequence[Watch], day: date, sender: str, now: datetime) -> int:
    """Each daily watch's waiting items in one message; returns the messages queued."""
    queued = 0
    with outbox.transaction():
        for watch in watches:
            if watch.cadence != "daily":
                continue
            waiting = outbox.waiting(f"watch:{watch.name}")
            if not waiting:
                continue
            keys = [key for key, _ in waiting]
            items = [AlertItem.model_validate_json(item) for _, item in waiting]
            key = batch_key(f"watch:{watch.name}:daily:{day.isoformat()}", keys)
            notice = Notice(kind="watch", name=watch.name, period=day.isoformat(), items=items)
            queued += sum(outbox.enqueue(m, now) for m in messages_for(watch, notice, key, sender, now))
            outbox.assign(f"watch:{watch.name}", keys, key)
    return queued


def trend_series(backend: SearchBackend, store: EventStore, settings: AlertsSettings, today: date) -> list[Series]:
    test = spike_test(settings)
    by_key: dict[str, Series] = {}
    for party, name, event_type, day, count in store.party_daily_counts():
        key = f"party:{party}:{event_type}"
        series = by_key.setdefault(key, Series(kind="party", key=key, label=f"{name} · {event_type}"))
        series.daily[day] = series.daily.get(day, 0) + count
    topics = topic_series(backend, settings.trends.topics, sorted(known_event_types()), ("en", "zh"), today, test)
    return [*by_key.values(), *topics]


def spike_test(settings: AlertsSettings) -> SpikeTest:
    return SpikeTest.model_validate(settings.trends.model_dump(include=set(SpikeTest.model_fields)))


def current_trends(backend: SearchBackend, store: EventStore, settings: AlertsSettings, today: date) -> list[Spike]:
    """Spikes, and the first appearance of watched parties, as of today."""
    test = spike_test(settings)
    series = trend_series(backend, store, settings, today)
    found = spikes(series, today, test)
    spiking = {spike.key for spike in found}
    watched = {f"party:{party}:" for party in settings.trends.watched_parties}
    for one in series:
        if one.key not in spiking and any(one.key.startswith(prefix) for prefix in watched):
            spike = judge(one, today, test)
            if spike.first_seen:
                found.append(spike)
    return found


def queue_trend_alerts(outbox: Outbox, found: Sequence[Spike], settings: AlertsSettings, today: date, now: datetime) -> int:
    """New spikes of this ISO week, once each, in one message to the trend recipients."""
    year, week, _ = today.isocalendar()
    period = f"{year}-W{week:02d}"
    trends = settings.trends
    with outbox.transaction():
        fresh = [s for s in found if outbox.claim(f"trend:{s.key}", period, "instant", s.model_dump_json(), now)]
        if not fresh:
            return 0
        key = batch_key(f"trends:{period}", [s.key for s in fresh])
        notice = Notice(kind="trend", name="trends", period=period, spikes=fresh)
        secret = trends.webhook_secret.get_secret_value() if trends.webhook_secret else ""
        messages = [render_email(notice, key, address, settings.smtp.sender, now) for address in trends.emails]
        messages += [render_webhook(notice, key, url, secret) for url in trends.webhooks]
        return sum(outbox.enqueue(message, now) for message in messages)


def deliver(outbox: Outbox, settings: AlertsSettings, now: Callable[[], datetime] = utcnow) -> DeliveryReport:
    smtp = SmtpOptions.model_validate(settings.smtp.model_dump())
    policy = RetryPolicy(
        attempts_per_run=settings.attempts_per_run, wait_seconds=settings.retry_wait_seconds,
        backoff_minutes=settings.backoff_minutes, max_backoff_minutes=settings.max_backoff_minutes,
    )  # fmt: skip
    senders = {"email": lambda row: send_email(row, smtp), "webhook": lambda row: post_webhook(row, settings.webhook_timeout)}
    return deliver_due(outbox, senders, policy, now)


def run_alerts(
    backend: SearchBackend,
    store: EventStore,
    outbox: Outbox,
    settings: AlertsSettings,
    article_ids: Sequence[str] = (),
    daily: bool = False,
    today: date | None = None,
) -> AlertReport:
    """Match the new articles, queue what is new (and the daily messages and trend alerts when
    ``daily``), then send everything due in the outbox."""
    now = utcnow()
    today = today or now.date()
    watches = backend.watches()
    alerts = match_new_articles(backend, store, article_ids, watches)
    report = queue_watch_alerts(outbox, watches, alerts, settings.smtp.sender, now)
    if daily:
        report.queued += queue_daily(outbox, watches, today, settings.smtp.sender, now)
        if settings.trends.enabled:
            report.spikes = current_trends(backend, store, settings, today)
            report.queued += queue_trend_alerts(outbox, report.spikes, settings, today, now)
    report.delivery = deliver(outbox, settings)
    return report


def partition_article_ids(assets_dir: Path, partitions: Iterable[tuple[str, str]]) -> list[str]:
    """The ids the search index holds for these (source, day) partitions' articles: each
    article, or the canonical article a copy was merged into."""
    adapter = TypeAdapter(list[EnrichedArticle])
    ids: dict[str, None] = {}
    for source_id, day in partitions:
        path = partition_file(assets_dir, "enriched_articles", source_id, day)
        if not path.exists():
            continue
        with gzip.open(path, "rb") as stream:
            for article in adapter.validate_json(stream.read()):
                ids[article.duplicate.canonical_id if article.duplicate else article.id] = None
    return list(ids)


# `watch test` looks at no more than this many of the window's articles.
PREVIEW_LIMIT = 5000


def preview_watch(backend: SearchBackend, store: EventStore, watch: Watch, days: int, now: datetime) -> list[AlertItem]:
    """What the watch would have alerted about over the last ``days`` days (nothing recorded)."""
    since = now - timedelta(days=days)
    if watch.query.since and watch.query.since > since:
        since = watch.query.since
    ids = hit_ids(backend, watch.query.model_copy(update={"since": since}), PREVIEW_LIMIT)
    return cluster_items(watch, ids, store.events_of, backend.get)


def evaluate_partitions(
    backend: SearchBackend, store: EventStore, outbox: Outbox, settings: AlertsSettings, assets_dir: Path,
    partitions: Iterable[tuple[str, str]], daily: bool = False,
) -> AlertReport:
    """``run_alerts`` for the articles of these (source, day) partitions and of any deferred
    earlier; if the search cluster cannot be reached they are all deferred (and it raises)."""
    partitions = sorted(set(partitions) | set(outbox.deferred()))
    try:
        report = run_alerts(backend, store, outbox, settings, partition_article_ids(assets_dir, partitions), daily)
    except ClusterUnavailable as problem:
        outbox.defer(partitions, str(problem))
        raise
    outbox.undefer(partitions)
    return report


def alert_partitions(settings: Settings, partitions: Iterable[tuple[str, str]], daily: bool = False) -> AlertReport:
    """``evaluate_partitions`` with the configured index, event store and outbox (what
    `medradar run` does after its runs)."""
    from pipeline.resources import AlertsResource, EventStoreResource, SearchBackendResource

    resource = AlertsResource.from_settings(settings)
    with (
        SearchBackendResource.from_settings(settings).open() as backend,
        EventStoreResource.from_settings(settings).open() as store,
        resource.open() as outbox,
    ):
        return evaluate_partitions(backend, store, outbox, resource.settings, settings.assets_dir, partitions, daily)
