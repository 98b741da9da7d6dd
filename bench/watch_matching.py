"""Watch matching throughput: 1,000 watches against 10,000 newly indexed articles, on the
embedded SQLite index, Elasticsearch (no percolator on its core node: each watch runs as a
search restricted to the batch, through msearch) and OpenSearch (the percolator: the batch's
documents percolated through every stored watch in one pass).

    .venv/bin/python bench/watch_matching.py                               # 1,000 × 10,000, all three
    .venv/bin/python bench/watch_matching.py --watches 200 --articles 2000 --backends sqlite

The articles are those of bench/search_backends.py (real English and Chinese sentences from
../shared/corpora, seeded), with parties and amounts added to their events; the index first
holds as many older articles, so the restriction to the batch is not free. The new articles
are indexed in batches of ``--batch`` (a partition) and each batch is matched right after, as
the sensor does; only ``match_watches`` is timed. The watches are varied like real ones: one
or two words (English or Chinese), half with an event type, some with a language, a party or a
minimum amount. Engines are started here (one node each, 1 GB heap) and stopped afterwards.
Results go to bench/results/watch_matching.md (and .json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.search_backends import EN_WORDS, STATE, TYPES, ZH_WORDS, articles  # noqa: E402
from enrich.schema import Amount, EnrichedArticle, Party  # noqa: E402
from scripts import search_engine  # noqa: E402
from search.backend import ClusterOptions, open_backend  # noqa: E402
from search.query import SearchQuery  # noqa: E402
from search.watches import Watch  # noqa: E402

RESULTS = REPO / "bench" / "results"
PARTIES = [("stryker", "Stryker", "史赛克"), ("medtronic", "Medtronic", "美敦力"), ("mayo-clinic", "Mayo Clinic", "梅奥诊所"),
           ("siemens-healthineers", "Siemens Healthineers", "西门子医疗"), ("united-imaging", "United Imaging", "联影医疗")]  # fmt: skip


def with_parties(docs: list[EnrichedArticle], seed: int = 5) -> list[EnrichedArticle]:
    rng = random.Random(seed)
    for doc in docs:
        for event in doc.events:
            party_id, name, name_zh = rng.choice(PARTIES)
            event.parties = [Party(id=party_id, name=name, name_zh=name_zh)]
            if rng.random() < 0.5:
                usd = rng.choice([5e6, 5e7, 5e8, 5e9])
                event.amount = Amount(value=usd, currency="USD", usd=usd)
    return docs


def watches(count: int, seed: int = 13) -> list[Watch]:
    rng = random.Random(seed)
    made = []
    for number in range(count):
        words = rng.sample(ZH_WORDS if number % 2 else EN_WORDS, rng.choice([1, 1, 2]))
        query: dict = {"text": " ".join(words)}
        if number % 2 == 0:
            query["types"] = [rng.choice(TYPES)]
        if number % 5 == 0:
            query["langs"] = [rng.choice(["en", "zh"])]
        if number % 7 == 0:
            query["parties"] = [rng.choice(PARTIES)[rng.choice([1, 2])]]
        if number % 11 == 0:
            query["min_usd"] = rng.choice([1e7, 1e9])
        made.append(Watch(name=f"w{number:04d}", query=SearchQuery(**query), emails=["bd@example.org"]))
    return made


def measure(name: str, backend, old: list, new: list, watch_list: list[Watch], batch: int) -> dict:
    backend.upsert(old)
    for watch in watch_list:
        backend.put_watch(watch)
    matched = 0
    timed = 0.0
    for start in range(0, len(new), batch):
        chunk = new[start : start + batch]
        backend.upsert(chunk)
        began = time.perf_counter()
        matches = backend.match_watches([doc.id for doc in chunk])
        timed += time.perf_counter() - began
        matched += len(matches)
    caps = getattr(backend, "caps", None)
    result = {
        "articles_per_s": round(len(new) / timed, 1),
        "seconds": round(timed, 2),
        "matches": matched,
        "method": "percolator" if caps is not None and caps.percolator else "batch-restricted search",
    }
    print(f"{name}: {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=10_000, help="new articles matched (as many older ones indexed first)")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,elasticsearch,opensearch")
    parser.add_argument("--output", type=Path, default=RESULTS / "watch_matching")
    args = parser.parse_args()
    print(f"building {2 * args.articles:,} articles and {args.watches:,} watches…")
    docs = with_parties(articles(2 * args.articles))
    old, new = docs[: args.articles], docs[args.articles :]
    watch_list = watches(args.watches)
    work = Path(tempfile.mkdtemp(prefix="medradar-bench-"))
    results: dict[str, dict] = {}
    for name in args.backends.split(","):
        if name == "sqlite":
            with open_backend("sqlite", sqlite_path=work / "index.sqlite") as backend:
                results[name] = measure(name, backend, old, new, watch_list, args.batch)
            continue
        running = search_engine.start(name, nodes=1, root=STATE, fresh=True, log=print)
        try:
            options = ClusterOptions(urls=tuple(running.urls), spool_dir=work / "spool", index_prefix="benchwatch")
            with open_backend(name, sqlite_path=work / "unused", cluster=options) as backend:
                results[name] = measure(name, backend, old, new, watch_list, args.batch)
        finally:
            search_engine.stop(name, STATE, log=print)
    same = len({r["matches"] for r in results.values()}) == 1
    write(args, results, same)


def write(args: argparse.Namespace, results: dict[str, dict], same: bool) -> None:
    args.output.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join([".venv/bin/python bench/watch_matching.py", *sys.argv[1:]])
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "watches": args.watches, "articles": args.articles, "batch": args.batch, "same_matches": same,
    }  # fmt: skip
    args.output.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    fastest = max(r["articles_per_s"] for r in results.values())
    lines = [
        "# Watch matching throughput",
        "",
        f"`{command}` — {meta['date']}, {meta['machine']}: {args.watches:,} watches against {args.articles:,} new",
        f"articles (after as many older ones), matched in batches of {args.batch:,} as they are indexed.",
        f"Load average at the end (other work on this shared 2-core machine): {meta['load_average_at_end']}.",
        f"Every backend found the same number of (watch, article) matches: {'yes' if same else 'NO'}.",
        "",
        "| backend | method | articles/s | ÷ fastest | seconds matching | matches |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['method']} | {r['articles_per_s']:,} | {r['articles_per_s'] / fastest:.2f} | {r['seconds']} | {r['matches']:,} |"
        )
    args.output.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
