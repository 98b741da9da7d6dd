"""``medradar demo``: the whole pipeline against the bundled sample site, offline."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import yaml
from dagster import DagsterInstance

from typing import TYPE_CHECKING

from pipeline.alerts import AlertReport, partition_article_ids, run_alerts
from pipeline.config import Settings, SmtpSettings
from pipeline.notify.mailserver import LOOPBACK, LocalMailServer
from pipeline.notify.outbox import Outbox
from pipeline.resources import (
    DuplicateStoreResource,
    EventStoreResource,
    PendingTranslationsResource,
    SearchBackendResource,
)
from pipeline.runner import PartitionReport, run_ingest
from pipeline.sample_site.server import SampleSite, serve_sample_site
from search.query import SearchQuery
from search.watches import Watch
from spiders.sources import Source

if TYPE_CHECKING:  # matplotlib is imported when the digest is drawn, not with the CLI
    from pipeline.digest.weekly import DigestRun


@dataclass
class DemoResult:
    base_url: str
    sources: list[Source]
    reports: list[PartitionReport]


def demo_settings(settings: Settings) -> Settings:
    """The user's settings, with the sample site's sources instead of theirs."""
    return settings.model_copy(update={"sources_file": settings.data_dir / "demo" / "sources.yaml"})


def run_demo(
    settings: Settings,
    instance: DagsterInstance,
    port: int = 0,
    on_report: Callable[[PartitionReport], None] | None = None,
) -> DemoResult:
    settings = demo_settings(settings)
    with serve_sample_site(port=port) as base_url:
        sources = SampleSite().sources(base_url)
        write_sources(settings, sources)
        forget_sources(settings, [source.id for source in sources])
        reports = run_ingest(
            settings, [source.id for source in sources], datetime.now(UTC).date(), instance, on_report
        )
    return DemoResult(base_url=base_url, sources=sources, reports=reports)


def write_sources(settings: Settings, sources: list[Source]) -> None:
    settings.sources_file.parent.mkdir(parents=True, exist_ok=True)
    document = {"sources": [source.model_dump(mode="json") for source in sources]}
    settings.sources_file.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


def forget_sources(settings: Settings, source_ids: list[str]) -> None:
    """Remove what earlier runs stored for these sources: raw pages, the crawler's memory,
    stage outputs, pending translations, index, event mentions, duplicate fingerprints."""
    for source_id in source_ids:
        shutil.rmtree(settings.raw_dir / source_id, ignore_errors=True)
        shutil.rmtree(settings.crawl_state_dir / source_id, ignore_errors=True)
        if settings.assets_dir.is_dir():
            for asset_dir in settings.assets_dir.iterdir():
                shutil.rmtree(asset_dir / source_id, ignore_errors=True)
    with PendingTranslationsResource.from_settings(settings).open() as pending:
        pending.forget_sources(source_ids)
    with SearchBackendResource.from_settings(settings).open() as backend:
        backend.delete_sources(source_ids)
    with EventStoreResource.from_settings(settings).open() as store:
        store.delete_sources(source_ids)
    with DuplicateStoreResource.from_settings(settings).open() as duplicates:
        duplicates.forget_sources(source_ids)


DEMO_WATCH = "demo: Stryker deals"
DEMO_RECIPIENT = "analyst@example.com"


@dataclass
class DemoAlert:
    watch: str
    smtp: str
    report: AlertReport
    messages: list[EmailMessage]
    eml_files: list[Path]


def run_demo_alert(settings: Settings, reports: list[PartitionReport]) -> DemoAlert:
    """One sample watch matched against what the demo indexed, its alert delivered to a local
    SMTP server started for the purpose (and saved as .eml under the data directory). The
    demo's own outbox starts empty each time, so the alert is shown on every demo; the sample
    watch is removed afterwards so that later runs do not mail example.com."""
    settings = demo_settings(settings)
    demo_dir = settings.data_dir / "demo"
    mail_dir = demo_dir / "mail"
    shutil.rmtree(mail_dir, ignore_errors=True)
    outbox_file = demo_dir / "alerts.sqlite"
    for stale in demo_dir.glob("alerts.sqlite*"):
        stale.unlink()
    watch = Watch(
        name=DEMO_WATCH,
        query=SearchQuery(types=["merger_acquisition"], parties=["Stryker"]),
        emails=[DEMO_RECIPIENT],
    )
    with LocalMailServer(eml_dir=mail_dir) as server:
        alerts = settings.alerts.model_copy(
            update={"smtp": SmtpSettings(host=LOOPBACK, port=server.port), "outbox_path": outbox_file}
        )
        partitions = [(report.source_id, report.day.isoformat()) for report in reports if report.success]
        with (
            SearchBackendResource.from_settings(settings).open() as backend,
            EventStoreResource.from_settings(settings).open() as store,
            Outbox(outbox_file) as outbox,
        ):
            backend.put_watch(watch)
            try:
                report = run_alerts(backend, store, outbox, alerts, partition_article_ids(settings.assets_dir, partitions))
            finally:
                backend.delete_watch(DEMO_WATCH)
        messages = server.messages
    return DemoAlert(DEMO_WATCH, f"{LOOPBACK}:{server.port}", report, messages, sorted(mail_dir.glob("*.eml")))


DEMO_DIGEST = "demo"


def run_demo_digest(settings: Settings) -> DigestRun:
    """The sample digest: every demo event, for the week of the latest one (the sample site's
    stories are spread over a year), archived under the data directory; nothing is sent."""
    from pipeline.config import DigestProfile
    from pipeline.digest.content import Week
    from pipeline.digest.weekly import run_digest

    settings = demo_settings(settings)
    profile = DigestProfile(name=DEMO_DIGEST, title="MedRadar demo")
    with (
        SearchBackendResource.from_settings(settings).open() as backend,
        EventStoreResource.from_settings(settings).open() as store,
    ):
        latest = max((event.date for event in store.events() if event.date), default=datetime.now(UTC))
        return run_digest(backend, store, None, settings.alerts, profile, Week.of(latest.date()), settings.digests_dir)
