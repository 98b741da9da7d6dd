from datetime import UTC, date, datetime

from spiders.rawstore import RawPage, RawStore, Redirect, read_segment


def page(n: int, body: bytes = b"<html>\xff\x00 bytes</html>") -> RawPage:
    return RawPage(
        source_id="s",
        crawl_id="c1",
        kind="article",
        request_url=f"http://127.0.0.1/{n}?utm_source=x",
        url=f"http://127.0.0.1/{n}",
        redirects=[Redirect(url=f"http://127.0.0.1/{n}?utm_source=x", reason="301")],
        status=200,
        headers={"content-type": ["text/html; charset=gbk"]},
        fetched_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        body=body,
        header_encoding="gb18030",
        declared_encoding="gb18030",
        detected_encoding="gb18030",
    )


def test_records_round_trip_byte_for_byte(tmp_path):
    store = RawStore(tmp_path)
    with store.writer("s", date(2025, 1, 2), "c1") as writer:
        for n in range(3):
            writer.write(page(n, body=bytes(range(256)) * n))
    pages = list(store.pages("s", date(2025, 1, 2)))
    assert [p.url for p in pages] == [f"http://127.0.0.1/{n}" for n in range(3)]
    assert pages[2].body == bytes(range(256)) * 2
    assert pages[0].request_url.endswith("utm_source=x")
    assert pages[0].header("Content-Type") == "text/html; charset=gbk"
    assert pages[1] == page(1, body=bytes(range(256)))  # every field, redirects and encodings included


def test_a_crawl_killed_mid_write_keeps_every_complete_record(tmp_path):
    store = RawStore(tmp_path)
    with store.writer("s", date(2025, 1, 2), "c1") as writer:
        writer.write(page(1))
        writer.write(page(2))
    segment = store.segment_path("s", date(2025, 1, 2), "c1")
    data = segment.read_bytes()
    segment.write_bytes(data[: len(data) - 25])  # the last record is cut short
    assert [p.url for p in read_segment(segment)] == ["http://127.0.0.1/1"]


def test_failures_and_304s_are_pages_too(tmp_path):
    failed = RawPage(
        source_id="s", crawl_id="c", kind="article", request_url="http://x/", url="http://x/",
        fetched_at=datetime.now(UTC), error="timeout: took too long",
    )
    assert not failed.ok and failed.reason == "timeout"
    assert not page(1).model_copy(update={"status": 404, "error": "http_404"}).ok
    not_modified = page(1).model_copy(update={"status": 304, "body": b""})
    assert not_modified.not_modified and not not_modified.ok and not_modified.reason is None
    assert page(1).ok and page(1).reason is None
