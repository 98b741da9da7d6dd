import subprocess
import sys
from pathlib import Path

from dagster import AssetCheckKey, AssetKey

from pipeline.config import load_settings
from pipeline.definitions import build_definitions
from tests.support import REPO_ROOT


def test_dagster_definitions_validate(tmp_path):
    dagster = Path(sys.executable).with_name("dagster")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "pipeline.definitions"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 0, done.stderr
    assert "All code locations passed validation" in done.stdout + done.stderr


def test_one_asset_per_stage_in_dependency_order():
    defs = build_definitions(load_settings())
    graph = defs.resolve_asset_graph()
    keys = ["raw_pages", "articles", "translated_articles", "enriched_articles", "search_index"]
    # digest_weekly: the weekly digest of the default profile (no digest.profiles configured)
    assert {k.to_user_string() for k in graph.get_all_asset_keys()} == {*keys, "events", "alert_outbox", "digest_weekly"}
    for upstream, downstream in zip(keys, keys[1:]):
        assert AssetKey(upstream) in graph.get(AssetKey(downstream)).parent_keys
    assert graph.get(AssetKey("events")).parent_keys == {AssetKey("enriched_articles")}
    assert AssetCheckKey(AssetKey("events"), "event_coverage") in graph.asset_check_keys
    assert set(defs.resources) >= {
        "raw_store", "search", "models", "crawler", "sources", "io_manager", "event_store", "pending_translations",
    }
    # the partitions left pending are retried from the translation stage on, nothing before it
    pending_job = defs.resolve_job_def("translate_pending")
    assert {key.to_user_string() for key in pending_job.asset_layer.executable_asset_keys} == {*keys[2:], "events"}


def test_the_dagster_ui_serves_the_asset_graph(tmp_path):
    """What `dagster dev -m pipeline.definitions` shows: its webserver, asked over GraphQL."""
    import json
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-m", "pipeline.definitions",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "home")},
    )
    query = {"query": "{ assetNodes { assetKey { path } dependencyKeys { path } } }"}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql", data=json.dumps(query).encode(),
                    headers={"Content-Type": "application/json"},
                )
                nodes = json.load(urllib.request.urlopen(request, timeout=10))["data"]["assetNodes"]
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "webserver did not start"
                time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    graph = {node["assetKey"]["path"][0]: {d["path"][0] for d in node["dependencyKeys"]} for node in nodes}
    assert graph == {
        "raw_pages": set(),
        "articles": {"raw_pages"},
        "translated_articles": {"articles"},
        "enriched_articles": {"translated_articles"},
        "events": {"enriched_articles"},
        "search_index": {"enriched_articles"},
        "alert_outbox": set(),  # materialised by the watches sensor when search_index is
        "digest_weekly": set(),  # materialised weekly by its schedule (README: Weekly digest)
    }
