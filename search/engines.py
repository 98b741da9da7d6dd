"""Thin adapters over the two cluster clients: the official ``elasticsearch`` client (8.x) for
Elasticsearch, ``opensearch-py`` for OpenSearch (the Elasticsearch client refuses OpenSearch).

For everything MedRadar does, both engines speak the same REST API with the same JSON: the
mappings, queries and aggregations are one DSL (``search.dsl``) and the cluster backend one
class (``search.cluster``). What differs is here: how a client is made (auth, TLS), which
exceptions it raises (translated to :class:`ClusterUnavailable` and :class:`ClusterError`),
and each client's own bulk and scan helpers.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from search.backend import ClusterOptions

# Answers a client retries at once on another node (a node restarting, a proxy in between).
# 429 (too many requests) is left to the bulk writer, which backs off before retrying.
TRANSPORT_RETRY_STATUSES = (502, 503, 504)


class ClusterUnavailable(Exception):
    """The cluster could not be reached, or could not serve, after the client's retries."""


class ClusterError(Exception):
    """The cluster answered with an error (status, Elasticsearch error type, reason)."""

    def __init__(self, status: int, kind: str, reason: str):
        self.status, self.kind, self.reason = status, kind, reason
        super().__init__(f"{status} {kind}: {reason}" if kind else f"{status}: {reason}")


class Engine:
    """One client and its helpers, with the calls the cluster backend makes."""

    name: str

    def __init__(self, client: Any, helpers: Any, transport_errors: tuple[type[Exception], ...], urls: tuple[str, ...]):
        self.client = client
        self.helpers = helpers
        self.urls = urls
        self._transport_errors = transport_errors

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Client exceptions as ClusterUnavailable or ClusterError, whatever the client."""
        try:
            yield
        except self._transport_errors as error:
            raise translate(error, self.urls) from error

    # -- cluster and indexes -------------------------------------------------------------

    def health(
        self,
        index: str | None = None,
        wait_for_status: str | None = None,
        wait_for_nodes: int | None = None,
        wait_seconds: int = 60,
    ) -> dict[str, Any]:
        """Cluster (or index) health, waiting up to ``wait_seconds`` for a status or node count."""
        params: dict[str, Any] = {"index": index} if index else {}
        if wait_for_status:
            params["wait_for_status"] = wait_for_status
        if wait_for_nodes:
            params["wait_for_nodes"] = str(wait_for_nodes)
        if wait_for_status or wait_for_nodes:
            params.update(self._server_timeout(wait_seconds))
        with self.errors():
            return dict(self.client.cluster.health(**params))

    def _server_timeout(self, seconds: int) -> dict[str, Any]:
        return {"timeout": f"{seconds}s"}

    def analyze(self, body: dict[str, Any]) -> list[str] | None:
        """The tokens of an analysis, or None if the engine lacks what it names."""
        try:
            with self.errors():
                return [token["token"] for token in self.client.indices.analyze(body=body)["tokens"]]
        except ClusterError as error:
            if error.status == 400:
                return None
            raise

    def put_index_template(self, name: str, body: dict[str, Any]) -> None:
        with self.errors():
            self.client.indices.put_index_template(name=name, body=body)

    def create_index(self, name: str, body: dict[str, Any] | None = None) -> None:
        with self.errors():
            self.client.indices.create(index=name, body=body or {})

    def delete_index(self, name: str) -> None:
        with self.errors():
            self.client.indices.delete(index=name)

    def indices(self, pattern: str) -> list[str]:
        with self.errors():
            return sorted(self.client.indices.get(index=pattern, expand_wildcards="all", ignore_unavailable=True))

    def alias_indices(self, alias: str) -> list[str]:
        """The indexes behind an alias ([] if there is no such alias)."""
        try:
            with self.errors():
                return sorted(self.client.indices.get_alias(name=alias))
        except ClusterError as error:
            if error.status == 404:
                return []
            raise

    def update_aliases(self, actions: list[dict[str, Any]]) -> None:
        """Apply alias changes atomically (all or none)."""
        with self.errors():
            self.client.indices.update_aliases(body={"actions": actions})

    def put_settings(self, index: str, settings: dict[str, Any]) -> None:
        with self.errors():
            self.client.indices.put_settings(index=index, body=settings)

    def mapping_meta(self, index: str) -> dict[str, Any]:
        with self.errors():
            mappings = self.client.indices.get_mapping(index=index)
        return next(iter(mappings.values()))["mappings"].get("_meta", {})

    def refresh(self, index: str) -> None:
        with self.errors():
            self.client.indices.refresh(index=index)

    # -- documents ---------------------------------------------------------------------------

    def count(self, index: str, query: dict[str, Any] | None = None) -> int:
        with self.errors():
            return int(self.client.count(index=index, body={"query": query or {"match_all": {}}})["count"])

    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.errors():
            return dict(self.client.search(index=index, body=body))

    def msearch(self, index: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = []
        for body in bodies:
            lines.extend(({"index": index}, body))
        with self.errors():
            responses = self.client.msearch(body=lines)["responses"]
        for response in responses:
            if "error" in response:
                raise translate_body(response.get("status", 500), response)
        return responses

    def get_source(self, index: str, doc_id: str) -> dict[str, Any] | None:
        found = self.mget(index, [doc_id])
        return found[0]

    def mget(self, index: str, ids: list[str]) -> list[dict[str, Any] | None]:
        if not ids:
            return []
        with self.errors():
            docs = self.client.mget(index=index, body={"ids": ids})["docs"]
        return [doc.get("_source") if doc.get("found") else None for doc in docs]

    def index_document(self, index: str, doc_id: str, document: dict[str, Any]) -> None:
        with self.errors():
            self.client.index(index=index, id=doc_id, body=document, refresh="true")

    def delete_document(self, index: str, doc_id: str) -> bool:
        try:
            with self.errors():
                self.client.delete(index=index, id=doc_id, refresh="true")
        except ClusterError as error:
            if error.status == 404:
                return False
            raise
        return True

    def streaming_bulk(self, actions: Iterable[dict[str, Any]], **options: Any) -> list[tuple[bool, dict[str, Any]]]:
        """The client's own streaming bulk helper over one chunk; every item's outcome."""
        with self.errors():
            return list(self.helpers.streaming_bulk(self.client, actions, **options))

    def scan(self, index: str, query: dict[str, Any], **options: Any) -> Iterator[dict[str, Any]]:
        """Every hit of a query, through the client's scroll helper."""
        with self.errors():
            yield from self.helpers.scan(self.client, index=index, query=query, **options)

    def close(self) -> None:
        self.client.close()


