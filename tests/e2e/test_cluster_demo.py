"""The demo, end to end, on each search cluster: `medradar --backend elasticsearch demo` and
`--backend opensearch demo`, then searches from the command line, as on the embedded index.
(Re-runs changing nothing on a cluster: tests/e2e/test_cluster_pipeline.py.)"""

import json
import uuid

import pytest

from search.backend import ClusterOptions
from tests.e2e.test_demo import totals
from tests.engines import CLUSTER_ENGINES, drop_indexes
from tests.support import medradar

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("engine", CLUSTER_ENGINES)
def test_demo_then_search_on_a_cluster(request, tmp_path, engine):
    running = request.getfixturevalue(f"{engine}_engine")
    prefix = f"demo{uuid.uuid4().hex[:8]}"
    env = {"MEDRADAR_SEARCH__URLS": ",".join(running.urls), "MEDRADAR_SEARCH__INDEX_PREFIX": prefix}
    request.addfinalizer(
        lambda: drop_indexes(ClusterOptions(urls=tuple(running.urls), spool_dir=tmp_path, index_prefix=prefix), engine)
    )

    def search(*args: str) -> dict:
        done = medradar("--backend", engine, "search", *args, "--json", env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first = medradar("--backend", engine, "demo", env=env)
    assert first.returncode == 0, first.stderr
    counts = totals(first.stdout)  # crawling and classifying are tested in test_demo.py; here: indexing
    assert counts["articles extracted"] == counts["articles indexed"] == 11
    assert f"medradar --backend {engine} search" in first.stdout

    chinese = search("合作")
    assert "梅奥诊所两个月内宣布六项跨界合作" in [hit["title"] for hit in chinese["hits"]]
    deals = search("", "--type", "merger_acquisition")
    assert {hit["title"] for hit in deals["hits"]} >= {
        "Stryker to acquire Inari Medical in $4.9 billion deal", "史赛克完成对Inari Medical的收购，加码外周血管介入",
    }
    assert all("merger_acquisition" in hit["labels"] for hit in deals["hits"])
    faceted = search("", "--facet", "langs", "--histogram", "year", "--limit", "2")
    assert sum(f["count"] for f in faceted["facets"]["langs"]) == 11
    assert faceted["next_after"] and len(faceted["hits"]) == 2

    status = medradar("--backend", engine, "index", "status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    described = json.loads(status.stdout)
    assert described["backend"] == engine and described["articles"] == 11
    assert described["indexes"][f"{prefix}-articles"] == [f"{prefix}-articles-v1"]
