"""The source registry: what a source may say, and `medradar sources check` refusing the rest."""

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from pipeline.config import ConfigError, load_sources
from spiders.sources import Source, on_domains
from tests.support import REPO_ROOT, medradar

BASE = {"id": "a", "name": "A", "language": "en", "homepage": "https://a.example/", "feeds": ["https://a.example/feed"]}


def test_the_shipped_registry_has_real_sources_in_both_languages():
    sources = load_sources(REPO_ROOT / "sources.yaml")
    languages = [source.language for source in sources]
    assert len(sources) >= 14 and languages.count("en") >= 6 and languages.count("zh") >= 6
    assert {kind for source in sources for kind in source.entry_kinds} == {"feed", "sitemap", "listing"}
    assert all("127.0.0.1" not in str(source.homepage) for source in sources)
    done = medradar("sources", "check", str(REPO_ROOT / "sources.yaml"))
    assert done.returncode == 0, done.stderr
    assert f"{len(sources)} sources OK" in done.stdout


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"link_css": "a[", "listings": ["https://a.example/news"]}, "invalid CSS selector"),
        ({"next_xpath": "//a[@class='next'"}, "invalid XPath"),
        ({"article_pattern": "/news/(\\d+"}, "invalid regular expression"),
        ({"timezone": "Mars/Olympus"}, "unknown IANA time zone"),
        ({"allowed_domains": ["https://a.example/"]}, "is not a host name"),
        ({"feeds": ["https://elsewhere.example/feed"]}, "is not on an allowed domain"),
        ({"listings": ["https://a.example/news"]}, "listings need link_css or link_xpath"),
        ({"link_css": "a", "link_xpath": "//a", "listings": ["https://a.example/news"]}, "not both"),
        ({"feeds": []}, "at least one of feeds, sitemaps or listings"),
        ({"max_pages": 0}, "greater than or equal to 1"),
        ({"selectors_verified": "last week"}, "valid date"),
    ],
)
def test_what_a_source_may_not_say(fields, problem):
    with pytest.raises(ValidationError, match=problem):
        Source.model_validate({**BASE, **fields})


def test_selectors_xpath_extensions_and_zones_that_are_fine():
    source = Source.model_validate(
        {
            **BASE, "listings": ["https://news.a.example/list"], "allowed_domains": ["a.example"],
            "link_xpath": "//a[re:test(@href, '/p/\\d+$')]/@href", "next_css": 'a[rel="next"]::attr(href)',
            "timezone": "Asia/Shanghai", "selectors_verified": "2025-06-01",
        }
    )
    assert source.entry_kinds == ["feed", "listing"]
    assert datetime(2025, 1, 1, tzinfo=source.zone).utcoffset() == timedelta(hours=8)
    assert on_domains("https://news.a.example/x", source.domains)  # subdomains are the site's
    assert not on_domains("https://a.example.evil/x", source.domains)


def test_the_check_command_names_every_problem_and_exits_2(tmp_path):
    registry = tmp_path / "sources.yaml"
    registry.write_text(
        """sources:
  - {id: a, name: A, language: en, homepage: "https://a.example/", feeds: ["https://a.example/feed"]}
  - {id: a, name: A2, language: en, homepage: "https://a2.example/", feeds: ["https://a2.example/feed"]}
  - {id: b, name: B, language: zh, homepage: "https://b.example/", listings: ["https://b.example/"], link_css: "div[", colour: red}
  - id: c
    name: C
    language: en
    homepage: "https://c.example/"
    feeds: ["https://c.example/feed"]
    feeds: ["https://c.example/other"]
"""
    )
    done = medradar("sources", "check", str(registry))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == f"error: {registry}: line 10, column 5: duplicate key 'feeds'"

    registry.write_text(registry.read_text().replace('    feeds: ["https://c.example/other"]\n', ""))
    done = medradar("sources", "check", str(registry))
    assert done.returncode == 2
    lines = done.stderr.strip().removeprefix("error: ").splitlines()
    assert lines == [
        f"{registry}: sources[1].id: duplicate id 'a' (also sources[0])",
        f"{registry}: sources[2].link_css: invalid CSS selector: Expected ident or '*', got <EOF at 4>",
        f"{registry}: sources[2].colour: unknown key",
    ]


def test_the_check_command_reads_the_configured_registry(tmp_path):
    (tmp_path / "sources.yaml").write_text("sources:\n  - {id: x, name: X, language: en, homepage: 'https://x.example/', feeds: ['https://x.example/f']}\n")
    (tmp_path / "medradar.yaml").write_text("sources_file: sources.yaml\n")
    done = medradar("--config", str(tmp_path / "medradar.yaml"), "sources", "list", "--json")
    assert done.returncode == 0, done.stderr
    assert '"id": "x"' in done.stdout


def test_problems_in_the_registry_are_config_errors(tmp_path):
    registry = tmp_path / "s.yaml"
    registry.write_text("sources:\n  - {id: a, name: A, language: en, homepage: 'https://a.example/', sitemaps: ['ftp://a.example/s.xml']}\n")
    with pytest.raises(ConfigError) as caught:
        load_sources(registry)
    assert [key for key, _ in caught.value.problems] == ["sources[0].sitemaps[0]"]
