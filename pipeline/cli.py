"""The ``medradar`` command line.

Exit codes: 0 success; 2 usage or configuration error; 1 runtime failure, with a one-line
reason (set MEDRADAR_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import subprocess
import sys
import warnings
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from pydantic import BaseModel, ConfigDict, ValidationError
from rich.text import Text

from enrich.articles import build_article
from enrich.classifier import ArticleText, model_input
from enrich.gazetteer import Gazetteer
from enrich.quality import ArticleRules
from enrich.rules import Sentences
from enrich.schema import EventMention, Rejection
from pipeline import console
from pipeline.config import CONFIG_ENV, ConfigError, Settings, load_settings, load_sources
from pipeline.instance import dagster_home, open_instance
from pipeline.partitions import SourceDay
from pipeline.resources import AlertsResource, EventStoreResource, ModelsResource, SearchBackendResource
from search.backend import BackendName
from search.engines import ClusterError, ClusterUnavailable
from search.query import Interval, SearchQuery, SortOrder, with_names_in_both_languages

app = typer.Typer(
    name="medradar",
    help="MedRadar: Chinese and English medtech news turned into searchable deal intelligence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Failed(Exception):
    """A runtime failure the user should see as one line (exit code 1)."""


@dataclass
class State:
    config: Path | None
    backend: str | None = None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            settings = load_settings(self.config)
            if self.backend:
                search = settings.search.model_copy(update={"backend": self.backend})
                settings = settings.model_copy(update={"search": search})
            self._settings = settings
        return self._settings


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help=f"medradar.yaml to use (default: ${CONFIG_ENV}, then ./medradar.yaml)"),
    ] = None,
    backend: Annotated[
        BackendName | None,
        typer.Option(
            "--backend",
            help="search backend, overriding search.backend (cluster: the engine at search.urls, detected)",
        ),
    ] = None,
) -> None:
    """Crawl, extract, classify and search medtech news.

    Example: medradar demo && medradar search 合作
    """
    ctx.obj = State(config, backend)


@app.command(epilog="Example: medradar run --source medtech-dive")
def run(
    ctx: typer.Context,
    source: Annotated[list[str], typer.Option("--source", "-s", help="source id (repeatable); default: all")] = [],  # noqa: B006
) -> None:
    """Run the full pipeline (crawl → articles → translation → events → index) through Dagster
    for the configured sources, one run per source for today (UTC); then translate the
    articles earlier runs left pending, if the translation model can be loaded now."""
    settings: Settings = ctx.obj.settings
    selected = _known_sources(settings, source)
    from pipeline.runner import run_ingest, run_pending_translations, stage_counts, tagged_runs

    day = datetime.now(UTC).date()
    instance = open_instance(settings)
    # The runs carry this command's tag, so the status line can follow their stages.
    tags = {"medradar/command": f"run-{datetime.now(UTC):%Y%m%dT%H%M%S%f}"}
    heading = f"running {len(selected)} source(s) through Dagster"
    with console.polled_status(
        f"{heading}…",
        lambda: f"{heading}: {console.stages_line(stage_counts(instance, tagged_runs(instance, tags)), len(selected))}",
    ):
        reports = run_ingest(settings, selected, day, instance, _print_report, tags)
    console.print_totals(reports)
    with console.out.status("translating articles left pending by earlier runs…"):
        retry = run_pending_translations(settings, instance, [SourceDay(s, day) for s in selected], _print_report)
    console.print_pending_retry(retry)
    reports += retry.reports
    console.print_unavailable_layers(reports)
    _alert(settings, [(r.source_id, r.day.isoformat()) for r in reports if r.success])
    failed = [r.source_id for r in reports if not r.success]
    if failed:
        raise Failed(f"{len(failed)} of {len(reports)} run(s) failed: {', '.join(failed)}")


@app.command(epilog="Example: medradar reprocess --source 36kr --day 2025-06-12")
def reprocess(
    ctx: typer.Context,
    source: Annotated[list[str], typer.Option("--source", "-s", help="source id (repeatable); default: all")] = [],  # noqa: B006
    day: Annotated[list[str], typer.Option("--day", "-d", help="YYYY-MM-DD (repeatable); default: every stored day")] = [],  # noqa: B006
) -> None:
    """Extract, deduplicate, classify and index the raw pages already stored, fetching
    nothing: after the extraction, the quality gates or the classifiers changed. One
    Dagster run per stored (source, day), oldest first; re-running changes nothing."""
    settings: Settings = ctx.obj.settings
    selected = _known_sources(settings, source)
    try:
        days = {date.fromisoformat(value) for value in day}
    except ValueError as problem:
        raise typer.BadParameter(str(problem), param_hint="--day") from None
    from pipeline.definitions import reprocess_job
    from pipeline.partitions import SourceDay
    from pipeline.runner import run_partitions
    from spiders.rawstore import RawStore

    store = RawStore(settings.raw_dir)
    partitions = sorted(
        (SourceDay(source_id, stored) for source_id in selected for stored in store.days(source_id) if not days or stored in days),
        key=lambda partition: (partition.day, partition.source_id),
    )
    if not partitions:
        raise Failed(f"no stored raw pages to reprocess under {settings.raw_dir}")
    with console.out.status(f"reprocessing {len(partitions)} stored partition(s) through Dagster…"):
        reports = run_partitions(settings, reprocess_job.name, partitions, open_instance(settings), _print_report)
    console.print_totals(reports)
    failed = [f"{r.source_id} {r.day}" for r in reports if not r.success]
    if failed:
        raise Failed(f"{len(failed)} of {len(reports)} run(s) failed: {', '.join(failed)}")


@app.command(
    epilog="Example: medradar backfill --since 2025-06-01 --until 2025-06-07 --source 36kr --source medtech-dive"
)
def backfill(
    ctx: typer.Context,
    since: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")],
    until: Annotated[str, typer.Option(help="last day (included), YYYY-MM-DD")],
    source: Annotated[list[str], typer.Option("--source", "-s", help="source id (repeatable); default: all")] = [],  # noqa: B006
    reprocess_only: Annotated[
        bool, typer.Option("--reprocess", help="only the stages after the crawl, on the stored raw pages: fetch nothing")
    ] = False,
    detach: Annotated[bool, typer.Option(help="submit the back-fill and return; a running dagster-daemon does it")] = False,
) -> None:
    """Back-fill a date range: one Dagster back-fill of every (source, day) partition, run by
    the Dagster daemon as parallel runs (at most one per source at a time; see dagster.yaml)
    and shown in `medradar ui` under Runs → Backfills. A partition's crawl fetches what the
    crawler has not stored yet; re-running a partition changes nothing. Without a running
    daemon for the instance, one runs until the back-fill is done."""
    settings: Settings = ctx.obj.settings
    selected = _known_sources(settings, source)
    first, last = _day_option(since, "--since"), _day_option(until, "--until")
    if last < first:
        raise typer.BadParameter(f"{until} is before --since {since}", param_hint="--until")
    from pipeline.backfill import ALL_STAGES, REPROCESS_STAGES, BackfillWatcher, daemon, daemon_running, submit_backfill

    partitions = SourceDay.between(selected, first, last)
    instance = open_instance(settings)
    backfill_id = submit_backfill(settings, instance, partitions, REPROCESS_STAGES if reprocess_only else ALL_STAGES)
    console.out.print(
        Text(f"back-fill {backfill_id}: {len(partitions)} partition(s) (source × day), in the Dagster UI under Runs → Backfills")
    )
    if detach:
        return
    watcher = BackfillWatcher(instance, backfill_id, len(partitions))
    running = daemon_running(instance)
    log_file = settings.logs_dir / f"dagster-daemon-{backfill_id}.log"
    if not running:
        console.out.print(Text(f"starting dagster-daemon for it (log: {log_file})", style="dim"))

    def status() -> str:
        progress = watcher.progress()
        runs = ", ".join(f"{n} {state.lower()}" for state, n in sorted(progress.runs.items())) or "none yet"
        return f"back-fill: runs {runs} · {console.stages_line(progress.stages, progress.partitions)}"

    with contextlib.nullcontext() if running else daemon(instance, _dagster_environment(ctx), log_file) as process:

        def check(_: object) -> None:
            if process is not None and process.poll() is not None:
                raise Failed(f"dagster-daemon stopped (exit code {process.returncode}) before back-fill {backfill_id} was done; see {log_file}")

        with console.polled_status("back-fill: waiting for the daemon…", status, seconds=2.0):
            final = watcher.wait(check)
    reports = watcher.reports()
    for report in reports:
        _print_report(report)
    console.print_totals(reports)
    console.print_unavailable_layers(reports)
    _alert(settings, [(r.source_id, r.day.isoformat()) for r in reports if r.success])
    failed = [f"{r.source_id} {r.day}" for r in reports if not r.success]
    if failed:
        raise Failed(f"back-fill {backfill_id}: {len(failed)} of {len(partitions)} partition(s) failed ({', '.join(failed)})")
    if final.status.value != "COMPLETED_SUCCESS":
        raise Failed(f"back-fill {backfill_id} {final.status.value.lower()}: see the daemon's log ({log_file}) or the Dagster UI")


def _known_sources(settings: Settings, source: list[str]) -> list[str]:
    """The --source ids (default: every configured source); a usage error names unknown ones."""
    known = [s.id for s in load_sources(settings.sources_file)]
    unknown = sorted(set(source) - set(known))
    if unknown:
        raise typer.BadParameter(f"unknown source {', '.join(unknown)} (known: {', '.join(known)})", param_hint="--source")
    return source or known


def _day_option(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a day (YYYY-MM-DD)", param_hint=option) from None


def _dagster_environment(ctx: typer.Context) -> dict[str, str]:
    """What a Dagster process started for this command needs to see the same instance and
    settings: DAGSTER_HOME, and the configuration file and backend given on the command line."""
    env = {"DAGSTER_HOME": str(dagster_home(ctx.obj.settings))}
    if ctx.obj.config:
        env[CONFIG_ENV] = str(Path(ctx.obj.config).resolve())
    if ctx.obj.backend:
        env["MEDRADAR_SEARCH__BACKEND"] = ctx.obj.backend
    return env


@app.command(epilog="Example: medradar demo, then: medradar search 合作")
def demo(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="port for the sample site (0: any free port)")] = 0,
) -> None:
    """Serve the bundled sample site on 127.0.0.1 and run the whole pipeline on it, into the
    default data directory (replacing an earlier demo's data, and nothing else)."""
    from pipeline.demo import run_demo

    settings: Settings = ctx.obj.settings
    console.out.print(Text(f"data directory: {settings.data_dir}", style="dim"))
    with console.out.status("crawling the sample site and running the pipeline…"):
        result = run_demo(settings, open_instance(settings), port, _print_report)
    console.out.print(Text(f"sample site was served at {result.base_url}", style="dim"))
    console.print_totals(result.reports)
    console.print_unavailable_layers(result.reports)
    if not all(r.success for r in result.reports):
        raise Failed("the demo pipeline failed (see above)")
    with SearchBackendResource.from_settings(settings).open() as backend:
        console.out.print(Text("\nsample search: medradar search 合作", style="bold"))
        console.print_hits(backend.search(SearchQuery(text="合作", limit=3)))
    with EventStoreResource.from_settings(settings).open() as store:
        console.out.print(Text("\nevents reported by more than one article: medradar events", style="bold"))
        console.print_events([e for e in store.events() if len(e.article_ids) > 1])
    from pipeline.demo import run_demo_alert

    with console.out.status("sample watch: matching it and delivering its alert to a local mail server…"):
        alert = run_demo_alert(settings, result.reports)
    console.print_demo_alert(alert)
    from pipeline.demo import run_demo_digest

    with console.out.status("sample weekly digest: selecting, charting, rendering…"):
        sample = run_demo_digest(settings)
    console.out.print(Text(f"\nsample weekly digest ({sample.week}), open it in your browser:", style="bold"))
    console.print_digest(sample)
    exe = Path(sys.argv[0]).name if Path(sys.argv[0]).name == "medradar" else "medradar"
    if ctx.obj.backend:
        exe += f" --backend {ctx.obj.backend}"
    console.out.print(
        Text(
            "\ntry next:\n"
            f'  {exe} search "Mayo Clinic" --type partnership\n'
            f"  {exe} events --type merger_acquisition\n"
            f"  {exe} search 并购 --lang zh\n"
            f"  {exe} search --type merger_acquisition ''\n"
            f"  {exe} watch add 'ortho deals' '' --type merger_acquisition --party Stryker --email you@example.com\n"
            f"  {exe} trends\n"
            f"  {exe} digest --week {sample.week} --out digest.html\n"
            f"  {exe} ui        # the Dagster UI: asset graph and the demo's runs\n"
            "(from a checkout: .venv/bin/medradar, or `source .venv/bin/activate` first)"
        )
    )
    console.out.print(
        Text(f"\nexplore the demo data in your browser: run `{exe} serve` and open the URL it prints", style="bold")
    )


# The option a problem in a query (or watch) is reported under.
_QUERY_OPTIONS = {
    "types": "--type", "langs": "--lang", "sources": "--source", "parties": "--party", "statuses": "--status",
    "min_usd": "--min-usd", "text": "QUERY", "query": "QUERY", "emails": "--email", "webhooks": "--webhook",
    "name": "NAME", "facets": "--facet",
}  # fmt: skip


def _usage_error(invalid: ValidationError) -> typer.BadParameter:
    problem = invalid.errors()[0]
    where = [str(part) for part in problem["loc"]]
    option = next((_QUERY_OPTIONS[part] for part in reversed(where) if part in _QUERY_OPTIONS), "--" + ".".join(where))
    return typer.BadParameter(problem["msg"].removeprefix("Value error, "), param_hint=option)


@app.command(
    epilog='Example: medradar search "Mayo Clinic" --type partnership --since 2025-01-01\n\n'
    "Example: medradar search '' --type merger_acquisition --party Stryker --min-usd 1e9"
)
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="QUERY", help="free text; \"double quotes\" for a phrase; '' for filters only")],
    type_: Annotated[list[str], typer.Option("--type", "-t", help="event type (repeatable)")] = [],  # noqa: B006
    lang: Annotated[list[str], typer.Option("--lang", "-l", help="en or zh (repeatable)")] = [],  # noqa: B006
    source: Annotated[list[str], typer.Option("--source", "-s", help="source id (repeatable)")] = [],  # noqa: B006
    party: Annotated[list[str], typer.Option("--party", "-p", help="an organisation in a reported event: English or Chinese name, or gazetteer id (repeatable)")] = [],  # noqa: B006,E501
    status: Annotated[list[str], typer.Option(help="announced, completed, planned, rumoured or terminated (repeatable)")] = [],  # noqa: B006,E501
    min_usd: Annotated[float | None, typer.Option("--min-usd", help="a reported amount of at least this many US dollars")] = None,  # noqa: E501
    since: Annotated[str | None, typer.Option(help="published on or after, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="published before, YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="results to show")] = 10,
    sort: Annotated[SortOrder, typer.Option(help="result order")] = "relevance",
    after: Annotated[str | None, typer.Option(help="the next page: the cursor printed after the last one")] = None,
    facet: Annotated[list[str], typer.Option("--facet", "-f", help="types, langs or sources: count results per value (repeatable)")] = [],  # noqa: B006
    histogram: Annotated[Interval | None, typer.Option(help="count results per period")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """Search the index."""
    try:
        search_query = SearchQuery(
            text=query, types=type_, langs=lang, sources=source, parties=party, statuses=status, min_usd=min_usd,
            since=since, until=until, limit=limit,
            sort=sort, after=after, facets=facet, histogram=histogram,
        )  # fmt: skip
    except ValidationError as invalid:
        raise _usage_error(invalid) from None
    settings: Settings = ctx.obj.settings
    if settings.search.backend == "sqlite" and not settings.index_path.exists():
        raise Failed(f"no index at {settings.index_path} yet: run `medradar demo` or `medradar run` first")
    search_query = with_names_in_both_languages(search_query, _gazetteer(settings))
    with SearchBackendResource.from_settings(settings).open() as backend:
        try:
            result = backend.search(search_query)
        except ValueError as bad_cursor:  # a cursor of another query
            raise typer.BadParameter(str(bad_cursor), param_hint="--after") from None
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        console.print_hits(result)
        if result.next_after:
            console.out.print(Text(f"more: add --after {result.next_after}", style="dim"))


class ClassifyInput(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    title: str = ""
    text: str = ""
    lang: str | None = None


class LabelledInput(ClassifyInput):
    labels: list[str]


# Lines classified together: the transformer layers run in batches.
CLASSIFY_BATCH = 32


@app.command(epilog="Example: medradar classify leads.jsonl -o labelled.jsonl")
def classify(
    ctx: typer.Context,
    infile: Annotated[str, typer.Argument(metavar="IN.jsonl", help='JSON Lines of {"id","title","text"}; - for stdin')],
    output: Annotated[str, typer.Option("--output", "-o", help="where to write; - for stdout")] = "-",
) -> None:
    """Label each article with the business events it reports.

    Each output line is the input line plus "labels" (event types, empty for none), "status"
    (of the strongest event), "parties" (canonical English names), "amount" ({"value",
    "currency","usd","approximate"} or null), "evidence" (event type → sentences) and "events"
    (each type with its layers' scores, status, parties with roles and amount). Optional input
    keys: "lang" (en/zh; detected when absent), "published_at". A bad line is reported and
    skipped."""
    from enrich.language import detect_language

    settings: Settings = ctx.obj.settings
    analyser = ModelsResource.from_settings(settings).analyser()
    _warn_unavailable(analyser.unavailable)
    failures = done = 0
    with _open_in(infile) as lines, _open_out(output) as sink, console.counter("classified") as progress:
        for batch in _batches(_read_jsonl(infile, lines, ClassifyInput), CLASSIFY_BATCH):
            items = [item for item in batch if not isinstance(item, str)]
            failures += len(batch) - len(items)
            texts = [ArticleText(i.title, i.text, i.lang or detect_language(f"{i.title}\n{i.text}")) for i in items]
            for item, mentions in zip(items, analyser.analyse(texts), strict=True):
                record = item.model_dump(exclude_none=True)
                record.update(classification_record(mentions))
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            done += len(items)
            progress(done)
    if failures:
        raise Failed(f"{failures} line(s) of {infile} could not be classified (see above)")


def classification_record(mentions: list[EventMention]) -> dict[str, Any]:
    """What ``classify`` adds to an input line."""
    strongest = max(mentions, key=lambda m: m.score, default=None)
    parties = list(dict.fromkeys(p.name for m in mentions for p in m.parties))
    amount = next((m.amount for m in sorted(mentions, key=lambda m: -m.score) if m.amount), None)
    return {
        "labels": [m.type for m in mentions],
        "status": strongest.status if strongest else None,
        "parties": parties,
        "amount": amount.model_dump(include={"value", "currency", "usd", "approximate"}) if amount else None,
        "evidence": {m.type: m.evidence for m in mentions},
        "events": [m.model_dump(exclude_none=True) for m in mentions],
    }


@app.command(
    "train-classifier",
    epilog="Example: medradar train-classifier labelled.jsonl --validation 0.25",
)
def train_classifier(
    ctx: typer.Context,
    infile: Annotated[
        str, typer.Argument(metavar="LABELLED.jsonl", help='JSON Lines of {"id","title","text","labels":[...]}')
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="directory for the head (default: models.head.path)")
    ] = None,
    validation: Annotated[float, typer.Option(min=0.1, max=0.5, help="share held out to choose thresholds")] = 0.25,
    seed: Annotated[int, typer.Option(help="seed of the train/validation split")] = 0,
) -> None:
    """Train the supervised event head: a logistic regression per event type on sentence
    embeddings (all-MiniLM-L6-v2), thresholds chosen on a held-out validation split for the
    head alone and combined with the other layers, saved as JSON where `classify` and the
    pipeline find it."""
    from enrich.head import HEAD_LAYER, LabelledExample, load_embedder, split_examples, train_head
    from enrich.language import detect_language
    from enrich.models import ModelUnavailable

    settings: Settings = ctx.obj.settings
    analyser = ModelsResource.from_settings(settings).analyser()
    classifier, unavailable = analyser.classifier, analyser.unavailable
    known = list(classifier.rules.event_types)
    articles: dict[str, ArticleText] = {}
    labels: dict[str, frozenset[str]] = {}
    failures = 0
    with _open_in(infile) as lines:
        for item in _read_jsonl(infile, lines, LabelledInput):
            if isinstance(item, str):
                failures += 1
                continue
            unknown = sorted(set(item.labels) - set(known))
            if unknown:
                failures += 1
                console.error(f"{infile}: id {item.id}: unknown label {', '.join(unknown)} (known: {', '.join(known)})")
                continue
            lang = item.lang or detect_language(f"{item.title}\n{item.text}")
            articles[item.id] = ArticleText(item.title, item.text, lang)
            labels[item.id] = frozenset(item.labels)
    if len(articles) < 20:
        raise Failed(f"{infile}: {len(articles)} usable example(s); at least 20 are needed to train and validate")
    examples = [
        LabelledExample(id_, model_input(Sentences.of(a.title, a.text)), a.lang, labels[id_])
        for id_, a in articles.items()
    ]
    split = split_examples(examples, validation, seed)
    try:
        embedder = load_embedder(settings.models.head.embedding_model, settings.models.device)
    except ModelUnavailable as problem:
        raise Failed(f"cannot load the embedding model: {problem}") from None
    _warn_unavailable({layer: why for layer, why in unavailable.items() if layer != HEAD_LAYER})
    held = [articles[e.id] for e in split.validation]
    other_scores = [s.layers for s in classifier.score(held, skip={HEAD_LAYER})]
    with console.out.status(f"embedding {len(examples)} examples and training…"):
        head = train_head(split, known, embedder, other_scores)
    path = head.save(output or settings.event_head_path)
    console.print_head(head)
    console.out.print(Text(f"saved {path}", style="bold"))
    if failures:
        raise Failed(f"{failures} line(s) of {infile} could not be used (see above)")


@app.command(epilog="Example: medradar events --type merger_acquisition --limit 5")
def events(
    ctx: typer.Context,
    type_: Annotated[str | None, typer.Option("--type", "-t", help="event type")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="events to show")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """List the events found so far: one per deal, with every article that reports it."""
    settings: Settings = ctx.obj.settings
    if type_ is not None:
        try:
            SearchQuery(types=[type_])
        except ValidationError as invalid:
            raise typer.BadParameter(invalid.errors()[0]["msg"].removeprefix("Value error, "), param_hint="--type") from None
    if not settings.events_path.exists():
        raise Failed(f"no events at {settings.events_path} yet: run `medradar demo` or `medradar run` first")
    with EventStoreResource.from_settings(settings).open() as store:
        found = store.events(type_, limit)
    if as_json:
        sys.stdout.write(json.dumps([e.model_dump(mode="json") for e in found], ensure_ascii=False, indent=2) + "\n")
    else:
        console.print_events(found)


def _warn_unavailable(unavailable: dict[str, str]) -> None:
    for layer, reason in unavailable.items():
        console.warning(f"{layer} layer unavailable, the other layers decide: {reason}")


def _read_jsonl(name: str, lines: TextIO, model: type[ClassifyInput]) -> Iterator[Any]:
    """Each line parsed as ``model``, or an error message (already printed) for a bad one."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield model.model_validate_json(line)
        except ValidationError as invalid:
            problem = invalid.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "line"
            message = f"{name}:{number}: {where}: {problem['msg']}"
            console.error(message)
            yield message


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@app.command(epilog="Example: medradar extract page.html --url https://36kr.com/p/123 --timezone Asia/Shanghai")
def extract(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(metavar="FILE.html...", help="saved HTML pages (.gz too)")],
    url: Annotated[str | None, typer.Option(help="the page's URL (default: file:// path)")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA time zone of dates printed without one (default: the source's, else UTC)")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", "-s", help="source id whose time zone and home pages apply")] = None,
    as_json: Annotated[bool, typer.Option("--json/--text", help="one JSON object per file, or readable text")] = True,
) -> None:
    """Extract the article from saved HTML pages, as the pipeline's articles stage does: every
    field as one JSON object per file. A file that is not an article page (binary, empty,
    too large, undecodable, a listing...) is reported with the reason and the others go on."""
    settings: Settings = ctx.obj.settings
    zone, section_urls = _extract_context(settings, source, timezone)
    rules = settings.articles.rules()
    failures = 0
    for path in files:
        result = _extract_file(path, url, rules, zone, section_urls)
        if isinstance(result, str):
            failures += 1
            console.error(f"{path}: {result}")
            if as_json:
                sys.stdout.write(json.dumps({"file": str(path), "error": result}, ensure_ascii=False) + "\n")
            continue
        if as_json:
            sys.stdout.write(json.dumps({"file": str(path), **result}, ensure_ascii=False) + "\n")
        else:
            console.out.print(console.plain(f"== {path}", "bold"))
            for key, value in result.items():
                if key != "text":
                    console.out.print(console.plain(f"{key}: {value}"))
            console.out.print(console.plain(f"\n{result['text']}\n"))
    if failures:
        raise Failed(f"{failures} of {len(files)} file(s) failed")


@app.command(epilog="Example: medradar ui --port 3000, then open http://127.0.0.1:3000")
def ui(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="port for the Dagster UI")] = 3000,
) -> None:
    """Start the Dagster UI (dagster dev) on this configuration: asset graph, runs, schedules."""
    env = {**os.environ, **_dagster_environment(ctx)}
    command = [str(Path(sys.executable).with_name("dagster")), "dev", "-m", "pipeline.definitions"]
    raise typer.Exit(subprocess.call([*command, "-h", "127.0.0.1", "-p", str(port)], env=env))


@app.command(epilog="Example: medradar serve --port 8000, then open http://127.0.0.1:8000")
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="address to bind (default web.host, 127.0.0.1); another needs MEDRADAR_API_TOKEN")] = None,
    port: Annotated[int | None, typer.Option(help="port (default web.port, 8000; 0: any free port)")] = None,
) -> None:
    """Serve the analysts' desk: the search page, article pages and the JSON API (/api/, /docs)."""
    from search.web.security import is_loopback

    settings: Settings = ctx.obj.settings
    host = host or settings.web.host
    token = settings.api_token.get_secret_value() if settings.api_token else None
    if not is_loopback(host) and not token:
        raise typer.BadParameter(
            f"binding to {host} (not loopback) needs a token: set MEDRADAR_API_TOKEN", param_hint="--host"
        )
    if settings.search.backend == "sqlite" and not settings.index_path.exists():
        raise Failed(f"no index at {settings.index_path} yet: run `medradar demo` or `medradar run` first")
    from pipeline.desk import desk_app
    from search.web.server import bind, serve as serve_app, url_of

    try:
        sock = bind(host, settings.web.port if port is None else port)
    except OSError as problem:
        raise Failed(f"cannot listen on {host}:{port}: {problem.strerror or problem}") from None
    web_app = desk_app(settings, host, token)
    console.out.print(Text(f"MedRadar desk on {url_of(sock)}  (API docs: {url_of(sock)}/docs; Ctrl-C stops)", style="bold"))
    serve_app(web_app, sock)


index_app = typer.Typer(
    help="Look after the search index: status, rebuild, replay of spooled articles.",
    epilog="Example: medradar index status",
    no_args_is_help=True,
)
app.add_typer(index_app, name="index")


@index_app.command("status", epilog="Example: medradar --backend opensearch index status")
def index_status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """Where the index is, what it holds, what its engine can do, and what waits in the spool."""
    with SearchBackendResource.from_settings(ctx.obj.settings).open() as backend:
        status = backend.describe()
    if as_json:
        sys.stdout.write(json.dumps(status, indent=2) + "\n")
        return
    for key, value in status.items():
        console.out.print(console.plain(f"{key}: {value}"))


@index_app.command("rebuild", epilog="Example: medradar --backend elasticsearch index rebuild")
def index_rebuild(ctx: typer.Context) -> None:
    """Re-index every stored article with the current mappings and segmentation. On a cluster:
    into new index versions, then the aliases swap at once; searches never see an empty index.
    Articles written meanwhile are spooled and replayed by the next run."""
    with SearchBackendResource.from_settings(ctx.obj.settings).open() as backend:
        with console.out.status("rebuilding the index…") as status:
            report = backend.rebuild(progress=lambda message: status.update(f"rebuilding the index… {message}"))
    for alias, (old, new) in report.swapped.items():
        console.out.print(console.plain(f"{alias}: {old} → {new}"))
    console.out.print(Text(f"{report.documents} article(s) re-indexed", style="bold"))


@index_app.command("replay", epilog="Example: medradar --backend opensearch index replay")
def index_replay(ctx: typer.Context) -> None:
    """Index the articles spooled while the cluster was unreachable (every run also does)."""
    with SearchBackendResource.from_settings(ctx.obj.settings).open() as backend:
        stats = backend.upsert([])
    if stats.unavailable:
        raise Failed(f"still unreachable, {stats.spooled} article(s) stay spooled: {stats.unavailable}")
    console.out.print(
        Text(f"replayed {stats.replayed} article(s): {stats.inserted} new, {stats.updated} updated,"
             f" {stats.unchanged} unchanged, {stats.failed} refused")
    )
sources_app = typer.Typer(
    help="The source registry (sources.yaml): check it, list it.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(sources_app, name="sources")


def _sources_file(ctx: typer.Context, path: Path | None) -> Path:
    return path if path is not None else ctx.obj.settings.sources_file


@sources_app.command("check", epilog="Example: medradar sources check sources.yaml")
def sources_check(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(metavar="[FILE]", help="default: the configured sources_file")] = None,
) -> None:
    """Validate the registry strictly, offline: unknown or repeated keys, bad URLs, entry
    points off the allowed domains, selectors and patterns that do not parse, unknown time
    zones, duplicate ids. Prints one line per problem and exits 2 if there is any."""
    file = _sources_file(ctx, path)
    sources = load_sources(file)  # ConfigError: one line per problem, exit code 2 (see main)
    languages = Counter(source.language for source in sources)
    unverified = [source.id for source in sources if source.selectors_verified is None]
    summary = ", ".join(f"{count} {language}" for language, count in sorted(languages.items()))
    console.out.print(console.plain(f"{file}: {len(sources)} sources OK ({summary})"))
    if unverified:
        console.out.print(console.plain(f"never verified against the live site: {', '.join(unverified)}", "yellow"))


@sources_app.command("list", epilog="Example: medradar sources list --json")
def sources_list(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(metavar="[FILE]", help="default: the configured sources_file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """List the sources: id, language, how they are crawled, when their selectors were last verified."""
    sources = load_sources(_sources_file(ctx, path))
    if as_json:
        sys.stdout.write(json.dumps([s.model_dump(mode="json") for s in sources], ensure_ascii=False, indent=2) + "\n")
        return
    for source in sources:
        verified = source.selectors_verified.isoformat() if source.selectors_verified else "never verified"
        line = f"{source.id:<20} {source.language}  {'+'.join(source.entry_kinds):<20} {verified:<15} {source.name}"
        console.out.print(console.plain(line))


watch_app = typer.Typer(
    help="Saved searches that alert by email and webhook: add, list, show, remove, test.",
    epilog="Example: medradar watch add 'ortho deals' --type merger_acquisition --party Stryker --email bd@example.com",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(watch_app, name="watch")

@watch_app.command(
    "add",
    epilog="Example: medradar watch add 'Medtronic in China' Medtronic --lang zh --email bd@example.com --cadence daily\n\n"
    "Example: medradar watch add 'big ortho deals' '' --type merger_acquisition --party Stryker --min-usd 1e9"
    " --webhook https://hooks.example.com/medradar",
)
def watch_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="unique; alerts are named after it")],
    query: Annotated[str, typer.Argument(metavar="[QUERY]", help="free text as for `medradar search`; '' for filters only")] = "",
    type_: Annotated[list[str], typer.Option("--type", "-t", help="event type (repeatable)")] = [],  # noqa: B006
    lang: Annotated[list[str], typer.Option("--lang", "-l", help="en or zh (repeatable)")] = [],  # noqa: B006
    source: Annotated[list[str], typer.Option("--source", "-s", help="source id (repeatable)")] = [],  # noqa: B006
    party: Annotated[list[str], typer.Option("--party", "-p", help="an organisation in a reported event (repeatable)")] = [],  # noqa: B006
    status: Annotated[list[str], typer.Option(help="announced, completed, planned, rumoured or terminated (repeatable)")] = [],  # noqa: B006
    min_usd: Annotated[float | None, typer.Option("--min-usd", help="a reported amount of at least this many US dollars")] = None,
    email: Annotated[list[str], typer.Option("--email", "-e", help="address to mail alerts to (repeatable)")] = [],  # noqa: B006
    webhook: Annotated[list[str], typer.Option("--webhook", "-w", help="URL to POST alerts to (repeatable)")] = [],  # noqa: B006
    webhook_secret: Annotated[
        str | None, typer.Option(help="key of the webhooks' HMAC-SHA256 signature (default: a new random one, printed once)")
    ] = None,
    cadence: Annotated[str, typer.Option(help="instant: as articles are indexed; daily: one message a day")] = "instant",
    replace: Annotated[bool, typer.Option("--replace", help="replace a watch of the same name")] = False,
) -> None:
    """Save a search that alerts its channels, once per deal, when new articles match it."""
    import secrets

    from search.watches import Watch, Webhook

    settings: Settings = ctx.obj.settings
    _known_sources(settings, source)
    if not email and not webhook:
        raise typer.BadParameter("a watch needs somewhere to alert: --email or --webhook", param_hint="--email")
    secret = webhook_secret or secrets.token_urlsafe(24)
    try:
        watch = Watch(
            name=name,
            query=SearchQuery(text=query, types=type_, langs=lang, sources=source, parties=party, statuses=status, min_usd=min_usd),
            emails=email, webhooks=[Webhook(url=url, secret=secret) for url in webhook], cadence=cadence,
        )  # fmt: skip
    except ValidationError as invalid:
        raise _usage_error(invalid) from None
    watch = watch.model_copy(update={"query": with_names_in_both_languages(watch.query, _gazetteer(settings))})
    with SearchBackendResource.from_settings(settings).open() as backend:
        if not replace and any(w.name == name for w in backend.watches()):
            raise typer.BadParameter(f"a watch named {name!r} exists (--replace to replace it)", param_hint="NAME")
        backend.put_watch(watch)
    console.out.print(console.plain(f"watch {name!r} saved: {_watch_summary(watch)}", "bold"))
    if webhook and not webhook_secret:
        console.out.print(console.plain(f"webhook signing secret (shown once, keep it for the receiver): {secret}"))


def _gazetteer(settings: Settings) -> Gazetteer:
    """The organisations whose names a query finds in both languages (``classify.gazetteer_file``)."""
    return Gazetteer.load(settings.classify.gazetteer_file)


def _watch_summary(watch: Any) -> str:
    query = watch.query
    parts = [f'"{query.text}"' if query.text else "any text"]
    parts += [" or ".join(f'"{phrase}"' for phrase in group) for group in query.alternatives]
    for label, values in (("types", query.types), ("langs", query.langs), ("sources", query.sources),
                          ("parties", query.parties), ("statuses", query.statuses)):  # fmt: skip
        if values:
            parts.append(f"{label} {', '.join(values)}")
    if query.min_usd is not None:
        parts.append(f"≥ ${query.min_usd:,.0f}")
    channels = [*watch.emails, *(hook.url for hook in watch.webhooks)]
    return f"{' · '.join(parts)} → {', '.join(channels) or 'no channel'} ({watch.cadence})"


def _find_watch(backend: Any, name: str) -> Any:
    for watch in backend.watches():
        if watch.name == name:
            return watch
    raise typer.BadParameter(f"no watch named {name!r} (see `medradar watch list`)", param_hint="NAME")


@watch_app.command("list", epilog="Example: medradar watch list --json")
def watch_list(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False
) -> None:
    """List the watches: name, query, channels, cadence."""
    with SearchBackendResource.from_settings(ctx.obj.settings).open() as backend:
        watches = backend.watches()
    if as_json:
        sys.stdout.write(json.dumps([_watch_json(w) for w in watches], ensure_ascii=False, indent=2) + "\n")
        return
    console.out.print(Text(f"{len(watches)} watch(es)", style="bold"))
    for watch in watches:
        console.out.print(console.plain(f"{watch.name}: {_watch_summary(watch)}"))


def _watch_json(watch: Any) -> dict[str, Any]:
    """A watch for display: webhook secrets are not shown again."""
    data = watch.model_dump(mode="json", exclude={"query": {"limit", "sort", "after", "facets", "facet_size", "histogram"}})
    for hook, webhook in zip(data["webhooks"], watch.webhooks, strict=True):
        hook["secret"] = "…" + webhook.secret.get_secret_value()[-4:]
    return data


@watch_app.command("show", epilog="Example: medradar watch show 'ortho deals'")
def watch_show(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Everything about one watch (webhook secrets masked)."""
    with SearchBackendResource.from_settings(ctx.obj.settings).open() as backend:
        watch = _find_watch(backend, name)
    sys.stdout.write(json.dumps(_watch_json(watch), ensure_ascii=False, indent=2) + "\n")


@watch_app.command("remove", epilog="Example: medradar watch remove 'ortho deals'")
def watch_remove(ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Delete a watch (what it already alerted about is remembered, should it come back)."""
    with SearchBackendResource.from_settings(ctx.obj.settings).open() as backend:
        if not backend.delete_watch(name):
            raise typer.BadParameter(f"no watch named {name!r} (see `medradar watch list`)", param_hint="NAME")
    console.out.print(console.plain(f"watch {name!r} removed"))


@watch_app.command("test", epilog="Example: medradar watch test 'ortho deals' --days 30")
def watch_test(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME")],
    days: Annotated[int, typer.Option(min=1, help="look back this many days")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """What the watch would have alerted about over the last days, one item per deal; sends nothing."""
    from pipeline.alerts import preview_watch

    settings: Settings = ctx.obj.settings
    with SearchBackendResource.from_settings(settings).open() as backend, EventStoreResource.from_settings(settings).open() as store:
        watch = _find_watch(backend, name)
        items = preview_watch(backend, store, watch, days, datetime.now(UTC))
    if as_json:
        sys.stdout.write(json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False, indent=2) + "\n")
        return
    console.out.print(Text(f"{len(items)} item(s) in the last {days} days would have alerted {name!r}:", style="bold"))
    for number, item in enumerate(items, 1):
        when = item.date.date().isoformat() if item.date else "undated"
        details = " · ".join(part for part in (item.event_type, ", ".join(item.parties), item.amount) if part)
        console.out.print(console.plain(f"{number}. {item.title}", "bold"))
        console.out.print(console.plain(f"   {when} · {details} · sources {', '.join(item.source_ids)}", "dim"))


@watch_app.command("send-daily", epilog="Example: medradar watch send-daily   # e.g. from cron at 07:00 UTC")
def watch_send_daily(ctx: typer.Context) -> None:
    """Send the daily watches' messages and the trend alerts now, then whatever the outbox
    holds: what the Dagster schedule daily_alerts does, for a machine without the Dagster daemon."""
    from pipeline.alerts import alert_partitions

    with console.out.status("daily watches and trend spikes…"):
        report = alert_partitions(ctx.obj.settings, [], daily=True)
    console.print_alerts(report)


@app.command(epilog="Example: medradar trends --days 7 --json")
def trends(
    ctx: typer.Context,
    days: Annotated[int | None, typer.Option(min=1, help="the recent window judged (default: alerts.trends.window_days)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """The current spikes: per (party, event type) and per (topic, event type, language), the
    window's count against the trailing baseline (Poisson upper tail; alerts.trends settings)."""
    from pipeline.alerts import current_trends

    settings: Settings = ctx.obj.settings
    alerts = settings.alerts
    if days:
        alerts = alerts.model_copy(update={"trends": alerts.trends.model_copy(update={"window_days": days})})
    with SearchBackendResource.from_settings(settings).open() as backend, EventStoreResource.from_settings(settings).open() as store:
        found = current_trends(backend, store, alerts, datetime.now(UTC).date())
    if as_json:
        sys.stdout.write(json.dumps([s.model_dump(mode="json") for s in found], ensure_ascii=False, indent=2) + "\n")
        return
    test = alerts.trends
    console.out.print(Text(
        f"{len(found)} spike(s): last {test.window_days} days against the {test.baseline_weeks} weeks before"
        f" (p < {test.p_value:g}, at least {test.min_count}, at least {test.min_ratio:g}× expected)", style="bold",
    ))  # fmt: skip
    for spike in found:
        seen = " · first seen" if spike.first_seen else ""
        console.out.print(console.plain(
            f"{spike.label}: {spike.count} against {spike.expected:.1f} expected (baseline {spike.baseline_count}"
            f" in {spike.baseline_days} days) · p = {spike.p_value:.2g}{seen}"
        ))  # fmt: skip


@app.command(
    epilog="Example: medradar digest --week 2026-W47 --out digest.html\n\n"
    "Example: medradar digest --profile ortho --send   # last week's digest, to its recipients"
)
def digest(
    ctx: typer.Context,
    profile: Annotated[list[str], typer.Option("--profile", "-p", help="digest.profiles name (repeatable); default: all")] = [],  # noqa: B006
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W47; default: last week in the profile's time zone")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="also write the HTML here (its chart beside it, .png); one profile only")] = None,
    send: Annotated[bool, typer.Option("--send", help="deliver to the profile's recipients who have not had this week's digest")] = False,
    resend: Annotated[bool, typer.Option("--resend", help="with --send: send again to every recipient, on purpose")] = False,
) -> None:
    """Render the weekly digest of each profile (digest.profiles in medradar.yaml), archive it
    under <data_dir>/digests/PROFILE/WEEK.html and print where; with --send, deliver it through
    the alerts outbox, once per recipient and week (a re-run sends nothing: see medradar outbox list)."""
    from pipeline.digest.content import Week
    from pipeline.digest.weekly import profiles_of, run_digest

    settings: Settings = ctx.obj.settings
    known = {p.name: p for p in profiles_of(settings.digest)}
    unknown = sorted(set(profile) - set(known))
    if unknown:
        raise typer.BadParameter(f"unknown profile {', '.join(unknown)} (known: {', '.join(known)})", param_hint="--profile")
    chosen = [known[name] for name in profile] or list(known.values())
    if out is not None and len(chosen) > 1:
        raise typer.BadParameter(f"one profile at a time with --out (configured: {', '.join(known)})", param_hint="--out")
    if resend and not send:
        raise typer.BadParameter("--resend goes with --send", param_hint="--resend")
    nobody = [p.name for p in chosen if send and not p.recipients]
    if nobody:
        raise typer.BadParameter(f"profile {', '.join(nobody)} has no recipients (digest.profiles[].recipients)", param_hint="--send")
    weeks = {}
    for one in chosen:
        try:
            weeks[one.name] = Week.parse(week, one.timezone) if week else Week.last_complete(datetime.now(UTC), one.timezone)
        except ValueError as bad:
            raise typer.BadParameter(str(bad), param_hint="--week") from None
    alerts = AlertsResource.from_settings(settings)
    failed = 0
    with (
        SearchBackendResource.from_settings(settings).open() as backend,
        EventStoreResource.from_settings(settings).open() as store,
        alerts.open() as outbox,
    ):
        for one in chosen:
            with console.out.status(f"digest {one.name} {weeks[one.name].label}: selecting, rendering…"):
                result = run_digest(
                    backend, store, outbox, alerts.settings, one, weeks[one.name], settings.digests_dir, send, resend, out
                )
            console.print_digest(result)
            if result.delivery:
                failed += result.delivery.failed + result.delivery.retry_later
    if failed:
        raise Failed(f"{failed} message(s) not delivered yet (medradar outbox list)")


outbox_app = typer.Typer(
    help="The alerts outbox: what is pending, failed or sent; retry or purge.",
    epilog="Example: medradar outbox list --status failed",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("list", epilog="Example: medradar outbox list --status pending --status failed")
def outbox_list(
    ctx: typer.Context,
    status: Annotated[list[str], typer.Option(help="pending, sending, sent or failed (repeatable; default: all)")] = [],  # noqa: B006
    limit: Annotated[int, typer.Option("--limit", "-n", help="newest first, at most this many")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """The outbox's messages, newest first, with their attempts and last error."""
    from pipeline.notify.outbox import STATUSES

    wrong = sorted(set(status) - set(STATUSES))
    if wrong:
        raise typer.BadParameter(f"unknown status {', '.join(wrong)} (known: {', '.join(STATUSES)})", param_hint="--status")
    with AlertsResource.from_settings(ctx.obj.settings).open() as outbox:
        rows = outbox.rows(tuple(status) or STATUSES, limit)
        counts = outbox.counts()
    if as_json:
        sys.stdout.write(json.dumps([r.model_dump(mode="json", exclude={"payload"}) for r in rows], ensure_ascii=False, indent=2) + "\n")
        return
    console.out.print(Text(", ".join(f"{n} {s}" for s, n in counts.items()), style="bold"))
    for row in rows:
        error = f" · {row.last_error}" if row.last_error and row.status != "sent" else ""
        console.out.print(console.plain(
            f"#{row.id} {row.status:<7} {row.channel:<7} {row.recipient} · {row.subject} · {row.attempts} attempt(s){error}"
        ))


@outbox_app.command("retry", epilog="Example: medradar outbox retry 12 13, or: medradar outbox retry")
def outbox_retry(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(metavar="[ID...]", help="default: every failed and pending message")] = None,
) -> None:
    """Send failed or waiting messages now (same Message-ID / Idempotency-Key as before)."""
    from pipeline.alerts import deliver

    resource = AlertsResource.from_settings(ctx.obj.settings)
    with resource.open() as outbox:
        made_due = outbox.retry(ids or None, datetime.now(UTC))
        report = deliver(outbox, resource.settings)
    console.out.print(Text(f"{made_due} message(s) retried: {report.sent} sent, {report.retry_later} to retry later,"
                           f" {report.failed} failed"))  # fmt: skip
    for error in report.errors:
        console.warning(error)
    if report.failed or report.retry_later:
        raise Failed(f"{report.failed + report.retry_later} message(s) not delivered (medradar outbox list)")


@outbox_app.command("purge", epilog="Example: medradar outbox purge --status sent --older-than-days 30")
def outbox_purge(
    ctx: typer.Context,
    status: Annotated[list[str], typer.Option(help="sent or failed (repeatable)")] = ["sent"],  # noqa: B006
    older_than_days: Annotated[float, typer.Option(min=0, help="only messages created longer ago than this")] = 30,
) -> None:
    """Forget old sent (or failed) messages. What they alerted about is still never alerted again."""
    wrong = sorted(set(status) - {"sent", "failed"})
    if wrong:
        raise typer.BadParameter(f"only sent or failed messages can be purged, not {', '.join(wrong)}", param_hint="--status")
    with AlertsResource.from_settings(ctx.obj.settings).open() as outbox:
        gone = outbox.purge(tuple(status), timedelta(days=older_than_days), datetime.now(UTC))
    console.out.print(console.plain(f"{gone} message(s) purged"))


def _alert(settings: Settings, partitions: list[tuple[str, str]]) -> None:
    """Watches evaluated on what the runs indexed, alerts sent (the sensor does the same in Dagster)."""
    from pipeline.alerts import alert_partitions

    try:
        with console.out.status("matching watches and sending alerts…"):
            report = alert_partitions(settings, partitions)
    except ClusterUnavailable as problem:  # the articles are spooled too: both wait for the cluster
        console.warning(f"watches not matched yet, the next run will (search cluster: {problem})")
        return
    console.print_alerts(report)


def _print_report(report: Any) -> None:
    console.out.print(console.report_line(report))


def _extract_context(settings: Settings, source_id: str | None, timezone: str | None) -> tuple[str, list[str]]:
    """The time zone and section pages ``medradar extract`` judges pages with."""
    section_urls: list[str] = []
    zone = timezone
    if source_id:
        sources = {s.id: s for s in load_sources(settings.sources_file)}
        if source_id not in sources:
            raise typer.BadParameter(f"unknown source {source_id} (known: {', '.join(sources)})", param_hint="--source")
        chosen = sources[source_id]
        zone = zone or chosen.timezone
        section_urls = [str(chosen.homepage), *map(str, chosen.listings)]
    zone = zone or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"unknown time zone {zone!r} (an IANA name such as Asia/Shanghai)", param_hint="--timezone") from None
    return zone, section_urls


# Why a file yields no article, in words for the person who gave it.
_REJECTION_MESSAGES = {
    "empty_body": "empty file",
    "not_html": "binary file, not an HTML page",
    "too_large": "too large",
    "undecodable": "cannot be decoded as text in any encoding",
}


def _extract_file(
    path: Path, url: str | None, rules: ArticleRules, timezone: str, section_urls: list[str]
) -> dict[str, Any] | str:
    """The article fields of one saved page, or why there are none."""
    try:
        size = path.stat().st_size
        if size > rules.max_page_bytes:  # not read at all
            return f"too large: {size:,} bytes (articles.max_page_bytes is {rules.max_page_bytes:,})"
        body = path.read_bytes()
        fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as problem:
        return f"cannot read: {problem.strerror or problem}"
    if body.startswith(b"\x1f\x8b"):
        try:
            body = _gunzip(body, rules.max_page_bytes)
        except (OSError, EOFError, zlib.error) as problem:
            return f"not a readable gzip file: {problem}"
        except ValueError as problem:
            return str(problem)
    result = build_article(
        source_id="file",
        url=url or path.resolve().as_uri(),
        body=body,
        fetched_at=fetched_at,
        rules=rules,
        timezone=timezone,
        section_urls=section_urls,
    )
    if isinstance(result, Rejection):
        message = _REJECTION_MESSAGES.get(result.reason, f"no article: {result.reason}")
        return f"{message}{f' ({result.detail})' if result.detail else ''}"
    return result.model_dump(mode="json", exclude={"source_id", "fetched_at", "duplicate", "reported_by"})


def _gunzip(body: bytes, limit: int) -> bytes:
    """A gzipped page (as the raw store and the shared corpora keep them), bounded."""
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"too large: more than {limit:,} bytes once decompressed (articles.max_page_bytes)")
    return data


class _open_in:  # noqa: N801 - used like open()
    def __init__(self, name: str):
        self.name = name
        self.stream: TextIO | None = None

    def __enter__(self) -> TextIO:
        if self.name == "-":
            return sys.stdin
        try:
            self.stream = open(self.name, encoding="utf-8")  # noqa: SIM115
        except OSError as problem:
            raise Failed(f"{self.name}: cannot read: {problem.strerror or problem}") from None
        return self.stream

    def __exit__(self, *exc: object) -> None:
        if self.stream:
            self.stream.close()


class _open_out(_open_in):  # noqa: N801
    def __enter__(self) -> TextIO:
        if self.name == "-":
            return sys.stdout
        try:
            self.stream = open(self.name, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as problem:
            raise Failed(f"{self.name}: cannot write: {problem.strerror or problem}") from None
        return self.stream


def main() -> None:
    # The command shows its own progress; model libraries' download and loading bars would
    # interleave with it (set before transformers is imported, which reads it then).
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # Dagster flags its own internals (Pipes) as preview features; users cannot act on that.
    warnings.filterwarnings("ignore", module=r"dagster(\..*)?$")
    warnings.filterwarnings("ignore", message=r".*(preview|beta|superseded).*", category=Warning)
    try:
        app()
    except ConfigError as problem:
        console.error(str(problem))
        sys.exit(2)
    except (ClusterUnavailable, ClusterError) as problem:
        console.error(f"search cluster: {problem}")
        sys.exit(1)
    except Failed as problem:
        console.error(str(problem))
        sys.exit(1)
    except KeyboardInterrupt:
        console.error("interrupted")
        sys.exit(130)
    except Exception as problem:  # noqa: BLE001 - the CLI's last line of defence
        if os.environ.get("MEDRADAR_DEBUG"):
            raise
        console.error(f"{type(problem).__name__}: {problem}")
        sys.exit(1)