class ElasticsearchEngine(Engine):
    name = "elasticsearch"

    def __init__(self, options: ClusterOptions):
        import elastic_transport
        import elasticsearch
        from elasticsearch import helpers

        client = elasticsearch.Elasticsearch(
            api_key=options.api_key,
            basic_auth=_basic_auth(options),
            request_timeout=options.timeout,
            **_transport_options(options),
        )
        errors = (elasticsearch.ApiError, elastic_transport.TransportError)
        super().__init__(client, helpers, errors, options.urls)


class OpenSearchEngine(Engine):
    name = "opensearch"

    def __init__(self, options: ClusterOptions):
        import opensearchpy
        from opensearchpy import helpers

        if options.api_key:
            raise ClusterError(0, "configuration", "OpenSearch takes a username and password, not an API key")
        client = opensearchpy.OpenSearch(
            http_auth=_basic_auth(options), timeout=options.timeout, **_transport_options(options)
        )
        super().__init__(client, helpers, (opensearchpy.TransportError,), options.urls)

    def _server_timeout(self, seconds: int) -> dict[str, Any]:
        # opensearch-py reads a `timeout` argument as its own socket timeout.
        return {"params": {"timeout": f"{seconds}s"}, "request_timeout": seconds + 10}


def _transport_options(options: ClusterOptions) -> dict[str, Any]:
    """What both clients take under the same names: nodes, TLS, retries."""
    common: dict[str, Any] = {
        "hosts": list(options.urls),
        "verify_certs": options.verify_certs,
        "max_retries": options.retries,
        "retry_on_status": TRANSPORT_RETRY_STATUSES,
        "retry_on_timeout": True,
    }
    if options.ca_certs:
        common["ca_certs"] = str(options.ca_certs)
    return common


