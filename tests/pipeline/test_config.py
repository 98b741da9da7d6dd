from pathlib import Path

import pytest

from pipeline.config import ConfigError, load_settings, load_sources
from tests.support import medradar


def test_defaults_without_a_file(tmp_path):
    settings = load_settings()
    assert settings.data_dir == tmp_path / "xdg" / "medradar"
    assert settings.search.backend == "sqlite"
    assert settings.index_path == settings.data_dir / "index.sqlite"
    assert "MedRadar/" in settings.crawl.resolved_user_agent and "https://" in settings.crawl.resolved_user_agent


def test_file_values_relative_paths_and_environment_overrides(tmp_path, monkeypatch):
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    config = config_dir / "medradar.yaml"
    config.write_text("data_dir: ../data\ncrawl:\n  page_budget: 3\n  timeout: 5\n")
    settings = load_settings(config)
    assert settings.data_dir == tmp_path / "data"
    assert settings.sources_file == config_dir / "sources.yaml"
    assert settings.crawl.page_budget == 3
    monkeypatch.setenv("MEDRADAR_CRAWL__PAGE_BUDGET", "7")
    monkeypatch.setenv("MEDRADAR_CONFIG", str(config))
    settings = load_settings()
    assert settings.crawl.page_budget == 7 and settings.crawl.timeout == 5


@pytest.mark.parametrize(
    ("content", "key", "reason"),
    [
        ("search:\n  backend: mysql\n", "search.backend", "Input should be 'sqlite'"),
        ("crawl:\n  page_budget: -1\n", "crawl.page_budget", "greater than or equal to 1"),
        ("crawl:\n  speed: fast\n", "crawl.speed", "unknown key"),
        ("translate:\n  backend: marian\n", "translate.backend", "Input should be 'transformers' or 'ctranslate2'"),
        ("translate:\n  device: gpu\n", "translate.device", "String should match pattern"),
        ("translate:\n  batch_size: 0\n", "translate.batch_size", "greater than or equal to 1"),
        ("search:\n  api_key: abc\n", "search.api_key", "MEDRADAR_SEARCH__API_KEY"),
        ("search:\n  password: abc\n", "search.password", "MEDRADAR_SEARCH__PASSWORD"),
        ("search:\n  urls: [ftp://x]\n", "search.urls", "expected http:// or https:// URLs"),
        ("search:\n  index_prefix: Bad Prefix\n", "search.index_prefix", "should match pattern"),
        ("alerts:\n  trends:\n    emails: [bd@example.com, team]\n", "alerts.trends.emails", "not an email address: team"),
        ("crawl: [1, 2\n", "", "invalid YAML"),
        ("- just\n- a list\n", "", "expected a mapping"),
    ],
)
def test_invalid_configuration_names_file_key_and_reason(tmp_path, content, key, reason):
    config = tmp_path / "bad.yaml"
    config.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert message.startswith(f"{config}: ")
    assert key in message and reason in message


