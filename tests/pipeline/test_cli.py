import json
from pathlib import Path

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


def test_extract_usage_errors(tmp_path):
    (tmp_path / "page.html").write_text("<html></html>")
    done = medradar("extract", str(tmp_path / "page.html"), "--timezone", "Mars/Olympus")
    assert done.returncode == 2 and "unknown time zone 'Mars/Olympus'" in done.stderr
