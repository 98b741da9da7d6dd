"""How MedRadar shows things in a terminal. Scraped text is untrusted: it is printed as plain
text (never as Rich markup) with control characters removed, so a page cannot restyle or
hijack the terminal."""

from __future__ import annotations

import re

from rich.console import Console
from rich.text import Text

from pipeline.runner import PartitionReport
from search.query import SearchResult

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
        line.append(f" → articles {extracted} ({rejected} rejected)")
    if report.stages.get("enriched_articles"):
        line.append(f" → with events {report.count('enriched_articles', 'with_events')}")
    if report.stages.get("search_index"):
        indexed = report.count("search_index", "indexed")
        unchanged = report.count("search_index", "unchanged")
        line.append(f" → indexed {indexed} ({unchanged} unchanged)")
        for key in ("failed", "spooled", "replayed"):
            if report.count("search_index", key):
                line.append(f", {key} {report.count('search_index', key)}", style="yellow" if key != "replayed" else "")
    if not report.success:
        line.append(f"  FAILED: {safe(report.error)}", style="red")
    return line


def print_totals(reports: list[PartitionReport]) -> None:
    totals = {
        "pages fetched": sum(r.count("raw_pages", "pages_fetched") for r in reports),
        "articles extracted": sum(r.count("articles", "extracted") for r in reports),
        "articles with events": sum(r.count("enriched_articles", "with_events") for r in reports),
        "articles indexed": sum(
            r.count("search_index", "indexed") + r.count("search_index", "unchanged") for r in reports
        ),
    }
    out.print(Text("totals: ", style="bold") + Text(", ".join(f"{k} {v}" for k, v in totals.items())))


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
        out.print(plain(f"   {hit.source_id} · {hit.lang} · {when} · {labels}", "dim"))
        out.print(plain(f"   {hit.url}", "blue"))
        out.print(Text("   ") + snippet)

