"""The digest's chart: events per day by type over 8 weeks, a stacked bar PNG (matplotlib, Agg).

Its legend names each type in English and Chinese, so it needs a font with Chinese glyphs:
Noto Sans CJK (Debian ``fonts-noto-cjk``, which ``make browser`` installs) is looked for by
file and through fontconfig; without one the legend is English only and a warning says why.
"""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: rendering to PNG bytes only

from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from pipeline.digest.content import TYPE_NAMES, Chart  # noqa: E402

log = logging.getLogger(__name__)

CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch, Fedora
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",  # macOS
)
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei")
COLOURS = {
    "partnership": "#2f6db5", "merger_acquisition": "#c0392b", "ai": "#8e44ad", "funding": "#27ae60",
    "licensing": "#d68910", "regulatory": "#5d6d7e",
}  # fmt: skip
OTHER_COLOURS = ("#17a589", "#a04000", "#1b4f72", "#7d3c98")
WIDTH, HEIGHT, DPI = 7.2, 2.8, 100  # 720 × 280 pixels


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """A font family with Chinese glyphs, or None (with a warning) if the machine has none."""
    for path in CJK_FONT_FILES:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
    for family in CJK_FAMILIES:
        try:
            font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        return family
    log.warning(
        "no font with Chinese glyphs found (install fonts-noto-cjk, or run `make browser`): "
        "the digest chart's legend is in English only"
    )
    return None


def chart_png(chart: Chart, title: str) -> bytes:
    """Stacked bars of events per day, one colour per type; Mondays labelled."""
    family = cjk_family()
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    axes = figure.add_subplot()
    positions = list(range(len(chart.days)))
    bottom = [0] * len(chart.days)
    others = iter(OTHER_COLOURS * 4)
    for kind, daily in chart.counts.items():
        english, chinese = TYPE_NAMES.get(kind, (kind, ""))
        label = f"{english} {chinese}" if family and chinese else english
        colour = COLOURS.get(kind) or next(others, "#999999")
        axes.bar(positions, daily, bottom=bottom, width=0.85, color=colour, label=label, linewidth=0)
        bottom = [b + n for b, n in zip(bottom, daily, strict=True)]
    mondays = [i for i, day in enumerate(chart.days) if day.weekday() == 0]
    axes.set_xticks(mondays, [chart.days[i].strftime("%d %b") for i in mondays])
    axes.set_xlim(-0.6, len(chart.days) - 0.4)
    top = max(bottom, default=0)
    axes.set_ylim(0, max(top * 1.15, 1))
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title(title, fontsize=10, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    axes.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    axes.set_axisbelow(True)
    if chart.counts:
        axes.legend(fontsize=7.5, frameon=False, loc="upper left", ncols=min(len(chart.counts), 6))
    else:
        axes.text(0.5, 0.5, "no events in these 8 weeks", transform=axes.transAxes, ha="center", color="#888888")
    for text in [axes.title, *axes.get_xticklabels(), *axes.get_yticklabels(), *(axes.get_legend().get_texts() if chart.counts else [])]:
        if family:
            text.set_fontfamily([family, "DejaVu Sans"])
    figure.tight_layout(pad=0.4)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def chart_alt(chart: Chart, week: str) -> str:
    """The chart in words (alt text, and the plain-text part's line about it)."""
    if not chart.total:
        return f"Chart: no events in the 8 weeks to {week}."
    per_type = ", ".join(f"{TYPE_NAMES.get(kind, (kind, ''))[0]} {sum(daily)}" for kind, daily in chart.counts.items())
    daily = [sum(values) for values in zip(*chart.counts.values(), strict=True)]
    busiest = max(range(len(daily)), key=lambda i: (daily[i], i))
    return (
        f"Chart: events per day by type over the 8 weeks to {week}: {chart.total} in all ({per_type});"
        f" the busiest day was {chart.days[busiest].isoformat()} with {daily[busiest]}."
    )