def _basic_auth(options: ClusterOptions) -> tuple[str, str] | None:
    return (options.username, options.password or "") if options.username else None


ENGINES: dict[str, type[Engine]] = {"elasticsearch": ElasticsearchEngine, "opensearch": OpenSearchEngine}


def connect(options: ClusterOptions, engine: str = "auto") -> Engine:
    """An engine adapter for the cluster; ``auto`` asks the cluster which engine it is.

    A cluster that cannot be asked now gets the client of the engine it was last time (kept
    beside the spool), so that what is written meanwhile can still be spooled."""
    name = engine
    if engine == "auto":
        remembered = options.spool_dir / "engine"
        try:
            name = detect_engine(options)
        except ClusterUnavailable:
            name = remembered.read_text().strip() if remembered.is_file() else "elasticsearch"
        else:
            remembered.parent.mkdir(parents=True, exist_ok=True)
            remembered.write_text(name)
    if name not in ENGINES:
        raise ValueError(f"unknown search engine {name!r} (elasticsearch or opensearch)")
    return ENGINES[name](options)


def detect_engine(options: ClusterOptions) -> str:
    """``opensearch`` or ``elasticsearch``, from how the first reachable node answers ``GET /``.

    OpenSearch names its distribution; Elasticsearch sends ``X-Elastic-Product`` (a core-only
    node without the rest-root module answers 405, with that header)."""
    problems = []
    for url in options.urls:
        request = urllib.request.Request(url.rstrip("/") + "/", headers=_auth_headers(options))
        try:
            with urllib.request.urlopen(request, timeout=options.timeout, context=_tls(options)) as response:
                headers, body = response.headers, response.read()
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                raise ClusterError(error.code, "security", f"{url}: credentials refused") from None
            headers, body = error.headers, error.read()
        except OSError as error:
            problems.append(f"{url}: {getattr(error, 'reason', error)}")
            continue
        if headers.get("X-elastic-product") == "Elasticsearch":
            return "elasticsearch"
        try:
            version = json.loads(body).get("version", {})
        except ValueError:
            version = {}
        if headers.get("X-OpenSearch-Version") or version.get("distribution") == "opensearch":
            return "opensearch"
        if version.get("number"):
            return "elasticsearch"
        problems.append(f"{url}: neither Elasticsearch nor OpenSearch answered")
    raise ClusterUnavailable("; ".join(problems) or "no search.urls configured")


def _auth_headers(options: ClusterOptions) -> dict[str, str]:
    if options.api_key:
        return {"Authorization": f"ApiKey {options.api_key}"}
    if options.username:
        token = base64.b64encode(f"{options.username}:{options.password or ''}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}


def _tls(options: ClusterOptions) -> ssl.SSLContext | None:
    if not any(url.startswith("https") for url in options.urls):
        return None
    context = ssl.create_default_context(cafile=str(options.ca_certs) if options.ca_certs else None)
    if not options.verify_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def translate(error: Exception, urls: tuple[str, ...]) -> Exception:
    status = getattr(error, "status_code", None)
    if not isinstance(status, int):
        return ClusterUnavailable(f"cannot reach {', '.join(urls)}: {error}")
    return translate_body(status, getattr(error, "info", None), fallback=str(error))


def translate_body(status: int, body: Any, fallback: str = "") -> Exception:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        root = (error.get("root_cause") or [error])[0]
        kind, reason = str(root.get("type", "")), str(root.get("reason", ""))
        cause = error.get("caused_by")
        while isinstance(cause, dict):  # the reason that names the culprit is often deeper
            reason += f"; caused by: {cause.get('reason', '')}"
            cause = cause.get("caused_by")
    else:
        kind, reason = "", str(error or fallback)
    if status in TRANSPORT_RETRY_STATUSES:
        return ClusterUnavailable(f"cluster answered {status}: {kind} {reason}".strip())
    return ClusterError(status, kind, reason)
