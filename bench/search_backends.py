"""Bulk indexing and search latency at 100,000 articles: embedded SQLite vs Elasticsearch vs
OpenSearch, in one run on this machine.

    .venv/bin/python bench/search_backends.py                 # 100,000 articles, all three
    .venv/bin/python bench/search_backends.py --articles 10000 --backends sqlite,elasticsearch

The articles are built from real news text (the English and Chinese ground-truth bodies in
../shared/corpora: sentences drawn at random, seeded), half English, half Chinese, with event
labels, 20 sources and two years of dates. Each backend gets the same articles through its
``upsert`` (batches of 2,000, as the pipeline writes a partition) and the same 300 queries
(English and Chinese words, half with filters), each with three facets, a monthly histogram
and a highlighted snippet; p50/p95 are taken after 30 warm-up queries.

For the clusters, each batch is also bulk-loaded, at the same moment, two ways that set the
figures in context: the engine's own rate on the same articles (title and text, standard
analyzer, plain index, the client's bulk helper: how ../shared/search-engines.md measured the
engines) and MedRadar's documents pre-built into MedRadar's mapping (the engine's share of the
cost: the segmented Chinese fields, keywords, dates, events). MedRadar's upsert adds the
client's share (jieba segmentation, documents, event documents; a create per article, and an
update-if-changed for those the index already holds).
The engines are started here (one node each, 1 GB heap) and stopped afterwards.
Results go to bench/results/search_backends.md (and .json).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from enrich.schema import EnrichedArticle, EventMention  # noqa: E402
from scripts import search_engine  # noqa: E402
from search import dsl  # noqa: E402
from search.backend import ClusterOptions, open_backend  # noqa: E402
from search.cluster import ClusterBackend  # noqa: E402
from search.documents import index_document  # noqa: E402
from search.engines import connect  # noqa: E402
from search.query import SearchQuery  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpora"
RESULTS = REPO / "bench" / "results"
STATE = REPO / ".engines" / "bench"
# Measured on this kind of machine (../shared/search-engines.md): the engine's own bulk rate.
NOTE_BULK = {"elasticsearch": 2259, "opensearch": 2086}
TYPES = ["partnership", "ai", "merger_acquisition"]
EN_WORDS = ["hospital", "patients", "company", "technology", "government", "research", "market", "health",
            "data", "clinical", "device", "acquisition", "partnership", "treatment", "investment", "doctors"]
ZH_WORDS = ["医院", "合作", "技术", "市场", "患者", "研究", "发展", "企业", "医疗", "政府", "人工智能", "投资",
            "服务", "国家", "管理", "教育"]  # fmt: skip


def sentences() -> tuple[list[str], list[str]]:
    english = [
        body["articleBody"]
        for body in json.loads((CORPORA / "aeb" / "ground-truth.json").read_text()).values()
    ]
    chinese = [path.read_text(errors="replace") for path in sorted((CORPORA / "cwce-zh" / "cleaned").glob("*.txt"))]
    chinese += [
        page["content"]
        for page in json.loads((CORPORA / "magic-html" / "base.json").read_text()).values()
        if re.search(r"[\u4e00-\u9fff]{20}", page["content"])
    ]
    split_en = [s.strip() for text in english for s in re.split(r"(?<=[.!?])\s+", text) if 40 <= len(s.strip()) <= 300]
    split_zh = [
        s.strip()
        for text in chinese
        for s in re.split(r"(?<=[。！？])", re.sub(r"\s+", "", text))
        if 10 <= len(s.strip()) <= 120 and re.search(r"[\u4e00-\u9fff]", s)
    ]
    return split_en, split_zh


def articles(count: int, seed: int = 7) -> list[EnrichedArticle]:
    english, chinese = sentences()
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    made = []
    for number in range(count):
        zh = number % 2 == 1
        pool = chinese if zh else english
        body: list[str] = []
        while sum(map(len, body)) < (600 if zh else 1800):  # ~300 words; ~600 characters
            body.append(rng.choice(pool))
        title = rng.choice(pool)[: 40 if zh else 110]
        labels = rng.sample(TYPES, rng.choice([0, 0, 1, 1, 1, 2]))
        published = start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        source = f"{'cn' if zh else 'en'}-source-{number % 10}"
        url = f"https://{source}.example/news/{number}.html"
        made.append(
            EnrichedArticle(
                id=f"a{number:07d}", source_id=source, url=url, canonical_url=url, title=title,
                text=("" if zh else " ").join(body), lang="zh" if zh else "en", published_at=published,
                fetched_at=published + timedelta(hours=2),
                events=[EventMention(type=t, score=2.0, evidence=[body[0]], layers=["rules"]) for t in labels],
            )
        )  # fmt: skip
    return made


def queries(count: int, seed: int = 11) -> list[SearchQuery]:
    rng = random.Random(seed)
    made = []
    for number in range(count):
        words = rng.sample(ZH_WORDS if number % 2 else EN_WORDS, rng.choice([1, 1, 2]))
        filters = {}
        if number % 4 == 1:
            filters["types"] = [rng.choice(TYPES)]
        if number % 4 == 2:
            filters["since"] = "2025-01-01"
        made.append(
            SearchQuery(
                text=" ".join(words), limit=20, facets=["types", "langs", "sources"], histogram="month", **filters
            )
        )
    return made


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure_backend(name: str, backend, docs: list[EnrichedArticle], searches: list[SearchQuery], batch: int,
                    references: dict[str, PlainBulk] | None = None) -> dict:
    """Bulk rate through ``upsert`` in batches, then search latency. With ``references`` (a
    cluster's plain bulk loads), each batch also goes through each of them, one after the
    other, so that every rate sees the same machine load (other work here varies by the minute)."""
    references = references or {}
    ours = 0.0
    spent = {label: 0.0 for label in references}
    for offset in range(0, len(docs), batch):
        part = docs[offset : offset + batch]
        for label, reference in references.items():
            spent[label] += reference(part)
        begin = time.perf_counter()
        stats = backend.upsert(part)
        ours += time.perf_counter() - begin
        assert stats.failed == 0 and stats.spooled == 0 and stats.inserted == len(part), stats
        done = offset + len(part)
        others = "".join(f", {label} {done / seconds:,.0f}" for label, seconds in spent.items())
        print(f"  {name}: {done:>7,} indexed, {done / ours:,.0f} docs/s{others}   ", end="\r", flush=True)
    print()
    assert backend.count() == len(docs)
    for query in searches[:30]:
        backend.search(query)
    latencies, totals = [], []
    for query in searches[30:]:
        begin = time.perf_counter()
        result = backend.search(query)
        latencies.append((time.perf_counter() - begin) * 1000)
        totals.append(result.total)
    measured = {
        "bulk_docs_per_s": round(len(docs) / ours),
        "bulk_seconds": round(ours, 1),
        "search_p50_ms": round(percentile(latencies, 0.50), 1),
        "search_p95_ms": round(percentile(latencies, 0.95), 1),
        "search_mean_ms": round(statistics.mean(latencies), 1),
        "queries": len(latencies),
        "mean_hits_total": round(statistics.mean(totals)),
    }
    for label, seconds in spent.items():
        measured[f"{label}_docs_per_s"] = round(len(docs) / seconds)
        measured[f"ratio_to_{label}"] = round(seconds / ours, 2)
    return measured


class PlainBulk:
    """A reference bulk load: the client's bulk helper, one stream, documents built before the
    clock starts. ``engine_own``: title + text, standard analyzer, a plain index (as
    ../shared/search-engines.md measured the engines). ``our_documents``: MedRadar's documents
    into an index of MedRadar's article mapping — the engine's share of MedRadar's cost."""

    def __init__(self, engine_name: str, urls: list[str], index: str, body: dict, source):
        self.engine = connect(ClusterOptions(urls=tuple(urls), spool_dir=Path(tempfile.mkdtemp())), engine_name)
        self.index, self.source = index, source
        if self.engine.indices(index):
            self.engine.delete_index(index)
        self.engine.create_index(index, body)
        self.written = 0

    def __call__(self, docs: list[EnrichedArticle]) -> float:
        actions = [{"_index": self.index, "_id": d.id, "_source": self.source(d)} for d in docs]
        begin = time.perf_counter()
        done, errors = self.engine.helpers.bulk(self.engine.client, actions, chunk_size=500, raise_on_error=False)
        self.engine.refresh(self.index)
        seconds = time.perf_counter() - begin
        assert not errors
        self.written += done
        return seconds

    def close(self) -> None:
        assert self.engine.count(self.index) == self.written
        self.engine.delete_index(self.index)
        self.engine.close()


def references(engine_name: str, urls: list[str]) -> dict[str, PlainBulk]:
    plain = {
        "settings": {"number_of_shards": 1, "number_of_replicas": 0},
        "mappings": {"properties": {"title": {"type": "text"}, "text": {"type": "text"}}},
    }
    probe = ClusterBackend(connect(ClusterOptions(urls=tuple(urls), spool_dir=Path(tempfile.mkdtemp())), engine_name),
                           ClusterOptions(urls=tuple(urls), spool_dir=Path(tempfile.mkdtemp())))  # fmt: skip
    caps = probe.probe().model_copy(update={"percolator": False})
    ours = dsl.index_template("articles", "unused", caps, shards=1, replicas=0)["template"]
    return {
        "engine_own": PlainBulk(engine_name, urls, "bench-plain", plain, lambda d: {"title": d.title, "text": d.text}),
        "our_documents": PlainBulk(engine_name, urls, "bench-ours", ours, lambda d: index_document(d, caps.cjk)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=330)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,elasticsearch,opensearch")
    parser.add_argument("--output", type=Path, default=RESULTS / "search_backends")
    args = parser.parse_args()
    backends = args.backends.split(",")
    print(f"building {args.articles:,} articles from real text…")
    docs = articles(args.articles)
    searches = queries(args.queries)
    results: dict[str, dict] = {}
    work = Path(tempfile.mkdtemp(prefix="medradar-bench-"))
    for name in backends:
        if name == "sqlite":
            with open_backend("sqlite", sqlite_path=work / "index.sqlite") as backend:
                results[name] = measure_backend(name, backend, docs, searches, args.batch)
            continue
        running = search_engine.start(name, nodes=1, root=STATE, fresh=True, log=print)
        try:
            warm_up = references(name, running.urls)["engine_own"]  # the JVM warms up before any timing
            warm_up(docs[: args.batch])
            warm_up.engine.delete_index(warm_up.index)
            loads = references(name, running.urls)
            options = ClusterOptions(urls=tuple(running.urls), spool_dir=work / "spool", index_prefix="bench")
            with open_backend(name, sqlite_path=work / "unused", cluster=options) as backend:
                results[name] = measure_backend(name, backend, docs, searches, args.batch, references=loads)
            for load in loads.values():
                load.close()
            results[name]["ratio_to_shared_note"] = round(results[name]["bulk_docs_per_s"] / NOTE_BULK[name], 2)
        finally:
            search_engine.stop(name, STATE, log=print)
    write(args, results)


def write(args: argparse.Namespace, results: dict[str, dict]) -> None:
    args.output.parent.mkdir(parents=True, exist_ok=True)
    command = "  ".join(["", ".venv/bin/python bench/search_backends.py", *sys.argv[1:]]).strip()
    meta = {
        "load_average_at_end": [round(x, 2) for x in __import__("os").getloadavg()],
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores, Python {platform.python_version()}",
        "articles": args.articles,
        "queries": args.queries - 30,
    }
    args.output.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    lines = [
        "# Search backends: bulk indexing and search latency",
        "",
        f"`{command}` — {meta['date']}, {meta['machine']}, {args.articles:,} articles (half English, half Chinese),",
        f"{meta['queries']} timed queries each with 3 facets, a monthly histogram and a highlighted snippet.",
        f"Load average at the end (other work on this shared 2-core machine): {meta['load_average_at_end']}.",
        "",
        "| backend | bulk docs/s (MedRadar's upsert) | engine's own bulk docs/s | upsert ÷ engine's own | our documents pre-built, docs/s | upsert ÷ pre-built | search p50 ms | search p95 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        cells = [f"{r['bulk_docs_per_s']:,}"]
        for label in ("engine_own", "our_documents"):
            rate = r.get(f"{label}_docs_per_s")
            cells += [f"{rate:,}" if rate else "—", str(r.get(f"ratio_to_{label}", "—"))]
        lines.append(f"| {name} | {' | '.join(cells)} | {r['search_p50_ms']} | {r['search_p95_ms']} |")
    lines += [
        "",
        "Ratios to the shared note's engine rates (ES 2,259, OpenSearch 2,086 docs/s, 20,000 docs): "
        + ", ".join(f"{n} {r['ratio_to_shared_note']}" for n, r in results.items() if "ratio_to_shared_note" in r),
    ]
    args.output.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
