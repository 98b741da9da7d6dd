"""The ``medradar`` command line.

Exit codes: 0 success; 2 usage or configuration error; 1 runtime failure, with a one-line
reason (set MEDRADAR_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from pydantic import BaseModel, ConfigDict, ValidationError
from rich.text import Text

from enrich.articles import build_article
from enrich.schema import Rejection
from pipeline import console
from pipeline.config import CONFIG_ENV, ConfigError, Settings, load_settings, load_sources
from pipeline.instance import dagster_home, open_instance
from pipeline.partitions import SourceDay
from pipeline.resources import ModelsResource, SearchBackendResource
from search.query import SearchQuery

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
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help=f"medradar.yaml to use (default: ${CONFIG_ENV}, then ./medradar.yaml)"),
    ] = None,
) -> None:
    """Crawl, extract, classify and search medtech news.

    Example: medradar demo && medradar search 合作
    """
    ctx.obj = State(config)


@app.command(epilog="Example: medradar run --source medtech-dive")
def run(
    ctx: typer.Context,
    source: Annotated[list[str], typer.Option("--source", "-s", help="source id (repeatable); default: all")] = [],  # noqa: B006
) -> None:
    """Run the full pipeline (crawl → articles → translation → events → index) through Dagster
    for the configured sources, one run per source for today (UTC); then translate the
    articles earlier runs left pending, if the translation model can be loaded now."""
    settings: Settings = ctx.obj.settings
    known = [s.id for s in load_sources(settings.sources_file)]
    unknown = sorted(set(source) - set(known))
    if unknown:
        raise typer.BadParameter(
            f"unknown source {', '.join(unknown)} (known: {', '.join(known)})", param_hint="--source"
        )
    from pipeline.runner import run_ingest, run_pending_translations

    selected = source or known
    day = datetime.now(UTC).date()
    instance = open_instance(settings)
    with console.out.status(f"running {len(selected)} source(s) through Dagster…"):
        reports = run_ingest(settings, selected, day, instance, _print_report)
    console.print_totals(reports)
    with console.out.status("translating articles left pending by earlier runs…"):
        retry = run_pending_translations(settings, instance, [SourceDay(s, day) for s in selected], _print_report)
    console.print_pending_retry(retry)
    reports += retry.reports
    failed = [r.source_id for r in reports if not r.success]
    if failed:
        raise Failed(f"{len(failed)} of {len(reports)} run(s) failed: {', '.join(failed)}")


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
    if not all(r.success for r in result.reports):
        raise Failed("the demo pipeline failed (see above)")
    with SearchBackendResource.from_settings(settings).open() as backend:
        console.out.print(Text("\nsample search: medradar search 合作", style="bold"))
        console.print_hits(backend.search(SearchQuery(text="合作", limit=3)))
    exe = Path(sys.argv[0]).name if Path(sys.argv[0]).name == "medradar" else "medradar"
    console.out.print(
        Text(
            "\ntry next:\n"
            f'  {exe} search "Mayo Clinic" --type partnership\n'
            f"  {exe} search 并购 --lang zh\n"
            f"  {exe} search --type merger_acquisition ''\n"
            f"  {exe} ui        # the Dagster UI: asset graph and the demo's runs\n"
            "(from a checkout: .venv/bin/medradar, or `source .venv/bin/activate` first)"
        )
    )


@app.command(epilog='Example: medradar search "Mayo Clinic" --type partnership --since 2025-01-01')
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="QUERY", help="free text; \"double quotes\" for a phrase; '' for filters only")],
    type_: Annotated[list[str], typer.Option("--type", "-t", help="event type (repeatable)")] = [],  # noqa: B006
    lang: Annotated[list[str], typer.Option("--lang", "-l", help="en or zh (repeatable)")] = [],  # noqa: B006
    source: Annotated[list[str], typer.Option("--source", "-s", help="source id (repeatable)")] = [],  # noqa: B006
    since: Annotated[str | None, typer.Option(help="published on or after, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="published before, YYYY-MM-DD")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="results to show")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of text")] = False,
) -> None:
    """Search the index."""
    try:
        search_query = SearchQuery(
            text=query, types=type_, langs=lang, sources=source, since=since, until=until, limit=limit
        )
    except ValidationError as invalid:
        problem = invalid.errors()[0]
        option = {"types": "--type", "langs": "--lang", "text": "QUERY"}.get(
            str(problem["loc"][0]), f"--{problem['loc'][0]}"
        )
        raise typer.BadParameter(problem["msg"].removeprefix("Value error, "), param_hint=option) from None
    settings: Settings = ctx.obj.settings
    if settings.search.backend == "sqlite" and not settings.index_path.exists():
        raise Failed(f"no index at {settings.index_path} yet: run `medradar demo` or `medradar run` first")
    with SearchBackendResource.from_settings(settings).open() as backend:
        result = backend.search(search_query)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        console.print_hits(result)


class ClassifyInput(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    title: str = ""
    text: str = ""
    lang: str | None = None


@app.command(epilog="Example: medradar classify leads.jsonl -o labelled.jsonl")
def classify(
    ctx: typer.Context,
    infile: Annotated[str, typer.Argument(metavar="IN.jsonl", help='JSON Lines of {"id","title","text"}; - for stdin')],
    output: Annotated[str, typer.Option("--output", "-o", help="where to write; - for stdout")] = "-",
) -> None:
    """Label each article with the business events it reports, and the sentences that show it.

    Each output line is the input line plus "labels" (event types, empty for none) and
    "evidence" (event type → triggering sentences). A bad line is reported and skipped."""
    settings: Settings = ctx.obj.settings
    classifier = ModelsResource.from_settings(settings).rule_classifier()
    failures = 0
    with _open_in(infile) as lines, _open_out(output) as sink:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = ClassifyInput.model_validate_json(line)
            except ValidationError as invalid:
                failures += 1
                problem = invalid.errors()[0]
                where = ".".join(str(part) for part in problem["loc"]) or "line"
                console.error(f"{infile}:{number}: {where}: {problem['msg']}")
                continue
            mentions = classifier.classify(item.title, item.text)
            record: dict[str, Any] = item.model_dump(exclude_none=True)
            record["labels"] = [m.type for m in mentions]
            record["evidence"] = {m.type: m.evidence for m in mentions}
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    if failures:
        raise Failed(f"{failures} line(s) of {infile} could not be classified (see above)")


@app.command(epilog="Example: medradar extract page.html --url https://example.com/news/1 --json")
def extract(
    files: Annotated[list[Path], typer.Argument(metavar="FILE.html...", help="saved HTML pages")],
    url: Annotated[str | None, typer.Option(help="the page's URL (default: file:// path)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file")] = False,
) -> None:
    """Extract the article from saved HTML pages, as the pipeline's articles stage does."""
    failures = 0
    for path in files:
        result = _extract_file(path, url)
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
    settings: Settings = ctx.obj.settings
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home(settings))}
    if ctx.obj.config:
        env[CONFIG_ENV] = str(Path(ctx.obj.config).resolve())
    command = [str(Path(sys.executable).with_name("dagster")), "dev", "-m", "pipeline.definitions"]
    raise typer.Exit(subprocess.call([*command, "-h", "127.0.0.1", "-p", str(port)], env=env))


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


def _print_report(report: Any) -> None:
    console.out.print(console.report_line(report))


def _extract_file(path: Path, url: str | None) -> dict[str, Any] | str:
    """The article fields of one saved page, or why there are none."""
    try:
        body = path.read_bytes()
    except OSError as problem:
        return f"cannot read: {problem.strerror or problem}"
    if b"\x00" in body[:4096]:
        return "binary file, not an HTML page"
    result = build_article(
        source_id="file",
        url=url or path.resolve().as_uri(),
        body=body,
        fetched_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
    )
    if isinstance(result, Rejection):
        return f"no article: {result.reason}{f' ({result.detail})' if result.detail else ''}"
    return result.model_dump(mode="json", exclude={"source_id", "fetched_at"})


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
    # Dagster flags its own internals (Pipes) as preview features; users cannot act on that.
    warnings.filterwarnings("ignore", module=r"dagster(\..*)?$")
    warnings.filterwarnings("ignore", message=r".*(preview|beta|superseded).*", category=Warning)
    try:
        app()
    except ConfigError as problem:
        console.error(str(problem))
        sys.exit(2)
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
