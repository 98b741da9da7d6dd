"""The lossless raw store: every response and every failure, as gzip JSON Lines.

Layout: ``<root>/<source_id>/<YYYY-MM-DD>/<crawl_id>.jsonl.gz``, one segment per crawl of a
source on a day. Each record is written as its own gzip member and flushed, so a crawl killed
halfway leaves a readable segment: the reader stops cleanly at a truncated last member.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PageKind = Literal["feed", "sitemap", "listing", "article"]


class Redirect(BaseModel):
    """One hop of a redirect chain: the URL that answered, and how it redirected."""

    url: str
    reason: str = Field(description="the HTTP status (301, 302...) or 'meta refresh'")


class RawPage(BaseModel):
    """One fetch, exactly as it happened (or why it could not happen)."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    source_id: str
    crawl_id: str
    kind: PageKind = Field(description="why the page was fetched")
    request_url: str
    url: str = Field(description="final URL after redirects")
    redirects: list[Redirect] = Field(default_factory=list, description="the hops from request_url to url")
    canonical_url: str | None = Field(
        default=None,
        description="the crawler's key for the page: its rel=canonical if on the site, else its URL, normalised",
    )
    found_on: str | None = Field(default=None, description="the feed, sitemap or listing that linked it")
    status: int | None = Field(default=None, description="HTTP status; None when nothing came back")
    headers: dict[str, list[str]] = Field(default_factory=dict)
    fetched_at: datetime
    body: bytes = b""
    header_encoding: str | None = Field(
        default=None, description="charset of the Content-Type header (labels resolved as browsers do: gbk → gb18030)"
    )
    declared_encoding: str | None = Field(
        default=None, description="what the body declares: BOM, <meta charset> or <?xml encoding?> (resolved)"
    )
    detected_encoding: str | None = Field(
        default=None, description="the codec the body bytes decode with (see spiders.encoding)"
    )
    error: str | None = Field(
        default=None, description="'<reason code>: detail' when the fetch failed or the page is unusable"
    )

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        """A conditional request answered 304: nothing new, and nothing wrong."""
        return self.error is None and self.status == 304

    @property
    def reason(self) -> str | None:
        """The reason code of a failure (the part of ``error`` before the colon)."""
        return self.error.split(":", 1)[0] if self.error else None

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


class RawStore:
    """Where raw pages live on disk, and how to append and read them."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def segment_path(self, source_id: str, day: date, crawl_id: str) -> Path:
        return self.root / source_id / day.isoformat() / f"{crawl_id}.jsonl.gz"

    def segments(self, source_id: str, day: date) -> list[Path]:
        return sorted((self.root / source_id / day.isoformat()).glob("*.jsonl.gz"))

    def days(self, source_id: str) -> list[date]:
        """The days with stored pages for a source, oldest first."""
        folder = self.root / source_id
        days = []
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            try:
                day = date.fromisoformat(path.name)
            except ValueError:
                continue  # not a day's folder
            if self.segments(source_id, day):
                days.append(day)
        return days

    def pages(self, source_id: str, day: date) -> Iterator[RawPage]:
        for segment in self.segments(source_id, day):
            yield from read_segment(segment)

    def writer(self, source_id: str, day: date, crawl_id: str) -> SegmentWriter:
        return SegmentWriter(self.segment_path(source_id, day, crawl_id))


class SegmentWriter:
    """Appends records to one segment; each record is a complete gzip member."""

    def __init__(self, path: Path):
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "ab")  # noqa: SIM115 - closed in close()
        self.records = 0
        self.bytes = 0

    def write(self, page: RawPage) -> None:
        line = page.model_dump_json().encode("utf-8") + b"\n"
        self._file.write(gzip.compress(line, mtime=0))
        self._file.flush()
        self.records += 1
        self.bytes += len(page.body)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_segment(path: Path) -> Iterator[RawPage]:
    """Yield the records of a segment, stopping quietly at a truncated tail."""
    with gzip.open(path, "rb") as stream:
        try:
            for line in stream:
                if line.endswith(b"\n"):
                    yield RawPage.model_validate_json(line)
        except (EOFError, gzip.BadGzipFile, zlib.error):
            # A crawl killed mid-write: every complete record before this point is intact.
            return
