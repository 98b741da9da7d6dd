"""The digest archive: ``<digests_dir>/<profile>/<ISO week>.html``, its chart beside it
(``.png``, which the page links to by file name) and what it held (``.json``: subject, item
counts), for the desk (``/digests``) and for reading later. Re-rendering a week replaces them."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline.digest.render import RenderedDigest


def archive_path(digests_dir: Path, profile: str, week: str) -> Path:
    return digests_dir / profile / f"{week}.html"


def write_html(digest: RenderedDigest, path: Path) -> Path:
    """The page at ``path``, its chart at the same name with ``.png`` (linked relatively, so
    the pair opens in a browser and is served as is)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    chart = path.with_suffix(".png")
    if digest.chart:
        _write(chart, digest.chart)
    html = digest.html(chart.name if digest.chart else None)
    _write(path, html.encode())
    return path


def write_archive(digest: RenderedDigest, digests_dir: Path) -> Path:
    content = digest.content
    path = write_html(digest, archive_path(digests_dir, content.profile, content.week))
    summary = {
        "profile": content.profile, "week": content.week, "subject": digest.subject, "empty": content.empty,
        "items": content.item_counts(), "chart": path.with_suffix(".png").name if digest.chart else None,
    }  # fmt: skip
    _write(path.with_suffix(".json"), json.dumps(summary, ensure_ascii=False, indent=2).encode())
    return path


def _write(path: Path, data: bytes) -> None:
    """Whole or not at all: the desk may be serving the file being replaced."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
