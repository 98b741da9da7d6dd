"""Extraction benchmark: MedRadar's articles stage against a plain ``trafilatura.extract``.

On every page of the shared corpora (``../shared/corpora``) with ground truth:

- text precision/recall/F1 per corpus and language (token level; character level for
  Chinese and Japanese, see ``bench.scoring``), macro-averaged over pages, for
  ``plain``: ``trafilatura.extract(page_bytes, url=url)`` with its defaults,
  ``ours``: our extraction (``enrich.extract`` on the decoded page, headline line removed),
  ``ours+gates``: the whole ``build_article``, a rejected page counting as no text;
- speed in pages/s of ``plain`` and of the whole ``build_article``;
- the quality gates on the non-article pages (which should be rejected) and on the
  article pages (which should not);
- published dates against the corpora's dates; title and body language.

Usage (from the repository root):

    .venv/bin/python -m bench.extraction                # all corpora, writes bench/results/extraction.md
    .venv/bin/python -m bench.extraction --corpus cwce-zh --limit 20 --output -
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import dateparser
import trafilatura

from bench.corpora import TEXT_CORPORA, CorpusPage, load_all
from bench.scoring import Counts, PageScore, snippet_counts, text_counts
from enrich.articles import build_article
from spiders.encoding import decode_html
from enrich.extract import extract, parse_html
from enrich.schema import Article, Rejection
from pipeline.config import ArticlesSettings

RESULTS = Path(__file__).parent / "results" / "extraction.md"
COMMAND = ".venv/bin/python -m bench.extraction"
CHINESE_CORPORA = {"cwce-zh", "gne"}


@dataclass
class PageRun:
    page: CorpusPage
    plain: str
    ours: str
    result: Article | Rejection
    plain_seconds: float
    ours_seconds: float
    metadata_date: str | None


def timezone_of(page: CorpusPage) -> str:
    """The time zone dates without an offset are read in: Beijing for Chinese pages."""
    return "Asia/Shanghai" if page.corpus in CHINESE_CORPORA or page.lang == "zh" else "UTC"


def fetched_at(page: CorpusPage) -> datetime:
    crawl = page.extra.get("crawl_date")
    return datetime.fromisoformat(crawl).replace(tzinfo=UTC) if crawl else datetime.now(UTC)


def run_page(page: CorpusPage, rules) -> PageRun:  # noqa: ANN001 - ArticleRules
    body = page.body
    url = page.url or f"https://corpus.invalid/{page.corpus}/{page.id}"
    started = time.perf_counter()
    plain = trafilatura.extract(body, url=page.url) or ""
    plain_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = build_article(
        source_id=page.corpus,
        url=url,
        body=body,
        fetched_at=fetched_at(page),
        rules=rules,
        timezone=timezone_of(page),
    )
    ours_seconds = time.perf_counter() - started
    tree = parse_html(decode_html(body)[0])
    extracted = extract(tree, url) if tree is not None else None
    ours = extracted.text if extracted else ""
    return PageRun(page, plain, ours, result, plain_seconds, ours_seconds, extracted.date if extracted else None)


def counts(page: CorpusPage, text: str) -> Counts:
    if page.truth_text is not None:
        return text_counts(text, page.truth_text, page.lang)
    return snippet_counts(text, page.must_have, page.must_not_have)


def text_table(runs: list[PageRun]) -> list[str]:
    scores: dict[tuple[str, str], dict[str, list[PageScore]]] = defaultdict(lambda: defaultdict(list))
    for run in runs:
        page = run.page
        if not page.is_article or (page.truth_text is None and not page.must_have):
            continue
        after_gates = run.ours if isinstance(run.result, Article) else ""
        key = (page.corpus, page.language_group)
        scores[key]["plain"].append(PageScore.of(counts(page, run.plain)))
        scores[key]["ours"].append(PageScore.of(counts(page, run.ours)))
        scores[key]["ours+gates"].append(PageScore.of(counts(page, after_gates)))
        scores[key]["rejected"].append(PageScore(0, 0, float(isinstance(run.result, Rejection))))
    lines = [
        "| corpus | lang | pages | plain P | plain R | plain F1 | ours P | ours R | ours F1 | ours+gates R | ours+gates F1 | rejected |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for corpus, lang in sorted(scores):
        row = scores[(corpus, lang)]
        plain, ours, gated = (_mean(row[name]) for name in ("plain", "ours", "ours+gates"))
        rejected = int(sum(score.f1 for score in row["rejected"]))
        mark = " **(lower)**" if ours[2] < plain[2] - 0.0005 else ""
        lines.append(
            f"| {corpus} | {lang} | {len(row['plain'])} | {plain[0]:.3f} | {plain[1]:.3f} | {plain[2]:.3f} "
            f"| {ours[0]:.3f} | {ours[1]:.3f} | {ours[2]:.3f}{mark} | {gated[1]:.3f} | {gated[2]:.3f} | {rejected} |"
        )
    return lines


def recall_losses(runs: list[PageRun]) -> list[str]:
    """The pages where ours finds less of the true text than plain, and whether that is the
    comment section (plain with ``include_comments=False`` finds no more than ours)."""
    lost = comments = 0
    for run in runs:
        page = run.page
        if not page.is_article or (page.truth_text is None and not page.must_have):
            continue
        ours, plain = counts(page, run.ours).recall, counts(page, run.plain).recall
        if ours < plain - 1e-9:
            lost += 1
            without_comments = trafilatura.extract(page.body, url=page.url, include_comments=False) or ""
            comments += counts(page, without_comments).recall <= ours + 1e-9
    return [
        f"Pages where ours finds less of the true text than plain: {lost}. On {comments} of them plain"
        " itself finds no more than ours once told to leave comments out (`include_comments=False`):"
        " what ours does not keep there is the readers' comment section, by design."
    ]


def _mean(scores: list[PageScore]) -> tuple[float, float, float]:
    n = len(scores) or 1
    return (
        sum(s.precision for s in scores) / n,
        sum(s.recall for s in scores) / n,
        sum(s.f1 for s in scores) / n,
    )


def gate_tables(runs: list[PageRun]) -> list[str]:
    lines = ["### Non-article pages (should be rejected)", "", "| corpus | page | kind | outcome |", "| --- | --- | --- | --- |"]
    caught = total = 0
    for run in runs:
        page = run.page
        if page.is_article or page.extra.get("synthetic"):
            continue
        total += 1
        outcome = run.result.reason if isinstance(run.result, Rejection) else "accepted as an article"
        caught += isinstance(run.result, Rejection)
        lines.append(f"| {page.corpus} | {page.id[:40]} | {page.kind} | {outcome} |")
    lines += ["", f"Rejected {caught} of {total} non-article pages.", ""]
    lines += ["### Article pages rejected (false rejections), by reason", ""]
    by_corpus: dict[str, Counter[str]] = defaultdict(Counter)
    pages: Counter[str] = Counter()
    for run in runs:
        if run.page.is_article:
            pages[run.page.corpus] += 1
            if isinstance(run.result, Rejection):
                by_corpus[run.page.corpus][run.result.reason] += 1
    reasons = sorted({reason for counter in by_corpus.values() for reason in counter})
    lines += ["| corpus | article pages | rejected | " + " | ".join(reasons) + " |", "| --- | ---: | ---: |" + " ---: |" * len(reasons)]
    for corpus in sorted(pages):
        counter = by_corpus[corpus]
        lines.append(
            f"| {corpus} | {pages[corpus]} | {sum(counter.values())} | " + " | ".join(str(counter[r]) for r in reasons) + " |"
        )
    total_pages, total_rejected = sum(pages.values()), sum(sum(c.values()) for c in by_corpus.values())
    lines += ["", f"{total_rejected} of {total_pages} article pages rejected ({total_rejected / total_pages:.1%}), each:", ""]
    lines += ["| corpus | page | reason | detail | true text (chars) |", "| --- | --- | --- | --- | ---: |"]
    for run in runs:
        if run.page.is_article and isinstance(run.result, Rejection):
            page = run.page
            truth = len(page.truth_text) if page.truth_text else sum(len(s) for s in page.must_have)
            lines.append(f"| {page.corpus} | {page.url or page.id} | {run.result.reason} | {run.result.detail} | {truth} |")
    return lines


def truth_datetime(value: str, zone: tzinfo) -> tuple[datetime, bool] | None:
    """A corpus's date (ISO, or as printed) in ``zone`` unless it has an offset, and
    whether it has a time of day."""
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1) if len(value) > 10 else value)
    except ValueError:
        parsed = dateparser.parse(value, languages=["zh", "en"], settings={"DATE_ORDER": "YMD"})
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    has_time = ":" in value and (parsed.hour, parsed.minute, parsed.second) != (0, 0, 0)  # midnight: a day written as a datetime
    return parsed, has_time


def page_frame(run: PageRun, default: ZoneInfo) -> tzinfo:
    """The offset the page states for its date, else the corpus's time zone: a true date
    without an offset is a calendar day where the page was published, not in UTC."""
    if run.metadata_date and re.search(r"[+-]\d{4}$", run.metadata_date):
        return datetime.fromisoformat(run.metadata_date).tzinfo or default
    return default


def date_table(runs: list[PageRun], plain: dict[tuple[str, str], str | None]) -> list[str]:
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    for run in runs:
        page = run.page
        if not page.is_article or not page.truth_date or not isinstance(run.result, Article):
            continue
        truth = truth_datetime(page.truth_date, page_frame(run, ZoneInfo(timezone_of(page))))
        if truth is None:
            continue
        expected, has_time = truth
        frame = expected.tzinfo
        row = stats[page.corpus]
        row["pages"] += 1
        published = run.result.published_at
        plain_date = plain.get((page.corpus, page.id))
        if plain_date and plain_date[:10] == expected.date().isoformat():
            row["plain_day"] += 1
        if published is None:
            continue
        row["found"] += 1
        local = published.astimezone(frame)
        if local.date() == expected.date():
            row["day"] += 1
        if has_time:
            row["with_time"] += 1
            if abs((local.replace(tzinfo=None) - expected.replace(tzinfo=None)).total_seconds()) < 60:
                row["time"] += 1
        row[f"from_{run.result.published_from}"] += 1
    lines = [
        "| corpus | articles with a true date | plain trafilatura: right day | ours: found | ours: right day | true dates with a time | ours: right minute | from metadata / byline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for corpus in sorted(stats):
        row = stats[corpus]
        n = row["pages"]
        minute = f"{row['time'] / row['with_time']:.0%}" if row["with_time"] else "–"
        lines.append(
            f"| {corpus} | {n} | {row['plain_day'] / n:.0%} | {row['found'] / n:.0%} | {row['day'] / n:.0%} "
            f"| {row['with_time']} | {minute} | {row['from_metadata']} / {row['from_byline']} |"
        )
    return lines


def language_table(runs: list[PageRun]) -> list[str]:
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    for run in runs:
        page, result = run.page, run.result
        if not page.is_article or not isinstance(result, Article) or not page.lang:
            continue
        row = stats[page.corpus]
        row["pages"] += 1
        row["body"] += result.lang == page.language_group
        row["title"] += result.title_lang == page.language_group
        if result.script:
            row[result.script] += 1
    lines = [
        "| corpus | articles | body language right | title language right | Simplified / Traditional |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for corpus in sorted(stats):
        row = stats[corpus]
        n = row["pages"]
        lines.append(
            f"| {corpus} | {n} | {row['body'] / n:.1%} | {row['title'] / n:.1%} | {row['Hans']} / {row['Hant']} |"
        )
    return lines


def speed_lines(runs: list[PageRun]) -> list[str]:
    plain = sum(run.plain_seconds for run in runs)
    ours = sum(run.ours_seconds for run in runs)
    n = len(runs)
    return [
        f"- plain `trafilatura.extract`: {n / plain:.1f} pages/s",
        f"- ours, the whole `build_article` (decode, extract with metadata and dates, byline, gates, language, script): "
        f"{n / ours:.1f} pages/s, {ours / plain:.2f}× the time of plain",
        f"- {n} pages, {sum(len(run.page.body) for run in runs) / 1e6:.1f} MB, one process, on {platform.machine()}"
        f" ({platform.python_implementation()} {platform.python_version()}, trafilatura {trafilatura.__version__})",
    ]


def plain_dates(pages: Iterable[CorpusPage]) -> dict[tuple[str, str], str | None]:
    """trafilatura's own date for each page (its default htmldate settings), for comparison."""
    dates = {}
    for page in pages:
        if page.is_article and page.truth_date:
            metadata = trafilatura.extract_metadata(page.body, default_url=page.url)
            dates[(page.corpus, page.id)] = metadata.date if metadata else None
    return dates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="append", choices=TEXT_CORPORA, help="only this corpus (repeatable)")
    parser.add_argument("--limit", type=int, help="at most this many pages per corpus")
    parser.add_argument("--output", default=str(RESULTS), help="results file; - for stdout")
    args = parser.parse_args(argv)
    rules = ArticlesSettings().rules()
    pages: list[CorpusPage] = []
    for corpus in args.corpus or TEXT_CORPORA:
        selected = list(load_all([corpus]))
        pages += selected[: args.limit] if args.limit else selected
    runs = []
    for number, page in enumerate(pages, 1):
        runs.append(run_page(page, rules))
        if number % 100 == 0:
            print(f"{number}/{len(pages)} pages", file=sys.stderr)
    plain = plain_dates(pages)
    report = [
        "# Extraction benchmark",
        "",
        f"Reproduce: `{COMMAND}` (from the repository root; about 10 minutes on 2 idle cores).",
        f"Run on {datetime.now(UTC):%Y-%m-%d}. Corpora: `../shared/corpora` (see its README.md).",
        "",
        "## Main text",
        "",
        "Token-level precision/recall/F1 (bag of words; single characters for zh and ja),",
        "macro-averaged over the article pages with ground truth. trafilatura-eval has snippets",
        "instead of a full text: a must-contain snippet found is a true positive, a must-not-contain",
        "snippet found a false positive. **plain**: `trafilatura.extract(page_bytes, url=url)`.",
        "**ours**: `enrich.extract` (decoded first, comments left out); an article moves a first line",
        "that repeats the headline into its `title`, so that line is counted here, as plain has it.",
        "**ours+gates**: the whole `build_article`; a page the gates reject counts as no text.",
        "",
        *text_table(runs),
        "",
        *recall_losses(runs),
        "",
        "## Speed",
        "",
        *speed_lines(runs),
        "",
        "## Quality gates",
        "",
        *gate_tables(runs),
        "",
        "## Published dates",
        "",
        "Our `published_at` in the page's frame (the true date's offset; Beijing time for Chinese",
        "pages) against the corpora's dates. Plain: trafilatura's default date (day only).",
        "",
        *date_table(runs, plain),
        "",
        "## Language",
        "",
        "Against the corpora's language (py3langid on the true text), as en / zh / other.",
        "",
        *language_table(runs),
        "",
    ]
    text = "\n".join(report)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
