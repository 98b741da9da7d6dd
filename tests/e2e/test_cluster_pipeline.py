"""The pipeline with a search cluster that is down: the run finishes and spools what it could
not index; the next run, with the engine back, replays it. Counts prove nothing was lost and
nothing indexed twice. A real Elasticsearch node of this test's own is stopped and started."""

import re

import pytest

from pipeline.config import load_settings
from scripts import search_engine
from search.backend import ClusterOptions, open_backend
from search.query import SearchQuery
from search.spool import Spool
from tests.support import medradar

pytestmark = pytest.mark.e2e
ONE_SOURCE = ("--source", "yixie-guancha")  # six articles, Chinese and English


def quiet(*_: object) -> None:
    pass


def index_counts(stdout: str) -> dict[str, dict[str, int]]:
    """Per source: what its search_index stage reported (indexed, unchanged, spooled, replayed)."""
    counts = {}
    for line in stdout.splitlines():
        if "→ indexed" not in line:
            continue
        source = line.split()[0]
        indexed, unchanged = map(int, re.search(r"indexed (\d+) \((\d+) unchanged\)", line).groups())
        counts[source] = {"indexed": indexed, "unchanged": unchanged}
        for key in ("spooled", "replayed", "failed"):
            found = re.search(rf"{key} (\d+)", line)
            counts[source][key] = int(found.group(1)) if found else 0
    return counts


def test_engine_down_during_a_run_then_the_next_run_replays(tmp_path, sample_config):
    root = tmp_path / "engines"
    port = search_engine.free_ports(1)[0]
    search_engine.start("elasticsearch", root=root, port=port, heap_mb=512, fresh=True, log=quiet)
    search_engine.stop("elasticsearch", root, log=quiet)  # down, as a crashed or stopped engine
    env = {"MEDRADAR_SEARCH__URLS": f"http://127.0.0.1:{port}", "MEDRADAR_SEARCH__RETRIES": "1"}
    settings = load_settings(sample_config)
    try:
        down = medradar("--config", str(sample_config), "--backend", "elasticsearch", "run", *ONE_SOURCE, env=env)
        assert down.returncode == 0, down.stderr  # the run finishes
        counts = index_counts(down.stdout)
        assert {source: c["spooled"] for source, c in counts.items()} == {"yixie-guancha": 6}
        spool = Spool(settings.data_dir / "spool" / "medradar")
        spooled = [article.id for path in spool.pending() for article in spool.read(path)]
        assert len(spooled) == len(set(spooled)) == 6

        search_engine.start("elasticsearch", root=root, port=port, heap_mb=512, log=quiet)
        back = medradar("--config", str(sample_config), "--backend", "elasticsearch", "run", *ONE_SOURCE, env=env)
        assert back.returncode == 0, back.stderr
        counts = index_counts(back.stdout)
        assert counts["yixie-guancha"]["replayed"] == 6
        assert counts["yixie-guancha"]["indexed"] == 6  # each article written once...
        assert counts["yixie-guancha"]["unchanged"] == 6  # ...and, re-crawled unchanged, not again
        assert spool.pending() == []
        options = ClusterOptions(urls=(f"http://127.0.0.1:{port}",), spool_dir=tmp_path / "unused")
        with open_backend("elasticsearch", sqlite_path=tmp_path / "unused", cluster=options) as backend:
            assert backend.count() == 6
            assert sorted(hit.id for hit in backend.search(SearchQuery(limit=100)).hits) == sorted(spooled)
    finally:
        search_engine.stop("elasticsearch", root, log=quiet)
