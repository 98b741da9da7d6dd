"""What only the cluster backend does, on real Elasticsearch and OpenSearch: detection,
versioned indexes behind aliases, safe bulk writes (retries, per-document errors, the spool),
rebuilds with no empty moment, percolation."""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import replace

import pytest

from search.backend import open_backend
from search.cluster import ClusterBackend
from search.engines import connect, detect_engine
from search.query import SearchQuery
from search.watches import Watch
from tests.engines import CLUSTER_ENGINES, cluster_options, drop_indexes, open_test_backend
from tests.faults import FaultProxy
from tests.search.corpus import BY_ID, CORPUS
from tests.search.test_contract import BATCH, EXPECTED_MATCHES, WATCHES


def test_the_engine_is_detected_and_its_features_probed(cluster):
    assert detect_engine(cluster.options) == cluster.name
    caps = cluster.caps
    assert caps.stemming  # porter_stem: analysis-common, or our dev node's copy of it
    if cluster.name == "opensearch":
        assert caps.cjk and caps.percolator
    else:  # the core Elasticsearch node here has neither module; both are detected, not assumed
        assert not caps.cjk and not caps.percolator


def test_indexes_are_versioned_behind_aliases_made_from_templates(cluster):
    cluster.upsert(CORPUS[:3])
    engine = cluster.engine
    for kind in ("articles", "events", "watches"):
        assert engine.alias_indices(cluster.alias(kind)) == [f"{cluster.alias(kind)}-v1"]
        template = engine.client.indices.get_index_template(name=cluster.alias(kind))["index_templates"][0]
        assert template["index_template"]["index_patterns"] == [f"{cluster.alias(kind)}-v*"]
    mapping = engine.client.indices.get_mapping(index=cluster.alias("articles"))
    properties = next(iter(mapping.values()))["mappings"]["properties"]
    assert properties["title_zh"]["analyzer"] == "whitespace"
    assert properties["title"]["fields"]["keyword"]["type"] == "keyword"
    assert ("title_cjk" in properties) == cluster.caps.cjk
    assert engine.count(cluster.alias("events")) == sum(len(a.events) for a in CORPUS[:3])


def test_events_follow_their_articles(cluster):
    cluster.upsert(CORPUS)
    events = cluster.alias("events")
    assert cluster.engine.count(events) == sum(len(a.events) for a in CORPUS)
    c04 = BY_ID["c04"]  # partnership + ai
    cluster.upsert([c04.model_copy(update={"events": c04.events[:1]})])
    found = cluster.engine.search(events, {"query": {"term": {"article_id": "c04"}}, "_source": ["type"]})
    assert [hit["_source"]["type"] for hit in found["hits"]["hits"]] == ["partnership"]


def test_percolator_and_batch_searches_agree(cluster):
    cluster.upsert(CORPUS)
    for watch in WATCHES:
        cluster.put_watch(watch)
    searched = cluster.search_watches(BATCH)
    assert [(m.watch, m.article_id) for m in searched] == sorted(EXPECTED_MATCHES)
    assert cluster.match_watches(BATCH) == searched
    if cluster.caps.percolator:
        assert cluster.percolate_watches(BATCH) == searched
    else:
        with pytest.raises(Exception, match="no percolator"):
            cluster.percolate_watches(BATCH)


def test_a_document_the_cluster_refuses_does_not_drop_its_batch(cluster):
    # An index whose mapping disagrees with one document (as after a schema change, before a
    # rebuild): site_name mapped as a date. That document fails; its batch does not.
    index = f"{cluster.alias('articles')}-v1"
    cluster.engine.create_index(
        index, {"aliases": {cluster.alias("articles"): {}}, "mappings": {"properties": {"site_name": {"type": "date"}}}}
    )
    hostile = BY_ID["c05"].model_copy(update={"id": "odd", "site_name": "Reuters Health"})
    stats = cluster.upsert([*CORPUS[:4], hostile, *CORPUS[4:8]])
    assert (stats.inserted, stats.failed, stats.spooled) == (8, 1, 0)
    assert stats.errors[0].id == "odd" and stats.errors[0].status == 400
    assert "site_name" in stats.errors[0].reason
    assert cluster.count() == 8
    [rejected] = (cluster.spool.directory / "rejected").glob("*.jsonl.gz")
    [line] = gzip.decompress(rejected.read_bytes()).decode().splitlines()
    record = json.loads(line)
    assert record["article"] == hostile.model_dump(mode="json") and "site_name" in record["reason"]


def test_429_and_503_are_retried_with_backoff(request, tmp_path, elasticsearch_engine, opensearch_engine):
    for engine, running in (("elasticsearch", elasticsearch_engine), ("opensearch", opensearch_engine)):
        with FaultProxy(running.urls[0]) as proxy:
            options = cluster_options(running, tmp_path / engine, urls=(proxy.url,), retries=3)
            direct = replace(options, urls=tuple(running.urls))
            request.addfinalizer(lambda direct=direct, engine=engine: drop_indexes(direct, engine))
            with open_backend(engine, sqlite_path=tmp_path / "unused", cluster=options) as backend:
                backend.upsert(CORPUS[:2])
                before = len(proxy.log)
                proxy.fail_next(429, 503, 503, 503, 503, 429)
                stats = backend.upsert(CORPUS)
                assert (stats.inserted, stats.unchanged, stats.spooled) == (len(CORPUS) - 2, 2, 0), engine
                assert backend.count() == len(CORPUS)
            answered = [status for method, path, status in proxy.log[before:] if path.endswith("/_bulk")]
            assert answered[:7] == [429, 503, 503, 503, 503, 429, 200], engine


