"""The analysts' desk at 100,000 articles, per backend: search API latency (p50/p95, through
HTTP to the real app served by uvicorn) and the search page fully rendered in headless
Chromium (navigation to the load event: HTML, stylesheet, facets, histogram, 20 cards).

    .venv/bin/python bench/desk.py                                  # 100,000 articles, all three
    .venv/bin/python bench/desk.py --articles 20000 --backends sqlite

The corpus and the queries are bench/search_backends.py's (real news sentences, half Chinese;
English and Chinese words, half with filters); each API call asks for three facets and a
monthly histogram, as the search page does. Engines are started here (one node each) and
stopped afterwards. Results go to bench/results/desk.md (and .json).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.search_backends import STATE, articles, percentile, queries  # noqa: E402
from scripts import search_engine  # noqa: E402
from search.backend import ClusterOptions, open_backend  # noqa: E402
from search.web import Desk, create_app  # noqa: E402
from search.web.server import bind, server, url_of  # noqa: E402

RESULTS = REPO / "bench" / "results"
WARM_UP = 20


def params_of(query) -> dict:
    params = {"q": query.text, "facet": ["types", "langs", "sources"], "histogram": "month"}
    if query.types:
        params["type"] = query.types
    if query.since:
        params["since"] = query.since.date().isoformat()
    return params


def measure(url: str, searches, pages: int) -> dict:
    times = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for number, query in enumerate(searches):
            started = time.perf_counter()
            answer = client.get("/api/search", params=params_of(query))
            elapsed = time.perf_counter() - started
            answer.raise_for_status()
            if number >= WARM_UP:
                times.append(elapsed * 1000)
    renders = []
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        for number, query in enumerate(searches[: pages + 3]):
            target = str(httpx.URL(url, params={k: v for k, v in params_of(query).items() if k in ("q", "type", "since")}))
            started = time.perf_counter()
            page.goto(target, wait_until="load")
            elapsed = time.perf_counter() - started
            if number >= 3:
                renders.append(elapsed * 1000)
        browser.close()
    return {
        "api_queries": len(times),
        "api_p50_ms": round(percentile(times, 0.5), 1),
        "api_p95_ms": round(percentile(times, 0.95), 1),
        "page_loads": len(renders),
        "page_p50_ms": round(percentile(renders, 0.5), 1),
        "page_p95_ms": round(percentile(renders, 0.95), 1),
    }


def served(opener, run):
    app = create_app(Desk(open_backend=opener))
    sock = bind("127.0.0.1", 0)
    running = server(app)
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.05)
    try:
        return run(url_of(sock))
    finally:
        running.should_exit = True
        thread.join(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=220)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,elasticsearch,opensearch")
    parser.add_argument("--output", type=Path, default=RESULTS / "desk")
    args = parser.parse_args()
    print(f"building {args.articles:,} articles from real text…")
    docs = articles(args.articles)
    searches = queries(args.queries)
    work = Path(tempfile.mkdtemp(prefix="medradar-desk-bench-"))
    results: dict[str, dict] = {}
    for name in args.backends.split(","):
        print(f"{name}: indexing {len(docs):,} articles…")
        if name == "sqlite":
            path = work / "index.sqlite"
            with open_backend("sqlite", sqlite_path=path) as backend:
                for start in range(0, len(docs), 2000):
                    backend.upsert(docs[start : start + 2000])
            results[name] = served(lambda: open_backend("sqlite", sqlite_path=path),
                                   lambda url: measure(url, searches, args.pages))  # fmt: skip
            continue
        running = search_engine.start(name, nodes=1, root=STATE, fresh=True, log=print)
        try:
            options = ClusterOptions(urls=tuple(running.urls), spool_dir=work / "spool", index_prefix="desk")
            with open_backend(name, sqlite_path=work / "unused", cluster=options) as backend:
                for start in range(0, len(docs), 2000):
                    backend.upsert(docs[start : start + 2000])
            results[name] = served(lambda: open_backend(name, sqlite_path=work / "unused", cluster=options),
                                   lambda url: measure(url, searches, args.pages))  # fmt: skip
        finally:
            search_engine.stop(name, STATE, log=print)
        print(name, results[name])
    write(args, results)


def write(args: argparse.Namespace, results: dict[str, dict]) -> None:
    args.output.parent.mkdir(parents=True, exist_ok=True)
    meta = {"articles": args.articles, "machine": f"{platform.machine()}, {platform.processor() or '?'}"}
    args.output.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    lines = [
        "# The desk: search API and search page at scale",
        "",
        f"Command: `.venv/bin/python bench/desk.py --articles {args.articles} --backends {args.backends}`",
        "",
        f"{args.articles:,} articles; API: {args.queries - WARM_UP} searches after {WARM_UP} warm-up ones, each with"
        " three facets and a monthly histogram; page: the search page loaded in headless Chromium (to the load event).",
        "",
        "| backend | API p50 ms | API p95 ms | page p50 ms | page p95 ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, figures in results.items():
        lines.append(f"| {name} | {figures['api_p50_ms']} | {figures['api_p95_ms']} | {figures['page_p50_ms']}"
                     f" | {figures['page_p95_ms']} |")  # fmt: skip
    args.output.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
