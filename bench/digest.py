"""Render time per weekly digest: content selection (SQL over the event store, search index
for Chinese stories and articles), the matplotlib chart, Jinja2 + css-inline HTML, the text
part, and the MIME message, on a synthetic 9 weeks of deals.

    .venv/bin/python bench/digest.py                    # 9 weeks × 20 articles a day, 7 runs
    .venv/bin/python bench/digest.py --per-day 40 --runs 5

Articles are made from the fixture week's shapes (English and Chinese reports of one deal,
syndicated copies, amounts over four orders of magnitude), indexed in the embedded index and
stored in a real event store first (not timed). Each run renders the last week's digest from
scratch. Results go to bench/results/digest.md.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from enrich.schema import Amount, EnrichedArticle, EventMention, Party, Translation  # noqa: E402
from pipeline.config import AlertsSettings, DigestProfile  # noqa: E402
from pipeline.digest.content import Week, select_content  # noqa: E402
from pipeline.digest.render import digest_email, render_digest  # noqa: E402
from pipeline.eventstore import EventStore  # noqa: E402
from search.sqlite import SqliteBackend  # noqa: E402
from tests.pipeline.digest_week import load_week  # noqa: E402

TYPES = ["partnership", "merger_acquisition", "ai", "funding", "licensing", "regulatory"]
SOURCES = [("wire", "en"), ("fierce", "en"), ("dive", "en"), ("36kr", "zh"), ("vcbeat", "zh")]
WEEK = Week.parse("2025-W10")


def corpus(per_day: int, seed: int = 0) -> list[EnrichedArticle]:
    """Per day, ``per_day`` articles; about a third of the deals are reported twice (the
    second time in the other language), so events span outlets and languages."""
    rng = random.Random(seed)
    first = WEEK.shifted(-8).start
    articles = []
    for day in range(63):
        for n in range(per_day):
            kind = rng.choice(TYPES)
            a, b = rng.randrange(400), rng.randrange(400)
            parties = [Party(id=f"org-{a}", name=f"Org {a}", name_zh=f"机构{a}"), Party(id=f"org-{b}x", name=f"Org {b}X")]
            usd = 10 ** rng.uniform(6, 10) if rng.random() < 0.7 else None
            reports = 2 if rng.random() < 0.35 else 1
            for copy in range(reports):
                source, lang = rng.choice([s for s in SOURCES if copy == 0 or s[1] != articles[-1].lang])
                when = first + timedelta(days=day, hours=rng.randrange(24), minutes=copy * 90)
                title = f"Org {a} and Org {b}X: {kind} worth ${usd or 0:,.0f}" if lang == "en" else f"机构{a}与Org {b}X宣布{kind}"
                extra = {}
                if lang == "zh":
                    extra = {"title_en": title.replace(f"机构{a}与", f"Org {a} and ").replace("宣布", " announce "),
                             "translation": Translation(status="done" if rng.random() < 0.8 else "pending", model="m")}
                articles.append(EnrichedArticle(
                    id=f"d{day}n{n}c{copy}", source_id=source, url=f"https://{source}.example/{day}/{n}/{copy}",
                    canonical_url=f"https://{source}.example/{day}/{n}/{copy}", title=title, text=title + "。" * 3,
                    lang=lang, published_at=when, fetched_at=when,
                    events=[EventMention(type=kind, score=0.9, evidence=[title], parties=parties,
                                         amount=Amount(value=usd, currency="USD", usd=usd) if usd else None)],
                    **extra,
                ))  # fmt: skip
    return articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-day", type=int, default=20, help="deals reported per day")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "digest.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        articles = corpus(args.per_day)
        backend = SqliteBackend(directory / "index.sqlite")
        store = EventStore(directory / "events.sqlite", window_days=90)
        started = time.perf_counter()
        load_week(backend, store, articles)
        loading = time.perf_counter() - started
        events = len(store.events())
        profile = DigestProfile(name="bench", watched_parties=["org-7"])
        trends = AlertsSettings()
        stages: dict[str, list[float]] = {"select": [], "chart + text": [], "html (Jinja2 + css-inline)": [], "email": [], "total": []}
        for _ in range(args.runs):
            t0 = time.perf_counter()
            content = select_content(backend, store, profile, WEEK, trends)
            t1 = time.perf_counter()
            digest = render_digest(content)
            t2 = time.perf_counter()
            html = digest.html("chart.png")
            t3 = time.perf_counter()
            email = digest_email(digest, "digest:bench:2025-W10", "reader@example.org", "MedRadar <d@example.org>", datetime.now(UTC))
            t4 = time.perf_counter()
            for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
                stages[name].append(seconds)
        backend.close()
        store.close()
    medians = {name: statistics.median(values) for name, values in stages.items()}
    command = "`.venv/bin/python bench/digest.py" + (f" --per-day {args.per_day}" if args.per_day != 20 else "") + (
        f" --runs {args.runs}`" if args.runs != 7 else "`"
    )
    lines = [
        "# Weekly digest render time",
        "",
        f"{command} — {datetime.now(UTC).isoformat(timespec='seconds')}, {platform.machine()},"
        f" {platform.python_version()}, load average at the end {[round(x, 2) for x in __import__('os').getloadavg()]}"
        " (a shared 2-core machine).",
        "",
        f"Corpus: {len(articles):,} articles over 9 weeks ({args.per_day} deals a day, a third reported twice in two"
        f" languages) → {events:,} events; {content.total.this_week} in the digest's week ({content.week}). Stored first in"
        f" {loading:.1f} s (not timed below). {args.runs} runs; the median of each stage:",
        "",
        "| stage | median ms | share |",
        "| --- | ---: | ---: |",
        *[f"| {name} | {seconds * 1000:.0f} | {seconds / medians['total']:.0%} |" for name, seconds in medians.items() if name != "total"],
        f"| **per digest** | **{medians['total'] * 1000:.0f}** | 100% |",
        "",
        f"HTML {len(html.encode()) / 1000:.1f} kB (limit 100 kB), chart PNG {len(digest.chart) / 1000:.1f} kB, whole email"
        f" {len(email.payload) / 1000:.1f} kB. Items shown: {content.item_counts()}.",
        "",
        "The chart (matplotlib, Agg) is most of the render; the first digest of a process also pays matplotlib's"
        " font cache (not in these medians: every run after the first reuses it).",
    ]
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
