"""The cluster backend: MedRadar's index on Elasticsearch or OpenSearch, one class for both.

Indexes are versioned behind aliases — ``<prefix>-articles``, ``<prefix>-events`` and
``<prefix>-watches`` each point at one ``<prefix>-<kind>-v<N>`` — whose settings and mappings
come from index templates (``search.dsl``). ``rebuild`` fills version N+1 while searches still
read version N, then swaps every alias in one atomic request.

Writing goes through each client's streaming bulk helper in chunks: documents refused with
429 are retried with backoff by the helper, whole requests answered 429/502/503/504 or not
answered are retried with backoff here (tenacity), a document refused for its content is
recorded (and kept in the spool's ``rejected/``) without failing the others, and when the
cluster cannot be reached the rest of the batch goes to the local spool (``search.spool``),
replayed by the next write. Article ids are document ids: nothing is ever indexed twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import CancelledError, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import tenacity

from enrich.schema import EnrichedArticle
from search import dsl
from search.backend import ClusterOptions, DocumentError, Progress, RebuildReport, UpsertStats
from search.documents import article_from_document, event_documents, index_document
from search.engines import ClusterError, ClusterUnavailable, Engine
from search.query import SearchQuery, SearchResult
from search.spool import Spool
from search.watches import Watch, WatchMatch, match_by_search, sorted_matches

log = logging.getLogger(__name__)

KINDS = ("articles", "events", "watches")
# Documents the cluster could not take now (an index blocked for writing during a rebuild):
# spooled and replayed, not rejected.
RETRY_LATER = {"cluster_block_exception"}
# Bulk results counted in UpsertStats ("noop": an update that changed nothing).
COUNTERS = {"created": "inserted", "updated": "updated", "noop": "unchanged"}
# What a create answers for an id the index already holds: that article is then updated.
EXISTS = "version_conflict_engine_exception"
MSEARCH_BATCH = 50
MATCH_IDS_BATCH = 5000
PERCOLATE_BATCH = 100


class ClusterBackend:
    def __init__(self, engine: Engine, options: ClusterOptions):
        self.engine = engine
        self.options = options
        self.prefix = options.index_prefix
        self.spool = Spool(options.spool_dir)
        self._caps: dsl.Capabilities | None = None
        self._outdated: list[str] = []

    @property
    def name(self) -> str:
        return self.engine.name

    def alias(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    # -- layout ------------------------------------------------------------------------------

    @property
    def caps(self) -> dsl.Capabilities:
        """What the indexes were built with; creates them (version 1) on first use."""
        if self._caps is None:
            self._caps = self._open()
        return self._caps

    def _open(self) -> dsl.Capabilities:
        current = {kind: self.engine.alias_indices(self.alias(kind)) for kind in KINDS}
        if not all(current.values()):
            caps = self._put_templates(self.probe())
            for kind in KINDS:
                if not current[kind]:
                    self._create_first(kind)
        metas = {kind: self._meta(self.engine.alias_indices(self.alias(kind))[0]) for kind in KINDS}
        caps = dsl.Capabilities(**metas["articles"].get("capabilities", {}))
        caps.percolator = bool(metas["watches"].get("capabilities", {}).get("percolator"))
        expected = {kind: dsl.template_fingerprint(self._template(kind, caps)) for kind in KINDS}
        self._outdated = [kind for kind in KINDS if metas[kind].get("mapping") != expected[kind]]
        if self._outdated:
            log.warning(
                "%s index mappings are older than this MedRadar's (%s): run `medradar index rebuild`",
                self.engine.name, ", ".join(self._outdated),
            )  # fmt: skip
        return caps

    def _meta(self, index: str) -> dict[str, Any]:
        return self.engine.mapping_meta(index).get("medradar", {})

    def probe(self) -> dsl.Capabilities:
        """What this engine can do, asked of it (the percolator is found out by _put_templates)."""
        stems = self.engine.analyze({"tokenizer": "standard", "filter": ["porter_stem"], "text": "partners"})
        if stems != ["partner"]:
            log.warning("%s has no porter_stem filter: English is indexed without stemming", self.engine.name)
        cjk = self.engine.analyze({"analyzer": "cjk", "text": "合作伙伴"})
        return dsl.Capabilities(stemming=stems == ["partner"], cjk=cjk is not None, percolator=True)

    def _template(self, kind: str, caps: dsl.Capabilities) -> dict[str, Any]:
        return dsl.index_template(
            kind, f"{self.alias(kind)}-v*", caps, shards=self.options.shards, replicas=self.options.replicas
        )

    def _put_templates(self, caps: dsl.Capabilities) -> dsl.Capabilities:
        """Put the three index templates; an engine without the percolator gets watches without it."""
        caps = caps.model_copy()
        for kind in KINDS:
            try:
                self.engine.put_index_template(self.alias(kind), self._template(kind, caps))
            except ClusterError as error:
                if kind != "watches" or not caps.percolator or "percolator" not in error.reason:
                    raise
                log.info("%s has no percolator: watches are matched by searching each batch", self.engine.name)
                caps.percolator = False
                self.engine.put_index_template(self.alias(kind), self._template(kind, caps))
        return caps

    def _create_first(self, kind: str) -> None:
        index = f"{self.alias(kind)}-v1"
        try:
            self.engine.create_index(index, {"aliases": {self.alias(kind): {"is_write_index": True}}})
        except ClusterError as error:
            if error.kind != "resource_already_exists_exception":  # another process was first
                raise
        self.engine.health(index=index, wait_for_status="yellow")

    def _versions(self, kind: str) -> list[tuple[int, str]]:
        found = []
        for index in self.engine.indices(f"{self.alias(kind)}-v*"):
            match = re.fullmatch(re.escape(self.alias(kind)) + r"-v(\d+)", index)
            if match:
                found.append((int(match.group(1)), index))
        return sorted(found)

    # -- writing -------------------------------------------------------------------------------

    def upsert(self, articles: Iterable[EnrichedArticle]) -> UpsertStats:
        batch = list({article.id: article for article in articles}.values())
        stats = UpsertStats()
        done: set[str] = set()
        try:
            self.caps  # noqa: B018 - opens (or creates) the indexes
            self._replay(stats)
            self._write(batch, stats, done)
        except ClusterUnavailable as why:
            rest = [article for article in batch if article.id not in done]
            self.spool.put(rest)
            stats.spooled += len(rest)
            stats.unavailable = str(why)
            log.warning("%s: %d article(s) spooled for the next run: %s", self.engine.name, len(rest), why)
        return stats

    def _replay(self, stats: UpsertStats) -> None:
        with self.spool.replaying() as mine:
            if not mine:
                return
            for path in self.spool.pending():
                try:
                    articles = self.spool.read(path)
                except (OSError, EOFError, ValueError) as damage:  # kept aside, never lost
                    kept = self.spool.set_aside(path)
                    reason = f"unreadable spool file, kept as {kept}: {damage}"
                    stats.errors.append(DocumentError(id=path.name, reason=reason))
                    continue
                self._write(articles, stats, set())
                stats.replayed += len(articles)
                self.spool.done(path)

    def _write(self, articles: list[EnrichedArticle], stats: UpsertStats, done: set[str]) -> None:
        """Index articles in chunks, ``bulk_workers`` chunks at a time (so that the engine's write
        threads all work); ``done`` gets each id once it and its events are in."""
        later: list[EnrichedArticle] = []
        failure: ClusterUnavailable | None = None
        with ThreadPoolExecutor(max_workers=self.options.bulk_workers) as pool:
            futures = [pool.submit(self._write_chunk, chunk) for chunk in _chunks(articles, self.options.bulk_chunk)]
            for future in as_completed(futures):
                try:
                    outcome = future.result()
                except ClusterUnavailable as why:
                    failure = failure or why
                    for pending in futures:
                        pending.cancel()  # no use queueing more for a cluster that is gone
                    continue
                except CancelledError:
                    continue
                outcome.add_to(stats)
                later.extend(outcome.later)
                done.update(outcome.done)
        if failure is not None:
            raise failure
        self.engine.refresh(self.alias("articles"))
        self.engine.refresh(self.alias("events"))
        if later:
            raise ClusterUnavailable(f"{len(later)} document(s) refused for now (index blocked for writing)")

    def _write_chunk(self, chunk: list[EnrichedArticle]) -> ChunkOutcome:
        """Create each article; those the index already holds are updated instead, and come back
        "noop" when nothing changed. Creating first spares the engine the update path (a lookup,
        then the merged document parsed again) for what is new, which is most of what is written."""
        outcome = ChunkOutcome()
        by_id = {article.id: article for article in chunk}
        documents = {article.id: index_document(article, cjk=self.caps.cjk) for article in chunk}
        created: set[str] = set()
        known: list[str] = []
        index = self.alias("articles")
        creates = [{"_op_type": "create", "_index": index, "_id": i, "_source": doc} for i, doc in documents.items()]
        for doc_id, result, error in self._bulk(creates):
            if error is not None and error.kind == EXISTS:
                known.append(doc_id)
            elif outcome.record(by_id[doc_id], result, error):
                created.add(doc_id)
        for doc_id, result, error in self._bulk([_update_action(index, i, documents[i]) for i in known]):
            outcome.record(by_id[doc_id], result, error)
        self.spool.reject(outcome.refused)
        for doc_id, _, error in self._bulk(self._event_actions(outcome.accepted, created)):
            if error is not None:
                outcome.event_errors.append(DocumentError(id=doc_id, status=error.status, reason=str(error)))
        retry_later = {article.id for article in outcome.later}
        outcome.done = [article.id for article in chunk if article.id not in retry_later]
        return outcome

    def _event_actions(self, articles: list[EnrichedArticle], created: set[str] = frozenset()) -> list[dict[str, Any]]:
        """Each article's events as documents, and deletions of the events it no longer reports
        (looked up only for articles that existed before). A new article's events are written
        whole; an existing one's are updated, "noop" when unchanged."""
        if not articles:
            return []
        index = self.alias("events")
        known = [article.id for article in articles if article.id not in created]
        existing = set()
        if known:
            query = {"query": {"terms": {"article_id": known}}, "_source": False}
            existing = {hit["_id"] for hit in self.engine.scan(index, query)}
        actions: list[dict[str, Any]] = []
        wanted: set[str] = set()
        for article in articles:
            for doc_id, document in event_documents(article):
                wanted.add(doc_id)
                if article.id in created:
                    actions.append({"_index": index, "_id": doc_id, "_source": document})
                else:
                    actions.append(_update_action(index, doc_id, document))
        deletions = [{"_op_type": "delete", "_index": index, "_id": doc_id} for doc_id in sorted(existing - wanted)]
        return deletions + actions

    def _bulk(self, actions: list[dict[str, Any]]) -> list[tuple[str, str, ClusterError | None]]:
        """(id, result, error) per action, through the client's streaming bulk helper."""
        if not actions:
            return []
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_retryable),
            wait=tenacity.wait_exponential(multiplier=0.5, max=30),
            stop=tenacity.stop_after_attempt(self.options.retries + 2),
            reraise=True,
        )
        outcomes = retrying(
            self.engine.streaming_bulk,
            actions,
            chunk_size=len(actions),
            max_retries=self.options.retries,
            initial_backoff=0.5,
            max_backoff=30,
            raise_on_error=False,
            raise_on_exception=True,
        )
        results = []
        for ok, item in outcomes:
            info = next(iter(item.values()))
            if ok or (info.get("status") == 404 and "delete" in item):
                results.append((info["_id"], info.get("result", ""), None))
            else:
                error = info.get("error") or {}
                if isinstance(error, dict):
                    failure = ClusterError(info.get("status", 0), error.get("type", ""), error.get("reason", ""))
                else:
                    failure = ClusterError(info.get("status", 0), "", str(error))
                results.append((info["_id"], "", failure))
        return results

    def delete_sources(self, source_ids: Iterable[str]) -> int:
        ids = list(source_ids)
        if not ids:
            return 0
        self.caps  # noqa: B018 - the indexes exist
        removed = 0
        for kind in ("articles", "events"):
            query = {"query": {"terms": {"source_id": ids}}, "_source": False}
            doc_ids = [hit["_id"] for hit in self.engine.scan(self.alias(kind), query)]
            for chunk in _chunks(doc_ids, self.options.bulk_chunk):
                self._bulk([{"_op_type": "delete", "_index": self.alias(kind), "_id": doc_id} for doc_id in chunk])
            self.engine.refresh(self.alias(kind))
            if kind == "articles":
                removed = len(doc_ids)
        return removed

    # -- reading -------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        body = dsl.search_body(query, self.caps)
        return dsl.search_result(query, self.engine.search(self.alias("articles"), body))

    def matching_ids(self, queries: Sequence[SearchQuery], among: Sequence[str]) -> list[set[str]]:
        found: list[set[str]] = [set() for _ in queries]
        for ids in _chunks(among, MATCH_IDS_BATCH):  # a page holds at most 10,000 hits
            bodies = [
                {"query": dsl.match_query(query, self.caps, among=ids), "size": len(ids), "_source": False}
                for query in queries
            ]
            responses = [
                response
                for batch in _chunks(bodies, MSEARCH_BATCH)
                for response in self.engine.msearch(self.alias("articles"), batch)
            ]
            for matched, response in zip(found, responses, strict=True):
                matched.update(hit["_id"] for hit in response["hits"]["hits"])
        return found

    def get(self, article_id: str) -> EnrichedArticle | None:
        self.caps  # noqa: B018
        source = self.engine.get_source(self.alias("articles"), article_id)
        return article_from_document(source) if source else None

    def count(self) -> int:
        self.caps  # noqa: B018
        return self.engine.count(self.alias("articles"))

    # -- watches -------------------------------------------------------------------------------

    def put_watch(self, watch: Watch) -> None:
        earlier = self.engine.get_source(self.alias("watches"), _watch_id(watch.name))
        now = datetime.now(UTC)
        created = datetime.fromisoformat(earlier["created_at"]) if earlier and earlier.get("created_at") else now
        stamped = watch.model_copy(update={"created_at": created, "updated_at": now})
        self.engine.index_document(self.alias("watches"), _watch_id(watch.name), _watch_document(stamped, self.caps))

    def delete_watch(self, name: str) -> bool:
        self.caps  # noqa: B018
        return self.engine.delete_document(self.alias("watches"), _watch_id(name))

    def watches(self) -> list[Watch]:
        self.caps  # noqa: B018
        fields = ["name", "watch", "delivery", "created_at", "updated_at"]
        hits = self.engine.scan(self.alias("watches"), {"query": {"match_all": {}}, "_source": fields})
        found = [Watch.stored(*(hit["_source"].get(field) for field in fields)) for hit in hits]
        return sorted(found, key=lambda watch: watch.name)

    def match_watches(self, article_ids: Sequence[str]) -> list[WatchMatch]:
        if self.caps.percolator:
            return self.percolate_watches(article_ids)
        return self.search_watches(article_ids)

    def search_watches(self, article_ids: Sequence[str]) -> list[WatchMatch]:
        """Every watch run as a search restricted to the batch (engines without the percolator)."""
        return match_by_search(self.watches(), article_ids, self.matching_ids)

    def percolate_watches(self, article_ids: Sequence[str]) -> list[WatchMatch]:
        """The batch's documents percolated through the stored watch queries, in one pass."""
        if not self.caps.percolator:
            raise ClusterError(0, "percolator", f"{self.engine.name} has no percolator; use search_watches")
        ids = list(article_ids)
        sources = self.engine.mget(self.alias("articles"), ids)
        found = [(doc_id, source) for doc_id, source in zip(ids, sources, strict=True) if source]
        matches = []
        for chunk in _chunks(found, PERCOLATE_BATCH):
            body = {
                "query": {"percolate": {"field": "percolator_query", "documents": [source for _, source in chunk]}},
                "_source": ["name"],
            }
            for hit in self.engine.scan(self.alias("watches"), body):
                for slot in hit.get("fields", {}).get("_percolator_document_slot", [0]):
                    matches.append(WatchMatch(watch=hit["_source"]["name"], article_id=chunk[slot][0]))
        return sorted_matches(matches)

    # -- rebuild -------------------------------------------------------------------------------

    def rebuild(self, progress: Progress | None = None) -> RebuildReport:
        say = progress or (lambda message: None)
        self.caps  # noqa: B018 - the indexes exist
        caps = self._put_templates(self.probe())
        old = {kind: self.engine.alias_indices(self.alias(kind)) for kind in KINDS}
        new = {kind: f"{self.alias(kind)}-v{(self._versions(kind) or [(0, '')])[-1][0] + 1}" for kind in KINDS}
        watches = self.watches()
        # Writers meanwhile get "blocked" and spool their documents, replayed into the new index.
        self._block_writes(old["articles"] + old["events"], True)
        try:
            for kind in KINDS:
                self.engine.create_index(new[kind])
                self.engine.health(index=new[kind], wait_for_status="yellow")
            copied = self._copy_articles(new, caps, say)
            for watch in watches:
                self.engine.index_document(new["watches"], _watch_id(watch.name), _watch_document(watch, caps))
            for kind in KINDS:
                self.engine.refresh(new[kind])
            before = self.engine.count(self.alias("articles"))
            after = self.engine.count(new["articles"])
            if after != before:
                raise ClusterError(0, "rebuild", f"copied {after} of {before} articles; the old index stays in use")
        except BaseException:
            self._block_writes(old["articles"] + old["events"], False)
            for index in new.values():
                if self.engine.indices(index):
                    self.engine.delete_index(index)
            raise
        actions: list[dict[str, Any]] = []
        for kind in KINDS:
            actions.extend({"remove": {"index": index, "alias": self.alias(kind)}} for index in old[kind])
            actions.append({"add": {"index": new[kind], "alias": self.alias(kind), "is_write_index": True}})
        self.engine.update_aliases(actions)  # atomic: searches see the old indexes or the new ones
        say("aliases swapped")
        for kind in KINDS:
            for index in old[kind]:
                self.engine.delete_index(index)
        self._caps = None
        return RebuildReport(
            swapped={self.alias(kind): (",".join(old[kind]), new[kind]) for kind in KINDS}, documents=copied
        )

    def _copy_articles(self, new: dict[str, str], caps: dsl.Capabilities, say: Progress) -> int:
        copied = 0
        hits = self.engine.scan(self.alias("articles"), {"query": {"match_all": {}}})
        for chunk in _chunks(hits, self.options.bulk_chunk):
            articles = [article_from_document(hit["_source"]) for hit in chunk]
            actions: list[dict[str, Any]] = []
            for article in articles:
                document = index_document(article, caps.cjk)
                actions.append({"_index": new["articles"], "_id": article.id, "_source": document})
                for doc_id, document in event_documents(article):
                    actions.append({"_index": new["events"], "_id": doc_id, "_source": document})
            for doc_id, _, error in self._bulk(actions):
                if error is not None:
                    raise ClusterError(error.status, error.kind, f"copying {doc_id}: {error.reason}")
            copied += len(articles)
            say(f"articles copied: {copied}")
        return copied

    def _block_writes(self, indices: list[str], blocked: bool) -> None:
        for index in indices:
            self.engine.put_settings(index, {"index.blocks.write": blocked})

    # -- the rest ------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        caps = self.caps
        return {
            "backend": self.engine.name,
            "urls": list(self.engine.urls),
            "indexes": {self.alias(kind): self.engine.alias_indices(self.alias(kind)) for kind in KINDS},
            "articles": self.engine.count(self.alias("articles")),
            "events": self.engine.count(self.alias("events")),
            "watches": self.engine.count(self.alias("watches")),
            "capabilities": caps.model_dump(),
            "outdated_mappings": self._outdated,
            "spooled": self.spool.pending_count(),
            "spool": str(self.spool.directory),
        }

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> ClusterBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class ChunkOutcome:
    """What writing one chunk did, added to the batch's UpsertStats by the writing thread."""

    counts: Counter[str] = field(default_factory=Counter)
    accepted: list[EnrichedArticle] = field(default_factory=list)
    refused: list[tuple[EnrichedArticle, str]] = field(default_factory=list)
    errors: list[DocumentError] = field(default_factory=list)
    event_errors: list[DocumentError] = field(default_factory=list)
    later: list[EnrichedArticle] = field(default_factory=list)
    done: list[str] = field(default_factory=list)

    def record(self, article: EnrichedArticle, result: str, error: ClusterError | None) -> bool:
        """One article's bulk result; whether the index took it."""
        if error is None:
            self.counts[COUNTERS.get(result, "unchanged")] += 1
            self.accepted.append(article)
        elif error.kind in RETRY_LATER:
            self.later.append(article)
        else:
            self.errors.append(DocumentError(id=article.id, status=error.status, reason=str(error)))
            self.refused.append((article, str(error)))
        return error is None

    def add_to(self, stats: UpsertStats) -> None:
        for counter, number in self.counts.items():
            setattr(stats, counter, getattr(stats, counter) + number)
        stats.failed += len(self.errors)
        stats.errors.extend(self.errors + self.event_errors)


def _update_action(index: str, doc_id: str, document: dict[str, Any]) -> dict[str, Any]:
    """The whole document as an update: "noop" when nothing changed, so re-runs write nothing."""
    return {"_op_type": "update", "_index": index, "_id": doc_id, "doc": document, "doc_as_upsert": True}


def _retryable(error: BaseException) -> bool:
    return isinstance(error, ClusterUnavailable) or (isinstance(error, ClusterError) and error.status == 429)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _watch_document(watch: Watch, caps: dsl.Capabilities) -> dict[str, Any]:
    """A watch as the watches index keeps it: channels and times in _source only (not mapped)."""
    document: dict[str, Any] = {
        "name": watch.name,
        "watch": watch.query.model_dump(mode="json"),
        "delivery": watch.delivery(),
        "created_at": watch.created_at.isoformat() if watch.created_at else None,
        "updated_at": watch.updated_at.isoformat() if watch.updated_at else None,
    }
    if caps.percolator:
        document["percolator_query"] = dsl.match_query(watch.query, caps)
    return document


def _watch_id(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:32]
