"""The shared real-page corpora (``../shared/corpora``) as one list of ``CorpusPage``.

Each folder keeps its own ground-truth format (see its SOURCE.md); this module reads them
into one shape: the page bytes exactly as saved, the expected main text (or the
must-contain / must-not-contain snippets of trafilatura's set), the expected publication
date, and whether the page is an article at all. Pages are never copied anywhere.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import lxml.html

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"

TEXT_CORPORA = ["aeb", "trafilatura-eval", "fundus", "readability", "newspaper4k", "magic-html", "cwce-zh", "gne"]

# Manifest kinds that are not articles: the pages the quality gates must reject.
NOT_ARTICLE_KINDS = {"list", "homepage", "redirect", "rss-in-html"}


@dataclass(frozen=True)
class CorpusPage:
    corpus: str
    id: str
    path: Path
    url: str | None
    kind: str
    lang: str | None
    is_article: bool
    truth_text: str | None = None
    must_have: tuple[str, ...] = ()
    must_not_have: tuple[str, ...] = ()
    truth_date: str | None = None
    truth_title: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def body(self) -> bytes:
        with gzip.open(self.path, "rb") as stream:
            return stream.read()

    @cached_property
    def language_group(self) -> str:
        return self.lang if self.lang in ("en", "zh") else "other"


def load(corpus: str, root: Path = CORPORA) -> list[CorpusPage]:
    folder = root / corpus
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    reader = _READERS[corpus]
    return [page for record in manifest if (page := reader(folder, record)) is not None]


def load_all(corpora: list[str] = TEXT_CORPORA, root: Path = CORPORA) -> Iterator[CorpusPage]:
    for corpus in corpora:
        yield from load(corpus, root)


def _page(folder: Path, record: dict, **fields: object) -> CorpusPage:
    kind = record["kind"]
    return CorpusPage(
        corpus=folder.name,
        id=record["id"],
        path=folder / record["input"],
        url=record.get("url"),
        kind=kind,
        lang=record.get("lang"),
        is_article=fields.pop("is_article", kind not in NOT_ARTICLE_KINDS),  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


_cache: dict[Path, dict] = {}


def _cached_json(path: Path) -> dict:
    if path not in _cache:
        _cache[path] = _json(path)
    return _cache[path]


def _aeb(folder: Path, record: dict) -> CorpusPage:
    truth = _cached_json(folder / "ground-truth.json")[record["id"]]
    return _page(folder, record, truth_text=truth["articleBody"])


def _trafilatura(folder: Path, record: dict) -> CorpusPage | None:
    gt = record.get("ground_truth")
    if not gt:
        return None  # the 43 pages trafilatura's unit tests use, with no annotation
    truth = _cached_json(folder / "evaldata.json")[gt["key"]]
    return _page(
        folder,
        record,
        must_have=tuple(truth.get("with") or ()),
        must_not_have=tuple(truth.get("without") or ()),
        truth_date=truth.get("date"),
        truth_title=truth.get("title"),
    )


def _fundus(folder: Path, record: dict) -> CorpusPage:
    gt = record["ground_truth"]
    truth = _cached_json(folder / gt["file"])[gt["key"]]
    body = truth["body"]
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts.extend(section.get("headline") or [])
        parts.extend(section.get("paragraphs") or [])
    return _page(
        folder,
        record,
        truth_text="\n".join(parts),
        truth_date=truth.get("publishing_date"),
        truth_title=truth.get("title"),
        extra={"crawl_date": record.get("crawl_date")},
    )


def _readability(folder: Path, record: dict) -> CorpusPage:
    case = folder / record["id"]
    metadata = _json(case / "expected-metadata.json")
    expected = (case / "expected.html").read_text(encoding="utf-8")
    text = _html_text(expected)
    readerable = bool(metadata.get("readerable"))
    return _page(
        folder,
        record,
        # Synthetic unit cases are tiny hand-made documents, not pages: neither side.
        is_article=readerable and record["kind"] != "synthetic",
        truth_text=text,
        truth_date=metadata.get("publishedTime"),
        truth_title=metadata.get("title"),
        extra={"readerable": readerable, "synthetic": record["kind"] == "synthetic"},
    )


def _newspaper(folder: Path, record: dict) -> CorpusPage:
    gt = record.get("ground_truth") or {}
    files = gt.get("files") or []
    text = date = title = None
    for name in files:
        if name.startswith("txt/"):
            text = (folder / name).read_text(encoding="utf-8")
        else:
            metadata = _json(folder / name)
            date, title = metadata.get("publish_date"), metadata.get("title")
    return _page(folder, record, truth_text=text, truth_date=date, truth_title=title)


def _magic(folder: Path, record: dict) -> CorpusPage:
    truth = _cached_json(folder / "base.json")[record["id"]]
    return _page(folder, record, truth_text=truth["content"])


def _cwce(folder: Path, record: dict) -> CorpusPage:
    files = record["ground_truth"]["files"]
    date = (folder / files["date"]).read_text(encoding="utf-8").strip()
    return _page(
        folder,
        record,
        truth_text=(folder / files["cleaned"]).read_text(encoding="utf-8"),
        truth_date=None if date.upper().startswith("UNK") else date,
        extra={"author": (folder / files["author"]).read_text(encoding="utf-8").strip()},
    )


def _gne(folder: Path, record: dict) -> CorpusPage:
    gt = record.get("ground_truth")
    truth = _cached_json(folder / "gne-output.json").get(gt["key"]) if gt else None
    return _page(
        folder,
        record,
        truth_text=truth["content"] if truth else None,
        truth_date=truth.get("publish_time") if truth else None,
        truth_title=truth.get("title") if truth else None,
    )


_READERS = {
    "aeb": _aeb,
    "trafilatura-eval": _trafilatura,
    "fundus": _fundus,
    "readability": _readability,
    "newspaper4k": _newspaper,
    "magic-html": _magic,
    "cwce-zh": _cwce,
    "gne": _gne,
}


def _html_text(html: str) -> str:
    """The text of an HTML fragment, one line per block, whitespace collapsed."""
    if not html.strip():
        return ""
    root = lxml.html.fromstring(html)
    for block in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "blockquote", "pre"):
        block.tail = "\n" + (block.tail or "")
    lines = (re.sub(r"\s+", " ", line).strip() for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)