def test_the_cli_reports_a_bad_config_in_one_message_with_exit_code_2(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("search:\n  backend: mysql\n")
    done = medradar("--config", str(config), "search", "x")
    assert done.returncode == 2
    assert f"{config}: search.backend:" in done.stderr
    assert "Traceback" not in done.stderr
    missing = medradar("--config", str(tmp_path / "nope.yaml"), "search", "x")
    assert missing.returncode == 2 and "nope.yaml: no such file" in missing.stderr


def test_translation_model_by_id_or_path_and_its_files_under_the_data_dir(tmp_path):
    config = tmp_path / "medradar.yaml"
    config.write_text("data_dir: data\ntranslate:\n  model: ./models/opus\n  backend: ctranslate2\n")
    settings = load_settings(config)
    assert settings.translate.model == str(tmp_path / "models" / "opus")
    translator = settings.translator_config
    assert translator.memory_path == tmp_path / "data" / "translation" / "memory.sqlite"
    assert translator.ct2_dir.parent == tmp_path / "data" / "models" / "ctranslate2"
    assert translator.ct2_dir.name.endswith("models--opus-int8")
    config.write_text("translate:\n  model: Helsinki-NLP/opus-mt-zh-en\n  scope: title_lead\n")
    settings = load_settings(config)
    assert settings.translate.model == "Helsinki-NLP/opus-mt-zh-en" and settings.translate.scope == "title_lead"
    assert settings.translator_config.ct2_dir.name == "Helsinki-NLP--opus-mt-zh-en-int8"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_sources_registry_problems_are_all_named(tmp_path):
    path = write(
        tmp_path / "sources.yaml",
        """sources:
  - {id: a, name: A, language: en, homepage: "https://a.example/", feeds: ["https://a.example/feed"]}
  - {id: a, name: A2, language: en, homepage: "https://a2.example/", feeds: ["https://a2.example/feed"]}
  - {id: Bad Id, name: B, language: fr, homepage: "not a url", feeds: []}
  - {id: c, name: C, language: zh, homepage: "https://c.example/", colour: red, feeds: ["https://c.example/rss"]}
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    problems = dict(caught.value.problems)
    assert "duplicate id 'a'" in problems["sources[1].id"]
    assert "sources[2].id" in problems and "sources[2].language" in problems
    assert "sources[2].homepage" in problems
    assert problems["sources[3].colour"] == "unknown key"


def test_a_source_needs_somewhere_to_start(tmp_path):
    path = write(tmp_path / "s.yaml", "sources:\n  - {id: a, name: A, language: en, homepage: 'https://a.example/'}\n")
    with pytest.raises(ConfigError, match="at least one of feeds, sitemaps or listings"):
        load_sources(path)


def test_the_shipped_registry_is_valid():
    from tests.support import REPO_ROOT

    sources = load_sources(REPO_ROOT / "sources.yaml")
    assert {s.language for s in sources} == {"en", "zh"}


def test_search_cluster_settings_from_file_and_environment(tmp_path, monkeypatch):
    config = tmp_path / "medradar.yaml"
    config.write_text("search:\n  backend: opensearch\n  urls: [http://127.0.0.1:9201/]\n  ca_certs: ca.pem\n")
    settings = load_settings(config)
    assert settings.search.urls == ["http://127.0.0.1:9201"]
    assert settings.search.ca_certs == tmp_path / "ca.pem"
    assert settings.spool_dir == settings.data_dir / "spool" / "medradar"
    monkeypatch.setenv("MEDRADAR_SEARCH__URLS", "http://a:9200, https://b:9200")
    monkeypatch.setenv("MEDRADAR_SEARCH__API_KEY", "s3cret")
    settings = load_settings(config)
    assert settings.search.urls == ["http://a:9200", "https://b:9200"]
    assert settings.search.api_key.get_secret_value() == "s3cret" and "s3cret" not in repr(settings)


def test_the_model_event_and_fx_sections_as_documented(tmp_path):
    from tests.support import REPO_ROOT

    # the checked-in medradar.yaml documents these sections commented out: uncommented, they
    # must be valid and equal to the defaults
    lines = (REPO_ROOT / "medradar.yaml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# models:"))
    block = [line[2:] for line in lines[start:] if line.startswith("# ") and not line.startswith("# The ")]
    config = write(tmp_path / "medradar.yaml", "\n".join(block) + "\n")
    documented, defaults = load_settings(config), load_settings()
    assert documented.models == defaults.models
    assert documented.events == defaults.events and documented.fx == defaults.fx
    assert documented.alerts == defaults.alerts
    assert documented.dagster == defaults.dagster
    assert documented.event_head_path == documented.data_dir / "models" / "event-head"

    config = write(tmp_path / "other.yaml", "models:\n  head: {path: heads/v1}\nevents: {store_path: ev.sqlite}\n")
    settings = load_settings(config)
    assert settings.event_head_path == tmp_path / "heads" / "v1" and settings.events_path == tmp_path / "ev.sqlite"
    bad = write(tmp_path / "bad.yaml", "models:\n  zero_shot: {threshold: 2}\n")
    with pytest.raises(ConfigError, match="models.zero_shot.threshold: Input should be less than 1"):
        load_settings(bad)
def test_duplicate_and_gate_settings_are_validated(tmp_path):
    config = tmp_path / "medradar.yaml"
    config.write_text("dedupe:\n  threshold: 1.5\narticles:\n  min_text_chars: {en: 200}\n")
    with pytest.raises(ConfigError) as error:
        load_settings(config)
    assert "dedupe.threshold: Input should be less than or equal to 1" in str(error.value)
    assert "articles.min_text_chars: needs an 'other' entry" in str(error.value)


def test_alert_secrets_come_from_the_environment_only(tmp_path, monkeypatch):
    config = tmp_path / "medradar.yaml"
    config.write_text("alerts:\n  smtp: {host: mail.example.org, password: hunter2}\n")
    with pytest.raises(ConfigError, match="alerts.smtp.password: secrets are not read from files: set MEDRADAR_ALERTS__SMTP__PASSWORD"):
        load_settings(config)
    config.write_text("alerts:\n  smtp: {host: mail.example.org, security: starttls}\n")
    monkeypatch.setenv("MEDRADAR_ALERTS__SMTP__PASSWORD", "hunter2")
    smtp = load_settings(config).alerts.smtp
    assert (smtp.host, smtp.security, smtp.password.get_secret_value()) == ("mail.example.org", "starttls", "hunter2")
