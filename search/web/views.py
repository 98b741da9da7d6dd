"""Plain data for the templates: marked-up text as (piece, marked) pairs, safe links, the
histogram as bar geometry. Templates then only place escaped text; nothing here makes HTML."""

from __future__ import annotations

from urllib.parse import urlsplit

from enrich.schema import Amount
from search.documents import word_spans
from search.query import HistogramBucket

Pieces = list[tuple[str, bool]]

CHART_WIDTH, CHART_HEIGHT = 600, 120


def pieces(text: str, spans: list[tuple[int, int]]) -> Pieces:
    """``text`` cut at the spans: [(text, is_match), ...]."""
    out: Pieces = []
    at = 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            out.append((text[at:start], False))
        out.append((text[start:end], True))
        at = end
    if at < len(text):
        out.append((text[at:], False))
    return out


def paragraphs_marking(text: str, sentences: list[str]) -> list[Pieces]:
    """The text's paragraphs, with every evidence sentence in them marked."""
    wanted = [sentence.strip() for sentence in sentences if sentence.strip()]
    return [pieces(paragraph, word_spans(paragraph, wanted)) for paragraph in text.split("\n") if paragraph.strip()]


def safe_url(url: str | None) -> str | None:
    """The URL if a browser may follow it from our pages: http(s) only (no javascript:, data:...)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def amount_text(amount: Amount | None) -> str:
    if amount is None:
        return ""
    approx = "~" if amount.approximate else ""
    shown = f"{approx}{_short(amount.value)} {amount.currency}"
    if amount.usd is not None and amount.currency != "USD":
        shown += f" (≈ ${_short(amount.usd)})"
    return shown


def _short(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:g}"


def histogram_bars(buckets: list[HistogramBucket]) -> list[dict[str, object]]:
    """One bar per bucket, scaled to the chart (SVG coordinates; the tallest bar fills it)."""
    if not buckets:
        return []
    peak = max(bucket.count for bucket in buckets)
    width = CHART_WIDTH / len(buckets)
    bars = []
    for number, bucket in enumerate(buckets):
        height = max(2.0, (CHART_HEIGHT - 16) * bucket.count / peak)
        bars.append(
            {
                "x": round(number * width + 1, 1),
                "y": round(CHART_HEIGHT - height, 1),
                "width": round(max(1.0, width - 2), 1),
                "height": round(height, 1),
                "label": f"{bucket.start.isoformat()}: {bucket.count}",
                "start": bucket.start.isoformat(),
                "count": bucket.count,
            }
        )
    return bars
