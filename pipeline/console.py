"""How MedRadar shows things in a terminal. Scraped text is untrusted: it is printed as plain
text (never as Rich markup) with control characters removed, so a page cannot restyle or
hijack the terminal."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from enrich.head import HeadModel
from enrich.schema import Amount, Event
from pipeline.alerts import AlertReport
from pipeline.demo import DemoAlert
from pipeline.runner import STAGES, PartitionReport, PendingRetry, StageSummary
from search.query import SearchResult

if TYPE_CHECKING:  # matplotlib is imported only by the commands that draw
    from pipeline.digest.weekly import DigestRun

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def safe(text: object) -> str:
    """Text with terminal control characters (ANSI escapes, bidi overrides) removed."""
    return _CONTROL.sub("", str(text))


def plain(text: object, style: str = "") -> Text:
    return Text(safe(text), style=style)


def marked(text: str, spans: list[tuple[int, int]], style: str = "yellow") -> Text:
    """Plain text with the given [start, end) spans styled (each piece sanitised on its own)."""
    result = Text()
    position = 0
    for start, end in spans:
        result.append(safe(text[position:start]))
        result.append(safe(text[start:end]), style=style)
        position = end
    result.append(safe(text[position:]))
    return result


def error(message: str) -> None:
    err.print(plain(f"error: {message}", "red"))


def warning(message: str) -> None:
    err.print(plain(f"warning: {message}", "yellow"))


@contextmanager
def counter(what: str) -> Iterator[Callable[[int], None]]:
    """A live "N <what>" count on stderr while long work runs (silent when not a terminal)."""
    with err.status(f"0 {what}") as status:
        yield lambda count: status.update(f"{count} {what}")


def report_line(report: PartitionReport) -> Text:
    """One partition's per-stage counts."""
    line = Text()
    line.append(f"{report.source_id:<16} {report.day} ", style="bold")
    if report.stages.get("raw_pages"):
        fetched = report.count("raw_pages", "pages_fetched")
        failed = report.count("raw_pages", "pages_failed")
        line.append(f"pages {fetched} ({failed} failed)")
    if report.stages.get("articles"):
        extracted = report.count("articles", "extracted")
        rejected = report.count("articles", "rejected")
        duplicates = report.count("articles", "duplicates")
        line.append(f" → articles {extracted} ({rejected} rejected, {duplicates} duplicate{'s' if duplicates != 1 else ''})")
    if report.count("translated_articles", "to_translate"):
        pending = report.count("translated_articles", "pending")
        line.append(f" → translated {report.count('translated_articles', 'translated')}")
        if pending:
            line.append(f" ({pending} pending)", style="yellow")
    if report.stages.get("enriched_articles"):
        line.append(f" → with events {report.count('enriched_articles', 'with_events')}")
    if report.stages.get("events"):
        line.append(f" → events {report.count('events', 'events')} ({report.count('events', 'new_events')} new)")
    if report.stages.get("search_index"):
        indexed = report.count("search_index", "indexed")
        unchanged = report.count("search_index", "unchanged")
        line.append(f" → indexed {indexed} ({unchanged} unchanged)")
        for key in ("failed", "spooled", "replayed"):
            if report.count("search_index", key):
                line.append(f", {key} {report.count('search_index', key)}", style="yellow" if key != "replayed" else "")
    for check in report.failed_checks:
        line.append(f"  check failed: {check}", style="yellow")
    if not report.success:
        line.append(f"  FAILED: {safe(report.error)}", style="red")
    return line


def print_unavailable_layers(reports: list[PartitionReport]) -> None:
    """Once per command, the classifier layers that could not be loaded and why."""
    unavailable: dict[str, str] = {}
    for report in reports:
        unavailable.update(report.stages.get("enriched_articles", {}).get("unavailable_layers") or {})
    for layer, reason in unavailable.items():
        warning(f"{layer} layer unavailable, the other layers decided: {reason}")


def print_totals(reports: list[PartitionReport]) -> None:
    totals = {
        "pages fetched": sum(r.count("raw_pages", "pages_fetched") for r in reports),
        "articles extracted": sum(r.count("articles", "extracted") for r in reports),
        "articles translated": sum(r.count("translated_articles", "translated") for r in reports),
        "articles with events": sum(r.count("enriched_articles", "with_events") for r in reports),
        "articles indexed": sum(
            r.count("search_index", "indexed") + r.count("search_index", "unchanged") for r in reports
        ),
    }
    out.print(Text("totals: ", style="bold") + Text(", ".join(f"{k} {v}" for k, v in totals.items())))
    print_stage_summary(StageSummary.of(reports))
    print_translation_problems(reports)


