import json
from pathlib import Path

import pytest

from tests.support import REPO_ROOT, medradar

COMMANDS = ["run", "reprocess", "demo", "search", "classify", "train-classifier", "events", "extract", "ui", "index",
            "index status", "index rebuild", "index replay", "watch", "watch add", "watch list", "watch show",
            "watch remove", "watch test", "watch send-daily", "trends", "outbox", "outbox list", "outbox retry", "outbox purge",
            "serve"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    done = medradar(*command.split(), "--help")
    assert done.returncode == 0
    assert "Example: medradar" in done.stdout


def test_usage_errors_exit_2():
    assert medradar("nonsense").returncode == 2
    done = medradar("search", "x", "--type", "alliance")
    assert done.returncode == 2 and "unknown event type alliance" in done.stderr
    assert medradar("search", "x", "--since", "yesterday").returncode == 2


def test_search_before_any_run_says_what_to_do():
    done = medradar("search", "合作")
    assert done.returncode == 1
    assert "run `medradar demo` or `medradar run` first" in done.stderr


def test_classify_reads_jsonl_and_writes_labels_status_parties_amount_and_evidence(tmp_path):
    lines = [
        {"id": "1", "title": "史赛克完成对Inari Medical的收购", "text": "交易总价值约49亿美元。"},
        {"id": "2", "title": "Mayo Clinic and Acme Robotics sign research agreement",
         "text": "The partnership covers AI imaging.", "lang": "en", "extra": "kept"},
        {"id": "3", "title": "Hospital opens a night clinic", "text": "Open from 6pm."},
    ]
    infile = tmp_path / "in.jsonl"
    infile.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    done = medradar("classify", str(infile), "-o", str(tmp_path / "out.jsonl"))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["labels"] for o in out] == [["merger_acquisition"], ["partnership"], []]
    assert out[0]["status"] == "completed"
    assert out[0]["parties"] == ["Stryker", "Inari Medical"]
    assert out[0]["amount"] == {"value": 4.9e9, "currency": "USD", "usd": 4.9e9, "approximate": True}
    assert out[0]["evidence"] == {"merger_acquisition": ["史赛克完成对Inari Medical的收购"]}
    [event] = out[0]["events"]
    assert [(p["name"], p["role"]) for p in event["parties"]] == [("Stryker", "acquirer"), ("Inari Medical", "target")]
    assert event["layers"] == ["rules"] and set(event["scores"]) == {"rules"}
    assert out[1]["parties"] == ["Mayo Clinic", "Acme Robotics"] and out[1]["amount"] is None
    assert out[1]["extra"] == "kept" and out[1]["lang"] == "en"
    assert out[2]["evidence"] == {} and out[2]["status"] is None and out[2]["parties"] == []
    # the transformer layers could not be loaded: one warning each, the rules decided
    assert done.stderr.count("warning: zero_shot layer unavailable") == 1
    assert done.stderr.count("warning: head layer unavailable") == 1


def test_train_classifier_then_classify_with_every_layer(tmp_path, nli_model):
    leads = REPO_ROOT / "bench" / "data" / "leads.jsonl"
    zero_shot = {"MEDRADAR_MODELS__ZERO_SHOT__MODEL": str(nli_model)}
    trained = medradar("train-classifier", str(leads), "-o", str(tmp_path / "head"), env=zero_shot)
    assert trained.returncode == 0, trained.stderr
    assert "thresholds chosen on" in trained.stdout and "merger_acquisition" in trained.stdout
    head = json.loads((tmp_path / "head" / "head.json").read_text())
    assert head["examples"]["train"] + head["examples"]["validation"] == len(leads.read_text().splitlines())
    assert set(head["combined_thresholds"]) == {"rules+head", "zero_shot+head", "rules+zero_shot+head"}

    line = {"id": "1", "title": "Stryker to acquire Inari Medical in $4.9 billion deal", "text": "A big deal."}
    env = {"MEDRADAR_MODELS__HEAD__PATH": str(tmp_path / "head"), **zero_shot}
    done = medradar("classify", "-", stdin=json.dumps(line) + "\n", env=env)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    [out] = [json.loads(row) for row in done.stdout.splitlines()]
    assert "merger_acquisition" in out["labels"]
    event = next(e for e in out["events"] if e["type"] == "merger_acquisition")
    assert set(event["scores"]) == {"rules", "zero_shot", "head"}
    assert "rules" in event["layers"]


