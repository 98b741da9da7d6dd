"""End-to-end benchmark: the whole pipeline, crawl to index, on a fixture web at scale.

One command: ``.venv/bin/python bench/e2e.py --pages 2000``. It generates the fixture web of
``bench/scale_web.py`` (real corpus text and pages, English and Chinese, served on 127.0.0.1
by its own process), then, for each backend (the embedded SQLite index, and an Elasticsearch
node started by ``scripts/search-engine``) and each language, runs the pipeline as
``medradar run`` does (one Dagster run per source, in process) in a fresh worker process
pinned to nothing, on a fresh data directory. Reported per stage and end to end: articles per
minute, CPU seconds per article, peak RSS, and the bottleneck stage; then a cProfile of the
slowest stage (``--profile-only`` to profile one stage alone).

Per-stage figures come from inside the worker: Dagster reports each step's start and end to
the instance in the step's thread, so a wrapper around ``handle_new_event`` reads the clock,
the process's CPU time (plus its crawler subprocess's) and resets/reads the peak RSS
(``/proc/self/clear_refs`` → ``VmHWM``) at those two moments. End to end: the worker's wall
time, CPU time and peak RSS from ``wait4`` (process start, imports and model loading included).

Translation: no weights can be downloaded, so the model is the real opus-mt-zh-en
architecture and tokenizer (``../shared/models/opus-mt-zh-en``) with random weights, built
here and converted to CTranslate2 int8 (``bench/translate.py``'s builder; never committed). A
random model never ends a sentence: each segment generates the maximum the translator allows
(3 × input + 16 tokens), about 2-3 × what a real translation emits, so the Chinese figures are
pessimistic. The zero-shot NLI layer is off (no weights either); the head is untrained: events
come from the rules layer, gazetteer, amounts and status cues.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

STAGES = ["raw_pages", "articles", "translated_articles", "enriched_articles", "events", "search_index"]
# What each stage's throughput counts, from its materialisation metadata.
STAGE_UNITS = {
    "raw_pages": ("raw_pages", "articles_fetched"),
    "articles": ("articles", "extracted"),
    "translated_articles": ("translated_articles", "to_translate"),
    "enriched_articles": ("enriched_articles", "articles"),
    "events": ("enriched_articles", "articles"),
    "search_index": ("search_index", "indexed"),
}


# -- the worker: one pipeline run, instrumented ---------------------------------------------


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_hwm() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass  # not Linux: the peak then covers everything before the step too


def worker(args: argparse.Namespace) -> None:
    import resource

    from pipeline.config import load_settings
    from pipeline.instance import open_instance
    from pipeline.runner import StageSummary, run_ingest

    settings = load_settings(args.config)
    instance = open_instance(settings)
    stages: dict[str, dict[str, float]] = {}
    started: dict[str, tuple[float, float, float]] = {}
    profiler = cProfile.Profile() if args.profile else None
    original = instance.handle_new_event

    def clocks() -> tuple[float, float, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.perf_counter(), time.process_time(), children.ru_utime + children.ru_stime

    def handle_new_event(event, **kwargs):
        dagster_event = event.dagster_event
        if dagster_event is not None and dagster_event.step_key in STAGES:
            stage, kind = dagster_event.step_key, dagster_event.event_type_value
            if kind == "STEP_START":
                _reset_hwm()
                started[stage] = clocks()
                if profiler and stage == args.profile:
                    profiler.enable()
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and stage in started:
                if profiler and stage == args.profile:
                    profiler.disable()
                wall0, cpu0, child0 = started.pop(stage)
                wall1, cpu1, child1 = clocks()
                figures = stages.setdefault(stage, {"wall": 0.0, "cpu": 0.0, "peak_rss_mb": 0.0})
                figures["wall"] += wall1 - wall0
                figures["cpu"] += (cpu1 - cpu0) + (child1 - child0)
                child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                figures["peak_rss_mb"] = max(figures["peak_rss_mb"], _vm_hwm_mb(), child_peak if stage == "raw_pages" else 0)
        return original(event, **kwargs)

    instance.handle_new_event = handle_new_event
    sources = [s.strip() for s in args.sources.split(",")]
    day = datetime.now(UTC).date()
    reports = run_ingest(settings, sources, day, instance)
    summary = StageSummary.of(reports)
    counts = {
        stage: sum(report.count(asset, key) for report in reports) for stage, (asset, key) in STAGE_UNITS.items()
    }
    result = {
        "stages": stages,
        "counts": counts,
        "summary": {k: v for k, v in vars(summary).items() if not isinstance(v, dict)}
        | {"rejected_by_reason": dict(summary.rejected_by_reason)},
        "failed": [f"{r.source_id}: {r.error}" for r in reports if not r.success],
    }
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(30)
        result["profile"] = stream.getvalue()
        profiler.dump_stats(str(Path(args.result).with_suffix(".prof")))
    Path(args.result).write_text(json.dumps(result, indent=2))


# -- the parent: fixture web, engines, one worker per (backend, language) --------------------


def run_worker(config: Path, sources: list[str], result: Path, profile: str | None = None) -> dict:
    command = [sys.executable, __file__, "--worker", "--config", str(config), "--sources", ",".join(sources),
               "--result", str(result)]  # fmt: skip
    if profile:
        command += ["--profile", profile]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    env.pop("DAGSTER_HOME", None)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"worker failed ({config}):\n{stderr[-3000:]}")
    figures = json.loads(result.read_text())
    figures["process"] = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}
    return figures


def write_config(directory: Path, web_sources: list, backend: str, es_urls: list[str], model: Path, ct2: Path) -> Path:
    import yaml

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sources.yaml").write_text(
        yaml.safe_dump({"sources": [s.model_dump(mode="json") for s in web_sources]}, allow_unicode=True)
    )
    config = {
        "data_dir": str(directory / "data"),
        "sources_file": "sources.yaml",
        # the fixture web is ours: politeness off, as crawl.py's "off" configuration
        "crawl": {"obey_robots": False, "autothrottle": False, "concurrency_per_domain": 2, "page_budget": 1_000_000,
                  "timeout": 60},  # fmt: skip
        "search": {"backend": backend, **({"urls": es_urls, "index_prefix": f"bench{os.getpid()}"} if es_urls else {})},
        "models": {"zero_shot": {"enabled": False}, "head": {"enabled": False}},
        "translate": {"model": str(model), "backend": "ctranslate2", "ct2_dir": str(ct2), "scope": "title_lead",
                      "threads": 2},  # fmt: skip
    }
    path = directory / "medradar.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def prefill(config: Path, count: int) -> None:
    """Fill the run's embedded index and event store with ``count`` articles first (real news
    sentences, bench/search_backends.py's), so its memory is measured at that scale: the
    stages read and rebuild across what the stores hold (events are recomputed from every
    stored mention)."""
    from datetime import date, timedelta

    from bench.search_backends import articles
    from pipeline.config import load_settings
    from pipeline.eventstore import EventStore
    from search.backend import open_backend

    settings = load_settings(config)
    made = articles(count)
    print(f"  prefilling {count:,} articles (index and event store)…", flush=True)
    with (
        open_backend("sqlite", sqlite_path=settings.index_path) as index,
        EventStore(settings.events_path, settings.events.window_days) as store,
    ):
        for number, start in enumerate(range(0, count, 10_000)):
            chunk = made[start : start + 10_000]
            index.upsert(chunk)
            store.replace_partition(f"prefill-{number}", date(2024, 1, 1) + timedelta(days=number), chunk)
        print(f"  the index holds {index.count():,} articles, the event store {len(store.events()):,} events", flush=True)


def start_web(pages: int, zh_share: float, sources_file: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "bench" / "scale_web.py"), "--pages", str(pages), "--zh-share", str(zh_share),
         "--sources-file", str(sources_file)],  # fmt: skip
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    line = process.stdout.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"the fixture web did not start: {line!r}")
    return process, line.strip()


def start_elasticsearch() -> tuple[list[str], bool]:
    from scripts import search_engine

    root = REPO_ROOT / ".engines" / "bench"
    already = search_engine.status("elasticsearch", root)
    running = already or search_engine.start("elasticsearch", nodes=1, root=root, fresh=True, log=lambda *_: None)
    search_engine.wait_healthy(running)
    return list(running.urls), already is None


def stop_elasticsearch() -> None:
    from scripts import search_engine

    search_engine.stop("elasticsearch", REPO_ROOT / ".engines" / "bench", log=lambda *_: None)


def per_minute(count: float, seconds: float) -> float:
    return 60 * count / seconds if seconds else 0.0


def stage_table(figures: dict) -> list[str]:
    lines = ["| stage | items | wall s | items/min | CPU s | CPU s/item | peak RSS MB |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for stage in STAGES:
        f = figures["stages"].get(stage)
        if not f:
            continue
        n = figures["counts"].get(stage, 0)
        lines.append(
            f"| {stage} | {n:,} | {f['wall']:.1f} | {per_minute(n, f['wall']):,.0f} | {f['cpu']:.1f} | "
            f"{f['cpu'] / n if n else 0:.4f} | {f['peak_rss_mb']:,.0f} |"
        )
    return lines


def bottleneck(figures: dict) -> str:
    return max(figures["stages"], key=lambda stage: figures["stages"][stage]["wall"])


def main() -> None:
    parser = argparse.ArgumentParser(description="End-to-end pipeline benchmark on a local fixture web at scale.")
    parser.add_argument("--pages", type=int, default=2000, help="article pages of the fixture web")
    parser.add_argument("--zh-share", type=float, default=0.25, help="share of Chinese article pages")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "elasticsearch"], choices=["sqlite", "elasticsearch"])
    parser.add_argument("--langs", nargs="+", default=["en", "zh"], choices=["en", "zh"])
    parser.add_argument("--profile-only", metavar="STAGE", help="only profile STAGE (sqlite, first language)")
    parser.add_argument("--no-profile", action="store_true", help="skip the profile of the slowest stage")
    parser.add_argument("--prefill", type=int, default=0, metavar="N",
                        help="the embedded index and event store hold N articles before each sqlite run (memory at scale)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results" / "e2e.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--sources", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    from bench.translate import build_models
    from spiders.sources import Source

    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="medradar-e2e-") as tmp:
        tmp_path = Path(tmp)
        print("building the random-weight opus-mt-zh-en model (CTranslate2 int8)…", flush=True)
        model, ct2 = build_models(tmp_path / "models")
        web, banner = start_web(args.pages, args.zh_share, tmp_path / "web-sources.yaml")
        print(banner, flush=True)
        import yaml

        all_sources = [Source.model_validate(s) for s in yaml.safe_load((tmp_path / "web-sources.yaml").read_text())["sources"]]
        results: dict[tuple[str, str], dict] = {}
        started_es = False
        try:
            if args.profile_only:
                lang = args.langs[0]
                sources = [s for s in all_sources if s.language == lang]
                config = write_config(tmp_path / "profile", sources, "sqlite", [], model, ct2)
                figures = run_worker(config, [s.id for s in sources], tmp_path / "profile.json", args.profile_only)
                print("\n".join(stage_table(figures)))
                print(figures["profile"])
                return
            for backend in args.backends:
                urls: list[str] = []
                if backend == "elasticsearch":
                    print("starting Elasticsearch (scripts/search-engine)…", flush=True)
                    urls, started_es = start_elasticsearch()
                for lang in args.langs:
                    sources = [s for s in all_sources if s.language == lang]
                    print(f"{backend} {lang}: {len(sources)} source(s)…", flush=True)
                    config = write_config(tmp_path / f"{backend}-{lang}", sources, backend, urls, model, ct2)
                    if args.prefill and backend == "sqlite":
                        prefill(config, args.prefill)
                    results[(backend, lang)] = figures = run_worker(config, [s.id for s in sources], tmp_path / f"{backend}-{lang}.json")
                    indexed = figures["counts"]["search_index"]
                    print(f"  {indexed} indexed in {figures['process']['wall']:.0f} s "
                          f"({per_minute(indexed, figures['process']['wall']):,.0f}/min end to end), "
                          f"bottleneck {bottleneck(figures)}", flush=True)  # fmt: skip
            profile = None
            if not args.no_profile and ("sqlite", args.langs[0]) in results:
                slowest = max(
                    ((lang, stage, figures["stages"][stage]["wall"]) for (b, lang), figures in results.items()
                     if b == "sqlite" for stage in figures["stages"]),
                    key=lambda item: item[2],
                )  # fmt: skip
                lang, stage, _ = slowest
                print(f"profiling {stage} ({lang})…", flush=True)
                sources = [s for s in all_sources if s.language == lang]
                config = write_config(tmp_path / "profile", sources, "sqlite", [], model, ct2)
                profile = (lang, stage, run_worker(config, [s.id for s in sources], tmp_path / "profile.json", stage))
        finally:
            web.terminate()
            if started_es:
                stop_elasticsearch()
    write_results(args, banner, load, results, profile)
    print(f"results: {args.out}")


def write_results(args: argparse.Namespace, banner: str, load: float, results: dict, profile: tuple | None) -> None:
    command = "`.venv/bin/python bench/e2e.py " + f"--pages {args.pages} --zh-share {args.zh_share}" + (
        f" --backends {' '.join(args.backends)}" if args.backends != ["sqlite", "elasticsearch"] else ""
    ) + (f" --langs {' '.join(args.langs)}" if args.langs != ["en", "zh"] else "") + (
        f" --prefill {args.prefill}" if args.prefill else ""
    ) + "`"
    lines = [
        "# End-to-end benchmark: crawl → index on a local fixture web",
        "",
        f"Command: {command}  ",
        f"Finished: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, {os.cpu_count()} CPUs "
        f"({platform.machine()}), shared with other work: 1-minute load average {load:.2f} before the runs.",
        "",
        f"Fixture web: {banner.split(' at ')[0].removeprefix('serving ')} (see bench/scale_web.py). "
        "Translation: random-weight opus-mt-zh-en of the real architecture, CTranslate2 int8, title + 3 lead "
        "sentences, 2 threads (see the module docstring: pessimistic). Zero-shot NLI off, no head: rules layer.",
        *([f"Before each sqlite run its index and event store already held {args.prefill:,} articles (`--prefill`): "
           "memory and speed at that scale.", ""] if args.prefill else []),
        "",
        "## End to end (the worker process: start-up, imports, model loading included)",
        "",
        "| backend | lang | articles indexed | wall s | articles/min | CPU s | CPU s/article | peak RSS MB | bottleneck | goal |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    goals = {"en": 3000, "zh": 300}
    for (backend, lang), figures in results.items():
        p, n = figures["process"], figures["counts"]["search_index"]
        rate = per_minute(n, p["wall"])
        lines.append(
            f"| {backend} | {lang} | {n:,} | {p['wall']:.1f} | {rate:,.0f} | {p['cpu']:.1f} | {p['cpu'] / n if n else 0:.4f} | "
            f"{p['peak_rss_mb']:,.0f} | {bottleneck(figures)} | ≥ {goals[lang]:,}/min: {rate / goals[lang]:.2f}× |"
        )
    for (backend, lang), figures in results.items():
        s = figures["summary"]
        lines += ["", f"## Per stage: {backend}, {lang}", "", *stage_table(figures), "",
                  f"Summary: fetched {s['fetched']}, extracted {s['extracted']} of {s['article_pages']} article pages, "
                  f"rejected {json.dumps(s['rejected_by_reason'])}, duplicates {s['duplicates']}, translated "
                  f"{s['translated']} of {s['to_translate']}, classified {s['classified']} (with events {s['with_events']}), "
                  f"indexed {s['indexed']}, index failures {s['index_failed']}, runs failed {s['runs_failed']}."]  # fmt: skip
        if figures["failed"]:
            lines.append(f"Failed runs: {figures['failed']}")
    if profile:
        lang, stage, figures = profile
        lines += ["", f"## Profile: {stage} ({lang}), cProfile, top 30 by own time", "", "```",
                  figures["profile"].strip(), "```"]  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