def stage_summary_lines(summary: StageSummary) -> list[str]:
    """Per stage, what the runs did (the sums of the assets' metadata in the Dagster UI)."""
    rejected = ", ".join(f"{reason} {n}" for reason, n in sorted(summary.rejected_by_reason.items()))
    return [
        f"crawl      fetched {summary.fetched}, failed {summary.fetch_failed}",
        f"extract    extracted {summary.extracted} of {summary.article_pages} article page(s), rejected"
        f" {summary.rejected}{f' ({rejected})' if rejected else ''}, duplicates {summary.duplicates}",
        f"translate  translated {summary.translated} of {summary.to_translate}, pending {summary.translation_pending}",
        f"classify   classified {summary.classified}, with events {summary.with_events}",
        f"events     events {summary.events}, new {summary.new_events}",
        f"index      indexed {summary.indexed}, unchanged {summary.unchanged}, failed {summary.index_failed}"
        + (f", spooled {summary.spooled}" if summary.spooled else ""),
        f"runs       {summary.runs - summary.runs_failed} succeeded, {summary.runs_failed} failed",
    ]


def print_stage_summary(summary: StageSummary) -> None:
    out.print(Text("per stage:", style="bold"))
    for line in stage_summary_lines(summary):
        out.print(Text(f"  {line}", style="red" if line.startswith("runs") and summary.runs_failed else ""))


def stages_line(counts: Mapping[str, int], partitions: int) -> str:
    """ "raw_pages 3/4 · articles 2/4 · …": partitions each stage has materialised."""
    return " · ".join(f"{stage} {counts.get(stage, 0)}/{partitions}" for stage in STAGES)


