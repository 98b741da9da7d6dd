"""A 3-node OpenSearch cluster with one replica loses a node: search and indexing go on; the
node comes back and the cluster heals. Nothing is lost, nothing doubled."""

from __future__ import annotations

from dataclasses import replace

from scripts import search_engine
from search.engines import connect
from search.query import SearchQuery
from tests.engines import engine_state_root, open_test_backend
from tests.search.corpus import CORPUS


def test_a_node_down_then_back(request, tmp_path, opensearch_engine):
    assert opensearch_engine.nodes == 3
    # three shards with one replica each: every node holds copies, node 3 some primaries
    backend = open_test_backend(request, "opensearch", tmp_path, shards=3)
    assert backend.upsert(CORPUS[:20]).inserted == 20
    engine = backend.engine
    health = engine.health(index=backend.alias("articles"), wait_for_status="green")
    assert health["active_shards"] == 6

    root = engine_state_root()
    assert search_engine.node("opensearch", 3, "stop", root) == "stopped"
    try:
        health = engine.health(wait_for_nodes=2)
        assert health["number_of_nodes"] == 2 and not health["timed_out"]
        # searching goes on, complete (replicas stand in for what node 3 held)...
        result = backend.search(SearchQuery(limit=100, facets=["langs"]))
        assert result.total == 20 and sum(f.count for f in result.facets["langs"]) == 20
        # ...and so does indexing
        stats = backend.upsert(CORPUS[20:])
        assert (stats.inserted, stats.failed, stats.spooled) == (len(CORPUS) - 20, 0, 0)
        assert backend.count() == len(CORPUS)
    finally:
        started = search_engine.node("opensearch", 3, "start", root)
    assert started == "started"
    health = engine.health(index=backend.alias("articles"), wait_for_status="green", wait_seconds=120)
    assert health["status"] == "green" and health["active_shards"] == 6
    assert engine.health(wait_for_nodes=3)["number_of_nodes"] == 3
    # node 3 serves again, with every document once
    node3 = search_engine.status("opensearch", root).urls[2]
    direct = connect(replace(backend.options, urls=(node3,)), "opensearch")
    assert direct.count(backend.alias("articles")) == len(CORPUS)
    assert sorted(h.id for h in backend.search(SearchQuery(limit=100)).hits) == sorted(a.id for a in CORPUS)
    direct.close()