def test_an_unreachable_cluster_spools_and_the_next_write_replays(request, tmp_path, opensearch_engine):
    with FaultProxy(opensearch_engine.urls[0]) as proxy:
        options = cluster_options(opensearch_engine, tmp_path / "spool", urls=(proxy.url,), retries=1)
        request.addfinalizer(lambda: drop_indexes(replace(options, urls=tuple(opensearch_engine.urls)), "opensearch"))
        # backend "cluster": the engine is detected (and remembered beside the spool)
        with open_backend("cluster", sqlite_path=tmp_path / "unused", cluster=options) as backend:
            assert backend.name == "opensearch"
            backend.upsert(CORPUS[:5])
            proxy.stop()
            first = backend.upsert(CORPUS[5:25])
        # opened while the cluster is down: the remembered engine's client, and the spool
        with open_backend("cluster", sqlite_path=tmp_path / "unused", cluster=options) as backend:
            assert backend.name == "opensearch"
            second = backend.upsert(CORPUS[20:])  # overlaps the first batch: still nothing twice
        assert first.spooled == 20 and first.unavailable and "cannot reach" in first.unavailable
        assert second.spooled == len(CORPUS) - 20
        assert len(backend.spool.pending()) == 2
        proxy.start()
        with open_backend("cluster", sqlite_path=tmp_path / "unused", cluster=options) as backend:
            replay = backend.upsert([BY_ID["c01"]])
            assert replay.replayed == 20 + len(CORPUS) - 20
            # the two spooled batches overlapped by 5 articles; c01 was indexed before the outage
            assert (replay.inserted, replay.unchanged) == (len(CORPUS) - 5, 5 + 1)
            assert backend.count() == len(CORPUS)
            assert backend.spool.pending() == []
            assert backend.upsert([]).replayed == 0


@pytest.mark.parametrize("engine", CLUSTER_ENGINES)
def test_rebuild_swaps_aliases_with_no_moment_without_results(request, tmp_path, engine):
    # small chunks: the copy takes several, and a write lands while it runs
    cluster = open_test_backend(request, engine, tmp_path, bulk_chunk=10)
    cluster.upsert(CORPUS)
    for watch in WATCHES:
        cluster.put_watch(watch)
    totals: list[int] = []
    stop = threading.Event()

    def search_all_the_time() -> None:
        reader = ClusterBackend(connect(cluster.options, cluster.name), cluster.options)
        while not stop.is_set():
            totals.append(reader.search(SearchQuery(text="", limit=1)).total)
        reader.close()

    writer = ClusterBackend(connect(cluster.options, cluster.name), cluster.options)
    late = BY_ID["c05"].model_copy(update={"id": "late", "title": "Written while the index was being rebuilt"})
    during: list = []

    def write_once(message: str) -> None:
        if not during:
            during.append(writer.upsert([late]))

    thread = threading.Thread(target=search_all_the_time)
    thread.start()
    try:
        report = cluster.rebuild(progress=write_once)
    finally:
        stop.set()
        thread.join()
    assert len(totals) > 5 and set(totals) == {len(CORPUS)}
    assert report.documents == len(CORPUS)
    for kind in ("articles", "events", "watches"):
        assert cluster.engine.alias_indices(cluster.alias(kind)) == [f"{cluster.alias(kind)}-v2"]
        assert cluster.engine.indices(f"{cluster.alias(kind)}-v1") == []
    assert during[0].spooled == 1  # the old index refused writes during the copy: spooled...
    assert writer.upsert([]).replayed == 1  # ...and replayed into the new one
    writer.close()
    assert cluster.count() == len(CORPUS) + 1
    assert [w.name for w in cluster.watches()] == sorted(w.name for w in WATCHES)
    assert [(m.watch, m.article_id) for m in cluster.match_watches(BATCH)] == sorted(EXPECTED_MATCHES)


def test_a_changed_schema_shows_as_an_outdated_mapping(cluster):
    cluster.upsert(CORPUS[:1])
    index = cluster.engine.alias_indices(cluster.alias("articles"))[0]
    meta = {"medradar": {"mapping": "old", "capabilities": cluster.caps.model_dump()}}
    cluster.engine.client.indices.put_mapping(index=index, body={"_meta": meta})
    fresh = ClusterBackend(connect(cluster.options, cluster.name), cluster.options)
    assert fresh.describe()["outdated_mappings"] == ["articles"]
    fresh.rebuild()
    assert fresh.describe()["outdated_mappings"] == []
    fresh.close()


def test_watch_queries_are_refused_when_the_types_are_unknown():
    with pytest.raises(ValueError, match="unknown event type"):
        Watch(name="x", query=SearchQuery(types=["alliance"]))


def test_a_damaged_spool_file_is_set_aside_and_the_rest_replayed(cluster):
    good = cluster.spool.put(CORPUS[:3])
    damaged = cluster.spool.pending_dir / "00000000T000000000000Z-damaged.jsonl.gz"
    damaged.write_bytes(b"\x1f\x8b not really gzip")
    stats = cluster.upsert(CORPUS[3:5])
    assert stats.replayed == 3 and stats.inserted == 5
    assert "unreadable spool file" in stats.errors[0].reason
    assert not good.exists() and cluster.spool.pending() == []
    assert (cluster.spool.rejected_dir / f"unreadable-{damaged.name}").read_bytes() == b"\x1f\x8b not really gzip"
