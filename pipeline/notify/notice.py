"""What one alert message says, whatever carries it: a watch's items or a trend's spikes."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from search.alerts import AlertItem
from search.trends import Spike


class Notice(BaseModel):
    kind: Literal["watch", "trend"]
    name: str = Field(description="the watch's name, or 'trends'")
    period: str | None = Field(default=None, description="daily messages and trends: the day or week they cover")
    items: list[AlertItem] = Field(default_factory=list)
    spikes: list[Spike] = Field(default_factory=list)

    @property
    def subject(self) -> str:
        if self.kind == "trend":
            lead = self.spikes[0].label if self.spikes else ""
            more = f" and {len(self.spikes) - 1} more" if len(self.spikes) > 1 else ""
            return f"[MedRadar] trend: {lead}{more}"
        lead = self.items[0].title if self.items else ""
        more = f" (+{len(self.items) - 1} more)" if len(self.items) > 1 else ""
        when = f" {self.period}" if self.period else ""
        return one_line(f"[MedRadar] {self.name}{when}: {lead}{more}", 200)


def safe_link(url: str | None) -> str | None:
    """A link only to http(s) pages: scraped ``javascript:`` or ``data:`` URLs are shown, not linked."""
    if not url:
        return None
    return url if urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


def one_line(text: str, limit: int) -> str:
    """Scraped text made fit for a header: no line breaks, bounded."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
