"""The demo, end to end, as a user runs it: sample site over HTTP on loopback, the whole
pipeline through Dagster, then searches from the command line."""

import json
import re

import pytest
from dagster import DagsterInstance, DagsterRunStatus

from tests.support import medradar

pytestmark = pytest.mark.e2e


def search(*args: str) -> dict:
    done = medradar("search", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def totals(stdout: str) -> dict[str, int]:
    line = next(line for line in stdout.splitlines() if line.startswith("totals:"))
    return {name.strip(): int(count) for name, count in re.findall(r"([a-z ]+?) (\d+)", line.removeprefix("totals:"))}


def test_demo_then_search(tmp_path):
    first = medradar("demo")
    assert first.returncode == 0, first.stderr
    counts = totals(first.stdout)
    assert counts == {
        "pages fetched": 17, "articles extracted": 11, "articles translated": 0, "articles with events": 10,
        "articles indexed": 11,
    }
    # No weights can be downloaded here (HF_HUB_OFFLINE): said once, the articles indexed untranslated.
    assert first.stdout.count("translation model unavailable: Helsinki-NLP/opus-mt-zh-en") == 1
    assert "7 article(s) with Chinese text or headline indexed untranslated and marked pending" in first.stdout
    assert "try next" in first.stdout

    chinese = search("合作")
    titles = [hit["title"] for hit in chinese["hits"]]
    assert "梅奥诊所两个月内宣布六项跨界合作" in titles
    assert all("合作" in hit["title"] + hit["snippet"] for hit in chinese["hits"])
    assert next(h for h in chinese["hits"] if h["title"] == "梅奥诊所两个月内宣布六项跨界合作")["lang"] == "zh"

    deals = search("", "--type", "merger_acquisition")
    deal_titles = [hit["title"] for hit in deals["hits"]]
    assert "Stryker to acquire Inari Medical in $4.9 billion deal" in deal_titles
    assert "史赛克完成对Inari Medical的收购，加码外周血管介入" in deal_titles
    assert all("merger_acquisition" in hit["labels"] for hit in deals["hits"])

    mayo = search("Mayo Clinic", "--type", "partnership")
    assert any("Mayo Clinic’s interest in tapping patient data" in hit["title"] for hit in mayo["hits"])
    assert all("partnership" in hit["labels"] for hit in mayo["hits"])

    assert search("并购", "--lang", "zh")["hits"][0]["title"].startswith("史赛克完成")
    assert search("night clinic", "--lang", "en")["total"] == 0

    # The runs went through Dagster and are recorded where `dagster dev` will show them.
    instance = DagsterInstance.from_config(str(tmp_path / "xdg" / "medradar" / "dagster"))
    runs = instance.get_runs()
    assert len(runs) == 2 and all(run.status == DagsterRunStatus.SUCCESS for run in runs)

    # A second demo replaces the first: same articles, nothing doubled.
    second = medradar("demo")
    assert second.returncode == 0, second.stderr
    assert totals(second.stdout) == counts
    assert search("", "--limit", "100")["total"] == 11
