"""Real search engines for the tests (a pytest plugin, loaded by conftest.py).

The engines live in ``$SEARCH_ENGINE_STATE`` (``make test`` sets it), else
``<checkout>/.engines/test``. An engine already running there (``make test`` starts both
before pytest) is used as it is; one that is not is started here, with fresh data, and
stopped when the session ends. Nothing is skipped for want of an engine: a missing Java or
Maven fails the tests that need it, with the reason. Every test works in its own index
prefix, dropped afterwards, so tests (and checkouts) never see each other's documents.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts import search_engine
from search.backend import ClusterOptions, SearchBackend, open_backend
from search.cluster import ClusterBackend
from search.engines import ClusterError, connect
from tests.support import REPO_ROOT

CLUSTER_ENGINES = ("elasticsearch", "opensearch")
BACKENDS = ("sqlite", *CLUSTER_ENGINES)
# OpenSearch runs as a 3-node cluster so that the fault tests can stop one node of it.
ENGINE_NODES = {"elasticsearch": 1, "opensearch": 3}


def engine_state_root() -> Path:
    return Path(os.environ.get(search_engine.STATE_ENV) or REPO_ROOT / ".engines" / "test")


def _engine(name: str) -> Iterator[search_engine.Running]:
    root = engine_state_root()
    already = search_engine.status(name, root)
    try:
        running = search_engine.start(
            name, nodes=ENGINE_NODES[name], root=root, fresh=already is None, log=lambda *_: None
        )
    except search_engine.EngineError as problem:
        pytest.fail(f"cannot start {name} for the tests: {problem}", pytrace=False)
    yield running
    if already is None:
        search_engine.stop(name, root, log=lambda *_: None)


@pytest.fixture(scope="session")
def elasticsearch_engine() -> Iterator[search_engine.Running]:
    yield from _engine("elasticsearch")


@pytest.fixture(scope="session")
def opensearch_engine() -> Iterator[search_engine.Running]:
    yield from _engine("opensearch")


def cluster_options(running: search_engine.Running, spool_dir: Path, **changes) -> ClusterOptions:
    """Options for a cluster backend of the tests: the engine's URLs, a prefix of its own."""
    options = {"urls": tuple(running.urls), "spool_dir": spool_dir, "index_prefix": f"t{uuid.uuid4().hex[:12]}"}
    return ClusterOptions(**{**options, "retries": 2, "timeout": 60.0, **changes})


def drop_indexes(options: ClusterOptions, engine: str) -> None:
    """Remove every index and template of the options' prefix."""
    cluster = connect(options, engine)
    try:
        for index in cluster.indices(f"{options.index_prefix}-*"):
            cluster.delete_index(index)
        for kind in ("articles", "events", "watches"):
            try:
                with cluster.errors():
                    cluster.client.indices.delete_index_template(name=f"{options.index_prefix}-{kind}")
            except ClusterError as error:
                if error.status != 404:
                    raise
    finally:
        cluster.close()


def open_test_backend(request: pytest.FixtureRequest, name: str, directory: Path, **changes) -> SearchBackend:
    """A fresh, empty backend of that name, closed and dropped when the requesting fixture ends."""
    if name == "sqlite":
        backend = open_backend("sqlite", sqlite_path=directory / "index.sqlite")
        request.addfinalizer(backend.close)
        return backend
    running = request.getfixturevalue(f"{name}_engine")
    options = cluster_options(running, directory / "spool", **changes)
    backend = open_backend(name, sqlite_path=directory / "unused.sqlite", cluster=options)

    def finish() -> None:
        backend.close()
        drop_indexes(options, name)

    request.addfinalizer(finish)
    return backend


@pytest.fixture(params=CLUSTER_ENGINES)
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> ClusterBackend:
    """An empty cluster backend, once per engine."""
    return open_test_backend(request, request.param, tmp_path)
