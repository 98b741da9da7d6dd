"""The articles stage through Dagster over pages already in the raw store: nothing is
fetched. Copies across sources and runs reach the index once, with every outlet; the
rejection-rate check flags a day on which a source's pages stop being articles."""

import re
from datetime import UTC, date, datetime

import pytest
import yaml
from dagster import AssetCheckSeverity, DagsterInstance

from pipeline.config import load_settings
from pipeline.definitions import build_definitions, reprocess_job
from pipeline.partitions import SOURCE_PARTITIONS, SourceDay
from pipeline.sample_site.server import SampleSite
from search.query import SearchQuery
from search.sqlite import SqliteBackend
from spiders.rawstore import RawPage, RawStore
from tests.support import medradar

DAY1, DAY2 = date(2025, 6, 12), date(2025, 6, 13)
SITE = "http://127.0.0.1:8000"  # where the sample site's pages say they live; never contacted
ARTICLES = [
    "stryker-to-acquire-inari-medical",
    "mayo-clinic-patient-data-medical-ai",
    "why-medtech-seeks-innovation-from-hospitals",
    "innovation-pathways-top-ten-medical-centers",
    "top-hospitals-ai-models-huxiu",
]


def sample_page(slug: str) -> tuple[bytes, str]:
    page = SampleSite().render(f"/medtech-wire/news/{slug}.html", SITE)
    return page.body, page.content_type


def store(raw_dir, source_id: str, day: date, pages: list[tuple[str, bytes, str]]) -> None:
    with RawStore(raw_dir).writer(source_id, day, f"crawl-{day}") as writer:
        for url, body, content_type in pages:
            writer.write(
                RawPage(
                    source_id=source_id, crawl_id=f"crawl-{day}", kind="article", request_url=url, url=url,
                    status=200, headers={"content-type": [content_type]},
                    fetched_at=datetime.combine(day, datetime.min.time(), UTC), body=body,
                )
            )


@pytest.fixture
def settings(tmp_path):
    sources = [
        {"id": "wire", "name": "MedTech Wire", "language": "en", "homepage": f"{SITE}/medtech-wire/",
         "feeds": [f"{SITE}/medtech-wire/feed.xml"]},
        # A syndication partner republishing the wire's stories on its own site.
        {"id": "mirror", "name": "Device Digest", "language": "en", "homepage": "https://digest.example/",
         "feeds": ["https://digest.example/feed.xml"], "timezone": "America/New_York"},
    ]
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}))
    (tmp_path / "medradar.yaml").write_text("data_dir: data\n")
    settings = load_settings(tmp_path / "medradar.yaml")
    wire = [(f"{SITE}/medtech-wire/news/{slug}.html", *sample_page(slug)) for slug in ARTICLES]
    store(settings.raw_dir, "wire", DAY1, wire)
    # The partner's copies: the same pages at its own addresses, a day later.
    store(settings.raw_dir, "mirror", DAY2, [(f"https://digest.example/story/{n}", body, kind) for n, (_, body, kind) in enumerate(wire)])
    # The wire's next day: its pages have turned into errors, blanks and stubs.
    broken = [
        (f"{SITE}/medtech-wire/news/a.html", b"", "text/html"),
        (f"{SITE}/medtech-wire/news/b.html", b"", "text/html"),
        (f"{SITE}/medtech-wire/news/c.html", b"\x89PNG\r\n\x1a\n\x00\x00", "text/html"),
        (f"{SITE}/medtech-wire/news/d.html", b"<html><body><h1>Service unavailable</h1><p>Try later.</p></body></html>", "text/html"),
        (f"{SITE}/medtech-wire/news/e.html", b"<html><body><h1>Service unavailable</h1><p>Try again.</p></body></html>", "text/html"),
    ]
    store(settings.raw_dir, "wire", DAY2, [*broken, wire[0]])
    return settings


def run(settings, instance, partition: SourceDay):
    job = build_definitions(settings).resolve_job_def(reprocess_job.name)
    return job.execute_in_process(partition_key=partition.key, instance=instance, raise_on_error=True)


def metadata(result, asset: str) -> dict:
    (materialization,) = result.asset_materializations_for_node(asset)
    return {key: value.value for key, value in materialization.metadata.items()}


def test_stored_pages_become_articles_and_copies_are_indexed_once_with_every_outlet(settings):
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["wire", "mirror"])

    first = run(settings, instance, SourceDay("wire", DAY1))
    articles = metadata(first, "articles")
    assert (articles["article_pages"], articles["extracted"], articles["rejected"], articles["duplicates"]) == (5, 5, 0, 0)
    assert articles["by_language"] == {"en": 5}
    (check,) = [c for c in first.get_asset_check_evaluations() if c.check_name == "rejection_rate_stable"]
    assert check.passed and check.metadata["judged"].value is False  # no history yet

    copies = run(settings, instance, SourceDay("mirror", DAY2))
    articles = metadata(copies, "articles")
    assert (articles["extracted"], articles["duplicates"], articles["duplicates_by_kind"]) == (5, 5, {"exact": 5})
    index = metadata(copies, "search_index")
    assert (index["copies_merged"], index["updated"], index["index_total"]) == (5, 5, 5)

    with SqliteBackend(settings.index_path) as backend:
        hits = backend.search(SearchQuery(limit=100)).hits
        assert {hit.source_id for hit in hits} == {"wire"}
        stryker = backend.get(next(hit.id for hit in hits if hit.title.startswith("Stryker to acquire")))
    assert [(ref.source_id, ref.url) for ref in stryker.reported_by] == [
        ("wire", f"{SITE}/medtech-wire/news/stryker-to-acquire-inari-medical.html"),
        ("mirror", "https://digest.example/story/0"),
    ]

    # Running a partition again links nothing new and loses no link.
    again = run(settings, instance, SourceDay("mirror", DAY2))
    assert metadata(again, "articles")["duplicates"] == 5
    assert metadata(again, "search_index")["unchanged"] == 5
    with SqliteBackend(settings.index_path) as backend:
        assert backend.get(stryker.id) == stryker


def test_a_jump_in_the_rejection_rate_is_flagged(settings):
    instance = DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(SOURCE_PARTITIONS.name, ["wire", "mirror"])
    run(settings, instance, SourceDay("wire", DAY1))
    bad_day = run(settings, instance, SourceDay("wire", DAY2))
    articles = metadata(bad_day, "articles")
    assert articles["rejected"] == 5
    assert articles["rejected_by_reason"] == {"empty_body": 2, "not_html": 1, "too_short": 2}
    (check,) = [c for c in bad_day.get_asset_check_evaluations() if c.check_name == "rejection_rate_stable"]
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert check.metadata["rejection_rate"].value == pytest.approx(5 / 6, abs=1e-3)
    assert check.metadata["earlier_rate"].value == 0.0


def test_reprocess_from_the_command_line(settings, tmp_path):
    done = medradar("--config", str(tmp_path / "medradar.yaml"), "reprocess", "--source", "wire", "--day", "2025-06-12")
    assert done.returncode == 0, done.stderr
    assert re.search(r"wire +2025-06-12 +→ articles 5 \(0 rejected, 0 duplicates\)", done.stdout)
    assert "indexed 5" in done.stdout
    done = medradar("--config", str(tmp_path / "medradar.yaml"), "reprocess", "--day", "2024-01-01")
    assert done.returncode == 1 and "no stored raw pages to reprocess" in done.stderr
