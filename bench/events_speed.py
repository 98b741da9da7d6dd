"""Throughput of the rules path of event classification on real news articles.

The rules path is what `medradar classify` and the enriched_articles asset run without
models: trigger patterns with headline/lead weighting, status, parties (gazetteer automata,
jieba boundary checks, candidate discovery, role patterns) and amounts. Articles are the
ground-truth texts of ../shared/corpora (aeb and magic-html English, cwce-zh and magic-html
Chinese); the first line is taken as the headline. One process, one thread.

Run:  .venv/bin/python bench/events_speed.py [--repeat 5] [--out bench/results/events_speed.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "corpora"
sys.path.insert(0, str(REPO))

from enrich.amounts import FxRates  # noqa: E402
from enrich.analyser import AnalyserConfig, build_analyser  # noqa: E402
from enrich.classifier import ArticleText  # noqa: E402
from enrich.language import detect_language  # noqa: E402
from pipeline.config import FxSettings  # noqa: E402


def corpus() -> list[ArticleText]:
    texts = [body["articleBody"] for body in json.loads((SHARED / "aeb" / "ground-truth.json").read_text()).values()]
    texts += [page["content"] for page in json.loads((SHARED / "magic-html" / "base.json").read_text()).values()]
    texts += [path.read_text(encoding="utf-8") for path in sorted((SHARED / "cwce-zh" / "cleaned").glob("*.txt"))]
    articles = []
    for text in texts:
        title, _, body = text.strip().partition("\n")
        lang = detect_language(text)
        if lang in ("en", "zh") and body.strip():
            articles.append(ArticleText(title.strip(), body.strip(), lang))
    return articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "events_speed.md")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    fx = FxSettings()
    analyser = build_analyser(AnalyserConfig(fx=FxRates.of(fx.usd_per_unit, fx.as_of)))
    articles = corpus()
    analyser.analyse(articles[:20])  # load jieba's dictionaries and compile patterns once
    rows = []
    for lang in ("en", "zh", "all"):
        subset = [a for a in articles if lang == "all" or a.lang == lang]
        wall, cpu = [], []
        for _ in range(args.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            mentions = analyser.analyse(subset)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        chars = sum(len(a.title) + len(a.text) for a in subset)
        rows.append(
            f"| {lang} | {len(subset)} | {chars // len(subset):,} | {sum(1 for m in mentions if m)} | "
            f"{len(subset) / statistics.median(cpu):,.0f} | {len(subset) / min(cpu):,.0f} | "
            f"{len(subset) / statistics.median(wall):,.0f} | {chars / statistics.median(cpu) / 1e6:.2f} |"
        )
    lines = [
        "# Rules-path throughput (event classification, status, parties, amounts)",
        "",
        f"Command: `.venv/bin/python bench/events_speed.py --repeat {args.repeat}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other work, Python "
        f"{platform.python_version()}; the process is pinned to one core. {args.repeat} passes over the corpus. "
        "Throughput is articles per second of the process's own CPU time (median and best pass), which "
        "other load on the machine disturbs less than wall time (also shown, median).",
        "",
        "| articles | count | mean chars | with events | articles/s CPU (median) | articles/s CPU (best) "
        "| articles/s wall (median) | M chars/s CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        "Articles: ground-truth texts of `../shared/corpora` (aeb, magic-html, cwce-zh), first line as headline.",
        "Target: 500 articles/s on one core.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