def test_train_classifier_refuses_unknown_labels_and_too_few_examples(tmp_path):
    infile = tmp_path / "labelled.jsonl"
    infile.write_text(json.dumps({"id": "1", "title": "t", "text": "x", "labels": ["alliance"]}) + "\n")
    done = medradar("train-classifier", str(infile), "-o", str(tmp_path / "head"))
    assert done.returncode == 1
    assert "id 1: unknown label alliance" in done.stderr
    assert "0 usable example(s); at least 20" in done.stderr
    assert not (tmp_path / "head").exists()


def test_events_lists_what_the_store_holds(tmp_path):
    from enrich.amounts import FxRates
    from enrich.analyser import AnalyserConfig, build_analyser
    from pipeline.config import load_settings
    from pipeline.eventstore import EventStore
    from tests.pipeline.test_eventstore import EN, ZH

    assert medradar("events").returncode == 1
    settings = load_settings()
    analyser = build_analyser(AnalyserConfig(fx=FxRates.of(settings.fx.usd_per_unit)))
    with EventStore(settings.events_path, 90) as store:
        store.replace_partition("wire", __import__("datetime").date(2025, 1, 6), analyser.enrich([EN, ZH]))
    done = medradar("events", "--json")
    assert done.returncode == 0, done.stderr
    [event] = json.loads(done.stdout)
    assert event["type"] == "merger_acquisition" and event["languages"] == ["en", "zh"]
    text = medradar("events", "--type", "merger_acquisition").stdout
    assert "Stryker (acquirer), Inari Medical (target) · $4.9B" in text and "2 article(s)" in text
    assert medradar("events", "--type", "alliance").returncode == 2


def test_classify_from_stdin_keeps_going_past_bad_lines():
    stdin = '{"id": "1", "title": "Acme to acquire Beta", "text": ""}\nnot json\n{"title": "no id"}\n' \
            '{"id": "4", "title": "Beta merger", "text": ""}\n'
    done = medradar("classify", "-", stdin=stdin)
    assert done.returncode == 1
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ["1", "4"]
    assert "-:2:" in done.stderr and "-:3: id:" in done.stderr


def test_extract_prints_every_field_as_json_per_file_and_reports_bad_files(tmp_path, sample_site_url):
    import gzip
    import urllib.request

    page = tmp_path / "page.html"
    url = f"{sample_site_url}/yixie-guancha/news/night-clinic.html"
    page.write_bytes(urllib.request.urlopen(url).read())
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(page.read_bytes()))
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "garbled.html").write_bytes(bytes(range(128, 256)) * 40)
    (tmp_path / "huge.html").write_bytes(b"<html>" + b" " * 2_000_000 + b"</html>")
    (tmp_path / "medradar.yaml").write_text("articles:\n  max_page_bytes: 1000000\n")
    files = ["page.html", "empty.html", "image.png", "missing.html", "garbled.html", "huge.html", "page.html.gz"]
    done = medradar(
        "--config", str(tmp_path / "medradar.yaml"), "extract", *(str(tmp_path / name) for name in files),
        "--url", url, "--timezone", "Asia/Shanghai",
    )
    assert done.returncode == 1
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [Path(r["file"]).name for r in results] == files
    article = results[0]
    assert article["title"] == "滨江市第一人民医院开设夜间门诊 优化线上复诊流程"
    assert article["lang"] == "zh" and article["title_lang"] == "zh" and article["script"] == "Hans"
    assert article["published_at"] == "2025-05-09T00:30:00Z" and article["published_from"] == "metadata"
    assert article["url"] == url and article["canonical_url"] == url and article["author"] == "医械观察编辑部"
    assert article["site_name"] == "医械观察" and article["declared_lang"] == "zh"
    assert article["description"] and "夜间门诊" in article["text"] and "\n" in article["text"]
    for field in ("updated_at", "image_url", "content_hash", "title_simplified", "text_simplified", "id"):
        assert field in article
    assert results[1]["error"] == "empty file"
    assert results[2]["error"] == "binary file, not an HTML page (starts like an image, PDF, archive or font file)"
    assert results[3]["error"].startswith("cannot read")
    assert results[4]["error"].startswith("cannot be decoded as text in any encoding")
    assert results[5]["error"] == "too large: 2,000,013 bytes (articles.max_page_bytes is 1,000,000)"
    assert results[6]["title"] == article["title"]  # gzipped pages are read too
    assert "6 of 7 file(s) failed" not in done.stderr and "5 of 7 file(s) failed" in done.stderr
    assert f"{tmp_path / 'empty.html'}: empty file" in done.stderr


