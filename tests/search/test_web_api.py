"""The desk's JSON API, one contract on every backend (through httpx against the ASGI app),
then what is the same everywhere: access control, security headers, errors."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from search.backend import open_backend
from search.web import Access, Desk, create_app
from tests.engines import BACKENDS
from tests.search.corpus import facet_counts, histogram, select
from tests.search.desk_corpus import desk_for

LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module", params=BACKENDS)
def api(request, tmp_path_factory):
    desk = desk_for(request, request.param, tmp_path_factory.mktemp(request.param))
    with TestClient(create_app(desk), base_url=LOCAL) as client:
        yield client


def hit_ids(answer) -> list[str]:
    return sorted(hit["id"] for hit in answer.json()["hits"])


def test_chinese_query_finds_chinese_articles_with_highlights(api):
    answer = api.get("/api/search", params={"q": "合作", "limit": 50})
    assert answer.status_code == 200
    assert hit_ids(answer) == ["c01", "c10", "c13", "t01"]
    in_body = [hit for hit in answer.json()["hits"] if "合作" in hit["snippet"]]
    assert sorted(hit["id"] for hit in in_body) == ["c01", "t01"]  # c10, c13: by their headlines
    for hit in in_body:
        assert [hit["snippet"][start:end] for start, end in hit["highlights"]] == ["合作"]


def test_english_query_finds_a_chinese_article_by_its_translation(api):
    answer = api.get("/api/search", params={"q": "radiology"}).json()
    assert [hit["id"] for hit in answer["hits"]] == ["t01"]
    hit = answer["hits"][0]
    assert hit["lang"] == "zh"
    start, end = hit["highlights_en"][0]
    assert hit["snippet_en"][start:end].lower() == "radiology"


def test_company_in_either_language_finds_deals_in_both(api):
    by_chinese = hit_ids(api.get("/api/search", params={"party": "梅奥诊所"}))
    by_english = hit_ids(api.get("/api/search", params={"party": "Mayo Clinic"}))
    assert by_chinese == by_english == ["c01", "c04", "t01"]  # c04 is English, c01 and t01 Chinese
    named = api.get("/api/search", params={"q": "梅奥诊所"}).json()["organisations"]
    assert named == [{"id": "mayo-clinic", "name": "Mayo Clinic", "name_zh": "梅奥诊所", "named": "梅奥诊所"}]


def test_a_company_named_in_the_text_is_found_by_any_of_its_names(api):
    by_chinese = hit_ids(api.get("/api/search", params={"q": "梅奥诊所"}))
    by_english = hit_ids(api.get("/api/search", params={"q": "Mayo Clinic"}))
    assert by_chinese == by_english == ["c01", "c04", "t01"]
    assert hit_ids(api.get("/api/search", params={"q": '"梅奥诊所"'})) == ["c01", "t01"]  # quoted: as written
    assert hit_ids(api.get("/api/search", params={"q": "Mayo Clinic 影像"})) == ["c01", "t01"]


def test_status_and_amount_filters(api):
    assert hit_ids(api.get("/api/search", params={"status": "completed"})) == ["c02", "c04", "c07"]
    assert hit_ids(api.get("/api/search", params={"min_usd": "20000000", "lang": "zh"})) == ["c02", "c07", "t01"]
    assert hit_ids(api.get("/api/search", params={"min_usd": "20000000", "status": "announced"})) == ["c03", "t01"]


def test_facets_and_histogram_count_what_the_filters_select(api):
    ids = [i for i in select(types=["partnership"])] + ["t01"]
    answer = api.get("/api/facets", params={"type": "partnership", "interval": "month"}).json()
    assert answer["total"] == len(ids)
    assert [(f["value"], f["count"]) for f in answer["facets"]["langs"]] == facet_counts_of(ids, "langs")
    months = {(b["start"], b["count"]) for b in answer["histogram"]}
    assert sum(count for _, count in months) == len(ids)
    assert {(str(start), n) for start, n in histogram(ids[:-1], "month")} - months <= {("2025-04-01", 1)}


def facet_counts_of(ids: list[str], facet: str) -> list[tuple[str, int]]:
    # t01 is the desk's own article: a Chinese partnership
    counts = dict(facet_counts([i for i in ids if i != "t01"], facet))
    if "t01" in ids:
        counts["zh"] = counts.get("zh", 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def test_paging_by_cursor_gives_every_result_once(api):
    expected = select(langs=["en"], sources=["us-wire"])
    seen, after = [], None
    while True:
        params = {"lang": "en", "source": "us-wire", "sort": "date", "limit": 4, **({"after": after} if after else {})}
        answer = api.get("/api/search", params=params).json()
        seen += [hit["id"] for hit in answer["hits"]]
        after = answer["next_after"]
        if not after:
            break
    assert seen == expected


def test_article_with_its_events_and_evidence(api):
    answer = api.get("/api/articles/t01").json()
    assert answer["article"]["text_en"].startswith("United Imaging")
    assert [event["type"] for event in answer["article"]["events"]] == ["partnership", "ai"]
    assert answer["article"]["events"][0]["parties"][0]["name_zh"] == "梅奥诊所"
    missing = api.get("/api/articles/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_watches_are_created_listed_and_deleted(api):
    watch = {"name": "mayo deals", "query": {"text": "合作", "parties": ["mayo-clinic"]}}
    assert api.post("/api/watches", json=watch).status_code == 201
    assert "mayo deals" in [w["name"] for w in api.get("/api/watches").json()]
    assert api.delete("/api/watches/mayo deals").status_code == 204
    assert api.delete("/api/watches/mayo deals").status_code == 404
    assert api.post("/api/watches", json={"name": "", "query": {}}).status_code == 422


def test_csv_export_holds_every_result_and_no_formula(api):
    answer = api.get("/api/export", params={"type": "funding", "format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert sorted(row["id"] for row in rows) == sorted([*select(types=["funding"]), "h01"])
    hostile = next(row for row in rows if row["id"] == "h01")
    assert hostile["snippet"].startswith("'=HYPERLINK")
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())
    as_json = api.get("/api/export", params={"type": "funding", "format": "json"}).json()
    assert len(as_json) == len(rows)


ERRORS = [
    ({"q": "x" * 501}, 400, "bad_query"),
    ({"limit": 101}, 400, "bad_query"),
    ({"type": "gossip"}, 400, "bad_query"),
    ({"after": "not-a-cursor"}, 400, "bad_query"),
    ({"since": "2025-03-01", "until": "2025-02-01"}, 400, "bad_query"),
    ({"limit": "ten"}, 422, "invalid_parameter"),
    ({"lang": "fr"}, 422, "invalid_parameter"),
    ({"since": "yesterday"}, 422, "invalid_parameter"),
]


@pytest.mark.parametrize(("params", "status", "error"), ERRORS, ids=[str(p)[:40] for p, _, _ in ERRORS])
def test_errors_are_json_with_a_reason(api, params, status, error):
    answer = api.get("/api/search", params=params)
    assert answer.status_code == status
    assert answer.json()["error"] == error and answer.json()["reason"]


def test_a_cursor_of_another_query_is_refused(api):
    after = api.get("/api/search", params={"q": "合作", "limit": 1}).json()["next_after"]
    answer = api.get("/api/search", params={"q": "并购", "after": after})
    assert answer.status_code == 400 and "another query" in answer.json()["reason"]


# -- the same on every backend: access and headers (on the embedded index) --------------------


@pytest.fixture
def index_path(tmp_path):
    backend = open_backend("sqlite", sqlite_path=tmp_path / "index.sqlite")
    backend.close()
    return tmp_path / "index.sqlite"


def app_with(index_path, token=None, host="127.0.0.1"):
    desk = Desk(open_backend=lambda: open_backend("sqlite", sqlite_path=index_path))
    return create_app(desk, Access(token), host)


def test_every_answer_carries_a_policy_without_inline_scripts(index_path):
    with TestClient(app_with(index_path), base_url=LOCAL) as client:
        for path in ("/", "/api/search", "/watches", "/docs", "/static/desk.css"):
            policy = client.get(path).headers["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert client.get("/openapi.json").json()["paths"]["/api/search"]


def test_the_token_is_required_when_set(index_path):
    with TestClient(app_with(index_path, token="s3cret", host="0.0.0.0"), base_url=LOCAL) as client:
        refused = client.get("/api/search")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/search", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/search", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        page = client.get("/?q=x", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
        assert client.post("/login", data={"token": "wrong"}).status_code == 401
        logged_in = client.post("/login", data={"token": "s3cret", "next": "//evil.example"}, follow_redirects=False)
        assert logged_in.headers["location"] == "/"
        assert "s3cret" not in logged_in.headers["set-cookie"]
        assert client.get("/").status_code == 200  # the session cookie


def test_cross_origin_writes_and_foreign_host_names_are_refused(index_path):
    with TestClient(app_with(index_path), base_url=LOCAL) as client:
        forged = client.post("/watches", data={"name": "x"}, headers={"Origin": "http://evil.example"})
        assert forged.status_code == 403
        assert client.get("/api/watches").json() == []
        assert client.get("/", headers={"Host": "evil.example"}).status_code == 400  # DNS rebinding


def test_a_watch_saved_from_the_page_refuses_a_bad_address_and_stores_nothing(index_path):
    with TestClient(app_with(index_path), base_url=LOCAL) as client:
        refused = client.post("/watches?q=AI", data={"name": "ai", "emails": "bd@example.com, not-an-address"})
        assert refused.status_code == 400 and "not-an-address" in refused.text
        assert client.get("/api/watches").json() == []
        saved = client.post("/watches?q=AI", data={"name": "ai", "emails": "bd@example.com"}, follow_redirects=False)
        assert saved.status_code == 303
        [watch] = client.get("/api/watches").json()
        assert (watch["emails"], watch["cadence"]) == (["bd@example.com"], "instant")