@contextmanager
def polled_status(initial: str, poll: Callable[[], str], seconds: float = 1.0) -> Iterator[None]:
    """A live status line on the terminal, refreshed from ``poll()`` in a thread while the
    block runs (for work that reports through the Dagster instance, not to us)."""
    stop = threading.Event()
    with out.status(initial) as status:

        def refresh() -> None:
            while not stop.wait(seconds):
                try:
                    status.update(poll())
                except Exception:  # noqa: BLE001, S112 - a status line must never break the work it shows
                    continue

        thread = threading.Thread(target=refresh, name="medradar-status", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def print_translation_problems(reports: list[PartitionReport]) -> None:
    """Why Chinese articles were left untranslated: once per distinct reason."""
    pending: dict[str, int] = {}
    for report in reports:
        reason = str(report.stages.get("translated_articles", {}).get("translation_error") or "")
        if reason:
            pending[reason] = pending.get(reason, 0) + report.count("translated_articles", "pending")
    for reason, count in pending.items():
        out.print(
            plain(
                f"translation model unavailable: {reason}\n  {count} article(s) with Chinese text or headline "
                "indexed untranslated and marked pending; the next `medradar run` translates them once the model loads "
                "(see `translate.model` in medradar.yaml)",
                "yellow",
            )
        )


def print_pending_retry(retry: PendingRetry) -> None:
    if retry.unavailable:
        out.print(
            plain(
                f"{retry.waiting} article(s) from earlier runs still wait for a translation: "
                f"the model is unavailable ({retry.unavailable})",
                "yellow",
            )
        )
    elif retry.reports:
        done = sum(r.count("translated_articles", "translated") for r in retry.reports)
        out.print(plain(f"earlier pending translations: {done} of {retry.waiting} article(s) translated now"))


def print_hits(result: SearchResult) -> None:
    out.print(Text(f"{result.total} result{'s' if result.total != 1 else ''}", style="bold"))
    for facet, counts in result.facets.items():
        out.print(plain(f"{facet}: " + " · ".join(f"{count.value} {count.count}" for count in counts), "dim"))
    if result.histogram:
        peak = max(bucket.count for bucket in result.histogram)
        for bucket in result.histogram:
            bar = "█" * max(1, round(30 * bucket.count / peak))
            out.print(Text(f"  {bucket.start}  {bar} {bucket.count}", style="dim"))
    for rank, hit in enumerate(result.hits, 1):
        title = plain(f"{rank}. {hit.title}", "bold")
        title.highlight_words(result.terms, style="yellow", case_sensitive=False)
        when = hit.published_at.date().isoformat() if hit.published_at else "undated"
        labels = ", ".join(hit.labels) or "no event"
        snippet = marked(hit.snippet, hit.highlights)
        out.print(title)
        if hit.title_en:
            title_en = plain(f"   {hit.title_en}", "italic")
            title_en.highlight_words(result.terms, style="yellow", case_sensitive=False)
            out.print(title_en)
        out.print(plain(f"   {hit.source_id} · {hit.lang} · {when} · {labels}", "dim"))
        out.print(plain(f"   {hit.url}", "blue"))
        out.print(Text("   ") + snippet)



def event_line(event: Event) -> str:
    """"merger_acquisition · completed · Stryker (acquirer), Inari Medical (target) · ~$4.9B"."""
    parties = ", ".join(f"{p.name} ({p.role})" if p.role else p.name for p in event.parties) or "no named party"
    parts = [event.type, event.status, parties]
    if event.amount:
        parts.append(("~" if event.amount.approximate else "") + money(event.amount))
    return " · ".join(parts)


def money(amount: Amount) -> str:
    """In US dollars when there is a rate ("$4.9B", "$120M"), else as reported."""
    if amount.usd is None:
        return f"{amount.value:,.0f} {amount.currency}"
    if amount.usd >= 1e9:
        return f"${amount.usd / 1e9:.1f}B"
    return f"${amount.usd / 1e6:.1f}M" if amount.usd >= 1e6 else f"${amount.usd:,.0f}"


def print_events(events: list[Event]) -> None:
    out.print(Text(f"{len(events)} event{'s' if len(events) != 1 else ''}", style="bold"))
    for rank, event in enumerate(events, 1):
        when = event.date.date().isoformat() if event.date else "undated"
        out.print(plain(f"{rank}. {event_line(event)}", "bold"))
        out.print(plain(
            f"   first reported {when} · {len(event.article_ids)} article(s) · sources {', '.join(event.sources)}"
            f" · languages {', '.join(event.languages)} · id {event.id}", "dim",
        ))
        for evidence in event.evidence[:2]:
            out.print(plain(f"   “{evidence.sentence}” ({evidence.source_id})"))


def print_head(head: HeadModel) -> None:
    """What train-classifier learnt: per event type, its thresholds and validation F1."""
    out.print(Text(f"trained on {head.examples.get('train', 0)} examples, "
                   f"thresholds chosen on {head.examples.get('validation', 0)}", style="bold"))
    for label in head.labels:
        if label not in head.coef:
            out.print(plain(f"  {label:<20} too few examples: left to the other layers", "dim"))
            continue
        figures = head.validation.get(label, {})
        scores = ", ".join(f"{key.removesuffix('_f1')} F1 {value}" for key, value in figures.items() if key.endswith("_f1"))
        out.print(plain(f"  {label:<20} threshold {head.thresholds[label]:.2f}  "
                        f"validation positives {figures.get('positives', 0)}  {scores}"))


def print_alerts(report: AlertReport) -> None:
    """One line: what the watches matched and what the outbox sent."""
    delivery = report.delivery
    line = (
        f"alerts: {report.new} new item(s) of {report.matched} matched, {report.queued} message(s) queued,"
        f" {delivery.sent} sent"
    )
    if delivery.retry_later or delivery.failed:
        line += f", {delivery.retry_later} to retry later, {delivery.failed} failed (medradar outbox list)"
    out.print(plain(line, "bold"))
    for error in delivery.errors:
        warning(error)


def print_digest(run: DigestRun) -> None:
    """Where the digest is, what it holds, what was sent."""
    counts = run.content.item_counts()
    shown = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items() if n)
    out.print(plain(f"digest {run.profile} {run.week}: {run.subject}", "bold"))
    out.print(plain(
        f"  {'a quiet week (a short note)' if run.content.empty else shown} · rendered in {run.render_seconds * 1000:.0f} ms,"
        f" {run.html_bytes / 1000:.1f} kB of HTML"
    ))  # fmt: skip
    out.print(plain(f"  archived: {run.archive}"))
    if run.html_bytes > 100_000:
        warning(f"the HTML is {run.html_bytes / 1000:.0f} kB: mail clients clip above 100 kB (fewer items_per_section?)")
    if run.out:
        out.print(plain(f"  written: {run.out}"))
    if run.delivery is not None:
        delivery = run.delivery
        line = f"  {run.queued} message(s) queued, {delivery.sent} sent"
        if run.already_sent:
            line += f"; already sent to {', '.join(run.already_sent)} (--resend to send again)"
        if delivery.retry_later or delivery.failed:
            line += f"; {delivery.retry_later} to retry later, {delivery.failed} failed (medradar outbox list)"
        out.print(plain(line))
        for error in delivery.errors:
            warning(error)


def print_demo_alert(alert: DemoAlert) -> None:
    """The sample watch's alert as the local mail server received it: headers and the text part."""
    out.print(Text(f"\nsample alert: watch {alert.watch!r}, delivered to the local mail server at {alert.smtp}", style="bold"))
    print_alerts(alert.report)
    for message, path in zip(alert.messages, alert.eml_files, strict=False):
        out.print(plain(f"saved as {path}", "dim"))
        for header in ("From", "To", "Subject", "Message-ID"):
            out.print(plain(f"{header}: {message[header]}"))
        text = next((part.get_content() for part in message.walk() if part.get_content_type() == "text/plain"), "")
        out.print(plain(text.rstrip()))
    if not alert.messages:
        warning("the sample watch matched nothing this time")