def test_search_refuses_a_bad_filter_naming_its_option(sample_config):
    bad_status = medradar("--config", str(sample_config), "search", "", "--status", "signed")
    assert bad_status.returncode == 2 and "--status" in bad_status.stderr and "completed" in bad_status.stderr
    negative = medradar("--config", str(sample_config), "search", "", "--min-usd", "-5")
    assert negative.returncode == 2 and "--min-usd" in negative.stderr


def test_extract_usage_errors(tmp_path):
    (tmp_path / "page.html").write_text("<html></html>")
    done = medradar("extract", str(tmp_path / "page.html"), "--timezone", "Mars/Olympus")
    assert done.returncode == 2 and "unknown time zone 'Mars/Olympus'" in done.stderr


def test_an_unreachable_cluster_is_a_one_line_runtime_error(tmp_path):
    from scripts.search_engine import free_ports

    env = {"MEDRADAR_SEARCH__URLS": f"http://127.0.0.1:{free_ports(1)[0]}", "MEDRADAR_SEARCH__RETRIES": "0"}
    done = medradar("--backend", "elasticsearch", "search", "合作", env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("error: search cluster: cannot reach http://127.0.0.1:")
    assert len(done.stderr.strip().splitlines()) == 1
    assert medradar("--backend", "mysql", "search", "x").returncode == 2


def test_watch_commands_store_show_test_and_remove_and_refuse_bad_watches(sample_config):
    config = ["--config", str(sample_config)]
    refused = [
        (["x", "", "--type", "alliance", "--email", "a@example.org"], "unknown event type alliance"),
        (["x", '"Mayo', "--email", "a@example.org"], "unbalanced double quote"),
        (["x", "Mayo", "--source", "nowhere", "--email", "a@example.org"], "unknown source nowhere"),
        (["x", "Mayo"], "--email or --webhook"),
    ]
    for args, reason in refused:
        done = medradar(*config, "watch", "add", *args)
        assert done.returncode == 2 and reason in done.stderr, (args, done.stderr)
    assert json.loads(medradar(*config, "watch", "list", "--json").stdout) == []

    added = medradar(*config, "watch", "add", "ortho", "", "--type", "merger_acquisition", "--party", "Stryker",
                     "--min-usd", "1e9", "--email", "bd@example.org", "--webhook", "https://hooks.example/x")  # fmt: skip
    assert added.returncode == 0, added.stderr
    secret = added.stdout.rsplit(": ", 1)[1].strip()
    shown = json.loads(medradar(*config, "watch", "show", "ortho").stdout)
    assert shown["query"]["parties"] == ["Stryker"] and shown["query"]["min_usd"] == 1e9
    assert shown["webhooks"] == [{"url": "https://hooks.example/x", "secret": "…" + secret[-4:]}]
    assert shown["cadence"] == "instant" and shown["created_at"]
    assert medradar(*config, "watch", "add", "ortho", "x", "--email", "a@example.org").returncode == 2  # exists
    tested = medradar(*config, "watch", "test", "ortho", "--days", "30")
    assert tested.returncode == 0 and "0 item(s) in the last 30 days" in tested.stdout
    assert medradar(*config, "watch", "remove", "ortho").returncode == 0
    assert medradar(*config, "watch", "remove", "ortho").returncode == 2
    assert json.loads(medradar(*config, "outbox", "list", "--json").stdout) == []
    assert json.loads(medradar(*config, "trends", "--json").stdout) == []
    daily = medradar(*config, "watch", "send-daily")
    assert daily.returncode == 0 and "alerts: 0 new item(s) of 0 matched, 0 message(s) queued, 0 sent" in daily.stdout
