"""The crawler's memory: what becomes of a URL across runs, and the gap a killed crawl leaves."""

from datetime import UTC, date, datetime

from spiders.crawl import resume_after_kill
from spiders.rawstore import RawPage, RawStore
from spiders.state import CrawlState


def test_transient_failures_are_retried_by_later_runs_until_given_up(tmp_path):
    with CrawlState(tmp_path, "s") as state:
        state.add_pending("http://a.example/1", "http://a.example/1", "http://a.example/feed", "c1")
        state.mark_failed("http://a.example/1", "http://a.example/1", "http_503", False, 3, "c1")
        state.mark_failed("http://a.example/1", "http://a.example/1", "timeout", False, 3, "c2")
        assert [(k.key, k.attempts, k.reason, k.found_on) for k in state.pending()] == [
            ("http://a.example/1", 2, "timeout", "http://a.example/feed")
        ]
        state.mark_failed("http://a.example/1", "http://a.example/1", "timeout", False, 3, "c3")
        assert state.get("http://a.example/1").state == "gave_up" and state.pending() == []

        state.mark_failed("http://a.example/2", "http://a.example/2", "http_404", True, 3, "c3")
        assert (state.get("http://a.example/2").state, state.get("http://a.example/2").attempts) == ("failed", 1)


def test_a_stored_page_stays_stored(tmp_path):
    with CrawlState(tmp_path, "s") as state:
        state.mark_stored(["http://a.example/1", "http://a.example/canonical"], "http://a.example/1", "c1")
        state.mark_failed("http://a.example/canonical", "http://a.example/canonical", "http_500", False, 3, "c2")
        assert state.get("http://a.example/canonical").state == "stored"
        assert state.counts() == {"stored": 2}


def test_validators_are_remembered_and_forgotten(tmp_path):
    with CrawlState(tmp_path, "s") as state:
        state.remember_validators("http://a.example/feed", '"v1"', "Mon, 02 Jun 2025 08:00:00 GMT")
        assert state.validators("http://a.example/feed") == {
            "If-None-Match": '"v1"', "If-Modified-Since": "Mon, 02 Jun 2025 08:00:00 GMT",
        }
        state.remember_validators("http://a.example/feed", None, None)  # the site stopped sending them
        assert state.validators("http://a.example/feed") == {}


def test_a_batch_is_all_or_nothing(tmp_path):
    with CrawlState(tmp_path, "s") as state:
        try:
            with state.batch():
                state.add_pending("http://a.example/1", "http://a.example/1", None, "c1")
                raise RuntimeError("killed")
        except RuntimeError:
            pass
        assert state.get("http://a.example/1") is None


def test_pages_stored_by_a_killed_crawl_are_marked_stored_on_the_next_start(tmp_path):
    """The one gap SIGKILL can leave: the page reached the raw store, its row still says pending."""
    store = RawStore(tmp_path / "raw")
    with CrawlState(tmp_path / "state", "s") as state:
        with store.writer("s", date(2025, 6, 1), "killed") as writer:
            state.start_crawl("killed", writer.path)
            state.add_pending("http://a.example/1", "http://a.example/1", None, "killed")
            state.add_pending("http://a.example/2", "http://a.example/2", None, "killed")
            writer.write(
                RawPage(
                    source_id="s", crawl_id="killed", kind="article", request_url="http://a.example/1",
                    url="http://a.example/1", status=200, fetched_at=datetime.now(UTC), body=b"<html></html>",
                )
            )
        resume_after_kill(state, "next")
        assert state.get("http://a.example/1").state == "stored"
        assert [k.key for k in state.pending()] == ["http://a.example/2"]
        assert state.unfinished_crawls(other_than="next") == []
