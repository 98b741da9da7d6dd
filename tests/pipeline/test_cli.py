import json

import pytest

from tests.support import medradar

COMMANDS = ["run", "reprocess", "demo", "search", "classify", "extract", "ui"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    done = medradar(command, "--help")
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


def test_classify_reads_jsonl_and_writes_labels_and_evidence(tmp_path):
    lines = [
        {"id": "1", "title": "史赛克完成对Inari的收购", "text": "交易金额约49亿美元。"},
        {"id": "2", "title": "Mayo Clinic and Acme sign research agreement",
         "text": "The partnership covers AI imaging.", "lang": "en", "extra": "kept"},
        {"id": "3", "title": "Hospital opens a night clinic", "text": "Open from 6pm."},
    ]
    infile = tmp_path / "in.jsonl"
    infile.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n")
    done = medradar("classify", str(infile), "-o", str(tmp_path / "out.jsonl"))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["labels"] for o in out] == [["merger_acquisition"], ["partnership"], []]
    assert out[0]["evidence"] == {"merger_acquisition": ["史赛克完成对Inari的收购"]}
    assert out[1]["extra"] == "kept" and out[1]["lang"] == "en"
    assert out[2]["evidence"] == {}


def test_classify_from_stdin_keeps_going_past_bad_lines():
    stdin = '{"id": "1", "title": "Acme to acquire Beta", "text": ""}\nnot json\n{"title": "no id"}\n' \
            '{"id": "4", "title": "Beta merger", "text": ""}\n'
    done = medradar("classify", "-", stdin=stdin)
    assert done.returncode == 1
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ["1", "4"]
    assert "-:2:" in done.stderr and "-:3: id:" in done.stderr


def test_extract_prints_fields_per_file_and_reports_bad_files(tmp_path, sample_site_url):
    import urllib.request

    page = tmp_path / "page.html"
    url = f"{sample_site_url}/yixie-guancha/news/night-clinic.html"
    page.write_bytes(urllib.request.urlopen(url).read())
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    done = medradar(
        "extract", str(page), str(tmp_path / "empty.html"), str(tmp_path / "image.png"),
        str(tmp_path / "missing.html"), "--url", url, "--json",
    )
    assert done.returncode == 1
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert results[0]["title"] == "滨江市第一人民医院开设夜间门诊 优化线上复诊流程"
    assert results[0]["lang"] == "zh" and results[0]["published_at"] == "2025-05-09T00:30:00Z"
    assert results[0]["url"] == url and results[0]["author"] == "医械观察编辑部"
    assert results[1]["error"] == "no article: empty_body"
    assert results[2]["error"] == "binary file, not an HTML page"
    assert results[3]["error"].startswith("cannot read")
