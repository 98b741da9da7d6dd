"""The weekly digest on a fixture week (tests/pipeline/digest_week.py): content selection,
the quiet week, hostile text, delivery to a real SMTP server on loopback (aiosmtpd) once per
(profile, recipient, week), the profiles' configuration, the CLI and the Dagster asset."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dagster import materialize

from pipeline.config import AlertsSettings, ConfigError, DigestProfile, Settings, load_settings
from pipeline.definitions import build_definitions
from pipeline.digest.assets import DigestResource, digest_definitions
from pipeline.digest.content import Week, deal_score, select_content
from pipeline.digest.render import MAX_HTML_BYTES, render_digest
from pipeline.digest.weekly import run_digest
from pipeline.eventstore import EventStore
from pipeline.notify.mailserver import LocalMailServer
from pipeline.notify.outbox import Outbox
from pipeline.resources import AlertsResource, EventStoreResource, SearchBackendResource
from search.query import SearchQuery
from search.sqlite import SqliteBackend
from tests.pipeline.digest_week import HOSTILE_PARTY, HOSTILE_TITLE, WEEK, load_week
from tests.support import medradar


@pytest.fixture
def world(tmp_path):
    backend = SqliteBackend(tmp_path / "index.sqlite")
    store = EventStore(tmp_path / "events.sqlite", window_days=90)
    load_week(backend, store)
    yield backend, store
    backend.close()
    store.close()


def profile(**changes) -> DigestProfile:
    return DigestProfile.model_validate({"name": "deals", "items_per_section": 3, **changes})


def alerts(port: int = 25) -> AlertsSettings:
    return AlertsSettings.model_validate({
        "smtp": {"port": port, "sender": "MedRadar <digest@medradar.test>"}, "retry_wait_seconds": 0,
        "attempts_per_run": 1, "backoff_minutes": 0, "trends": {"enabled": False},
    })  # fmt: skip


def titles(items) -> list[str]:
    return [entry.item.title for entry in items.items]


def test_the_fixture_week_ranks_the_big_bilingual_deal_first_and_lists_each_deal_once(world):
    backend, store = world
    content = select_content(backend, store, profile(), Week.parse(WEEK), alerts())

    assert titles(content.top_deals) == [
        "Stryker to acquire Inari Medical for $4.9 billion",  # 4.9B, two sources, two languages
        "United Imaging partners with Mayo Clinic on imaging AI",  # 25M: the translated title
        "Acme Robotics raises $20M series B",  # 20M, syndicated: one independent source
    ]
    top = content.top_deals.items[0]
    assert top.item.parties == ["Stryker (史赛克)", "Inari Medical"] and top.languages == ["en", "zh"]
    assert top.item.title_original == "史赛克49亿美元收购Inari Medical"
    # the syndicated round: one item, with the three outlets that published it
    acme = content.top_deals.items[2]
    assert [s.source_id for s in acme.item.sources] == ["wire", "fierce", "dive"] and acme.independent_sources == 1
    shown = [entry.item.key for items in content.deal_lists for entry in items.items]
    assert len(shown) == len(set(shown)) == 5
    assert {items.key: titles(items) for items in content.by_type if items.items} == {
        "funding": ["微创机器人完成新一轮融资"], "licensing": [HOSTILE_TITLE],
    }  # fmt: skip
    # figures: this week, last week (W09: three rounds), 8-week average (four events / 8)
    total = content.total
    assert (total.this_week, total.last_week, total.average) == (5, 3, 0.5)
    funding = next(f for f in content.figures if f.type == "funding")
    assert (funding.this_week, funding.last_week) == (2, 3)
    assert content.chart.total == 9 and len(content.chart.days) == 56

    # China this week: the Chinese stories, the translated one with its original, the pending one marked
    china = {entry.item.title: entry for entry in content.china.items}
    assert content.china_total == 3 and set(china) == {
        "微创机器人完成新一轮融资", "United Imaging partners with Mayo Clinic on imaging AI",
        "Stryker to acquire Inari Medical for $4.9 billion",
    }  # fmt: skip
    assert china["United Imaging partners with Mayo Clinic on imaging AI"].item.title_original == "联影医疗与梅奥诊所合作开发影像人工智能"
    assert china["微创机器人完成新一轮融资"].translation_pending
    assert not china["United Imaging partners with Mayo Clinic on imaging AI"].translation_pending


def test_the_filter_and_watched_companies_change_what_is_chosen(world):
    backend, store = world
    week = Week.parse(WEEK)
    funding = select_content(backend, store, profile(filter=SearchQuery(types=["funding"])), week)
    assert titles(funding.top_deals) == ["Acme Robotics raises $20M series B", "微创机器人完成新一轮融资"]
    assert funding.total.this_week == 2 and funding.total.last_week == 3
    watched = select_content(backend, store, profile(watched_parties=["Acme Robotics"]), week)
    assert titles(watched.top_deals) == [  # 1.3 + 2 for the watched party: above the 25M partnership
        "Stryker to acquire Inari Medical for $4.9 billion", "Acme Robotics raises $20M series B",
        "United Imaging partners with Mayo Clinic on imaging AI",
    ]
    assert watched.top_deals.items[1].watched and not watched.top_deals.items[0].watched
    text = select_content(backend, store, profile(filter=SearchQuery(text="Mayo")), week)
    assert titles(text.top_deals) == ["United Imaging partners with Mayo Clinic on imaging AI"]
    english = select_content(backend, store, profile(filter=SearchQuery(langs=["en"])), week)
    assert not english.china.items and english.total.this_week == 3


def test_the_score_is_the_documented_one():
    from enrich.schema import Amount, Event, Party

    event = Event(id="e", type="funding", status="announced", amount=Amount(value=2e7, currency="USD", usd=2e7),
                  parties=[Party(id="acme", name="Acme")], sources=["a", "b", "c"], languages=["en", "zh"])  # fmt: skip
    assert deal_score(event, set()) == pytest.approx(1.322 + 2 + 1, abs=1e-3)
    assert deal_score(event, {"acme"}) == pytest.approx(1.322 + 2 + 1 + 2, abs=1e-3)


def test_a_quiet_week_is_a_short_note(world):
    backend, store = world
    content = select_content(backend, store, profile(), Week.parse("2025-W20"), alerts())
    assert content.empty
    digest = render_digest(content)
    assert digest.chart is None and digest.subject == "[MedRadar] deals 2025-W20: a quiet week"
    html = digest.html("chart.png")
    assert "A quiet week" in html and "<img" not in html and "Top deals" not in html
    assert "A quiet week" in digest.text and len(digest.text.splitlines()) < 10


def test_hostile_scraped_text_arrives_escaped_in_html_and_as_inert_text(world):
    backend, store = world
    digest = render_digest(select_content(backend, store, profile(), Week.parse(WEEK), alerts()))
    html = digest.html("chart.png")
    assert "<script" not in html and "<img src=x" not in html and "<b>Corp" not in html
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;Evil &lt;img src=x onerror=alert(1)&gt;" in html
    assert "Evil&lt;b&gt;Corp&lt;/b&gt;" in html
    assert "javascript:" not in html.split("</h3>")[0] and 'href="javascript' not in html
    assert "link withheld" in html
    # the text part shows what was scraped, as text, on its own lines, without the javascript: link
    assert HOSTILE_TITLE in digest.text and HOSTILE_PARTY in digest.text
    assert "<javascript:" not in digest.text and "link withheld" in digest.text


def test_the_html_is_inlined_tables_under_100_kb_with_the_chart_described(world):
    backend, store = world
    digest = render_digest(select_content(backend, store, profile(), Week.parse(WEEK), alerts()))
    html = digest.html("cid:x")
    assert len(html.encode()) < MAX_HTML_BYTES
    assert "<style" not in html and 'style="' in html and "<table" in html
    assert digest.chart.startswith(b"\x89PNG") and 'alt="Chart: events per day by type' in html
    assert digest.subject == (
        "[MedRadar] deals 2025-W10: Stryker to acquire Inari Medical for $4.9 billion (4,900,000,000 USD) and 4 more"
    )
    # the same facts in the text part
    for fact in ("Stryker to acquire Inari Medical", "史赛克49亿美元收购Inari Medical", "wire", "fierce", "dive",
                 "TRANSLATION PENDING", "5 this week, 3 last week, 0.5 on average", "Chart: events per day"):  # fmt: skip
        assert fact in digest.text


def test_delivery_is_multipart_with_an_inline_chart_and_happens_once_per_recipient_and_week(world, tmp_path):
    backend, store = world
    readers = profile(recipients=["ceo@example.org", "bd@example.org"])
    week = Week.parse(WEEK)
    with LocalMailServer() as mail, Outbox(tmp_path / "alerts.sqlite") as outbox:
        run = run_digest(backend, store, outbox, alerts(mail.port), readers, week, tmp_path / "digests", send=True)
        assert (run.queued, run.delivery.sent) == (2, 2)
        assert sorted(m["To"] for m in mail.messages) == ["bd@example.org", "ceo@example.org"]
        message = mail.messages[0]
        assert message["Subject"].startswith("[MedRadar] deals 2025-W10: Stryker")
        assert message.get_content_type() == "multipart/alternative"
        text, related = message.get_payload()
        assert text.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
        html, image = related.get_payload()
        assert html.get_content_type() == "text/html" and image.get_content_type() == "image/png"
        cid = image["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in html.get_content() and image.get_content().startswith(b"\x89PNG")
        assert image.get_content_disposition() == "inline"

        again = run_digest(backend, store, outbox, alerts(mail.port), readers, week, tmp_path / "digests", send=True)
        assert (again.queued, again.delivery.sent, len(mail.messages)) == (0, 0, 2)
        assert sorted(again.already_sent) == ["bd@example.org", "ceo@example.org"]
        # a new reader gets it; the others do not get it twice
        more = readers.model_copy(update={"recipients": [*readers.recipients, "cto@example.org"]})
        third = run_digest(backend, store, outbox, alerts(mail.port), more, week, tmp_path / "digests", send=True)
        assert (third.queued, len(mail.messages)) == (1, 3) and mail.messages[-1]["To"] == "cto@example.org"
        # on purpose
        resent = run_digest(backend, store, outbox, alerts(mail.port), readers, week, tmp_path / "digests", send=True, resend=True)
        assert (resent.queued, resent.delivery.sent, len(mail.messages)) == (2, 2, 5)
        assert [row.status for row in outbox.rows()] == ["sent"] * 5

    archive = tmp_path / "digests" / "deals" / "2025-W10.html"
    assert archive.is_file() and (archive.with_suffix(".png")).is_file()
    assert 'src="2025-W10.png"' in archive.read_text()
    assert json.loads(archive.with_suffix(".json").read_text())["items"]["top_deals"] == 3


def test_an_smtp_server_that_is_down_is_retried_by_the_next_run(world, tmp_path):
    backend, store = world
    readers = profile(recipients=["ceo@example.org"])
    week = Week.parse(WEEK)
    with Outbox(tmp_path / "alerts.sqlite") as outbox:
        with LocalMailServer() as mail:
            port = mail.port
        down = run_digest(backend, store, outbox, alerts(port), readers, week, tmp_path / "digests", send=True)
        assert (down.queued, down.delivery.sent, down.delivery.retry_later) == (1, 0, 1)
        [row] = outbox.rows()
        assert row.status == "pending" and "unreachable" in row.last_error
        with LocalMailServer(port=port) as mail:
            later = run_digest(backend, store, outbox, alerts(port), readers, week, tmp_path / "digests", send=True)
            assert (later.queued, later.delivery.sent, len(mail.messages)) == (0, 1, 1)
        assert [r.status for r in outbox.rows()] == ["sent"]


def test_profiles_are_validated_with_the_file_and_key_named(tmp_path):
    config = tmp_path / "medradar.yaml"
    config.write_text(
        "digest:\n  profiles:\n"
        "    - {name: Ortho Team, recipients: [nope], timezone: Mars/Olympus, sections: [headline, gossip]}\n"
        "    - {name: ok, filter: {types: [funding], since: 2025-01-01}, send_time: '7am'}\n"
    )
    with pytest.raises(ConfigError) as problem:
        load_settings(config)
    message = str(problem.value)
    for expected in ("digest.profiles[0].name", "digest.profiles[0].recipients: not an email address: nope",
                     "digest.profiles[0].timezone: unknown IANA time zone 'Mars/Olympus'", "digest.profiles[0].sections[1]",
                     "digest.profiles[1].filter: since: not a digest filter key", "digest.profiles[1].send_time"):  # fmt: skip
        assert f"{config}: {expected}" in message
    config.write_text("digest:\n  profiles:\n    - {name: a}\n    - {name: a}\n")
    with pytest.raises(ConfigError, match=re.escape("digest.profiles: profiles[1]: duplicate name 'a'")):
        load_settings(config)


def test_the_cli_renders_archives_and_sends_once(world, tmp_path):
    backend, store = world
    data = tmp_path / "data"
    data.mkdir()
    backend.close()
    store.close()
    (tmp_path / "index.sqlite").rename(data / "index.sqlite")
    (tmp_path / "events.sqlite").rename(data / "events.sqlite")
    with LocalMailServer() as mail:
        config = tmp_path / "medradar.yaml"
        config.write_text(
            f"data_dir: data\nalerts: {{smtp: {{port: {mail.port}}}, retry_wait_seconds: 0, attempts_per_run: 1}}\n"
            "digest:\n  profiles:\n    - {name: deals, recipients: [ceo@example.org], timezone: Asia/Shanghai}\n"
        )
        shown = medradar("--config", str(config), "digest", "--week", WEEK, "--out", str(tmp_path / "out.html"))
        assert shown.returncode == 0, shown.stderr
        assert f"archived: {data / 'digests' / 'deals' / (WEEK + '.html')}" in shown.stdout
        assert (tmp_path / "out.html").is_file() and (tmp_path / "out.png").is_file() and not mail.messages
        sent = medradar("--config", str(config), "digest", "--week", WEEK, "--send")
        assert sent.returncode == 0, sent.stderr
        assert "1 message(s) queued, 1 sent" in sent.stdout and len(mail.messages) == 1
        again = medradar("--config", str(config), "digest", "--week", WEEK, "--send")
        assert "0 message(s) queued, 0 sent; already sent to ceo@example.org" in again.stdout and len(mail.messages) == 1
        listed = medradar("--config", str(config), "outbox", "list")
        assert "sent    email   ceo@example.org · [MedRadar] deals 2025-W10" in listed.stdout
    bad = medradar("--config", str(config), "digest", "--week", "2025-W99")
    assert bad.returncode == 2 and "2025 has no ISO week 99" in bad.stderr
    unknown = medradar("--config", str(config), "digest", "--profile", "nobody")
    assert unknown.returncode == 2 and "unknown profile nobody (known: deals)" in unknown.stderr


def test_the_dagster_asset_is_weekly_per_profile_with_its_item_counts(world, tmp_path):
    backend, store = world
    settings = Settings(
        data_dir=tmp_path / "data",
        digest={"profiles": [{"name": "deals", "timezone": "Asia/Shanghai", "send_time": "09:30", "send_day": "tuesday"}]},
    )
    backend.close()
    store.close()
    settings.data_dir.mkdir()
    (tmp_path / "index.sqlite").rename(settings.index_path)
    (tmp_path / "events.sqlite").rename(settings.events_path)
    defs = build_definitions(settings)
    schedule = defs.resolve_schedule_def("digest_deals_weekly")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 9 * * 2", "Asia/Shanghai")
    [asset], _ = digest_definitions(settings)
    assert asset.partitions_def.get_partition_keys_in_range  # a time-window partitioned asset
    result = materialize(
        [asset], partition_key="2025-03-03",
        resources={
            "digest": DigestResource.from_settings(settings), "search": SearchBackendResource.from_settings(settings),
            "event_store": EventStoreResource.from_settings(settings), "alerts": AlertsResource.from_settings(settings),
        },
    )  # fmt: skip
    assert result.success
    [materialization] = result.asset_materializations_for_node("digest_deals")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert metadata["week"] == WEEK and metadata["items_top_deals"] == 5 and metadata["items_china"] == 3
    assert Path(metadata["archive"]).is_file() and metadata["queued"] == 0


def test_a_week_is_an_iso_week_in_the_profiles_time_zone():
    week = Week.parse("2026-W47", "Asia/Shanghai")
    assert (week.first_day.isoformat(), week.last_day.isoformat()) == ("2026-11-16", "2026-11-22")
    assert week.start == datetime(2026, 11, 15, 16, tzinfo=UTC)  # Monday 00:00 in Shanghai
    assert Week.last_complete(datetime(2026, 11, 23, 1, tzinfo=UTC), "Asia/Shanghai").label == "2026-W47"
    assert Week.last_complete(datetime(2026, 11, 23, 1, tzinfo=UTC), "America/New_York").label == "2026-W46"
    with pytest.raises(ValueError, match="not an ISO week"):
        Week.parse("2026-47")


def test_the_desk_lists_and_serves_archived_digests_and_nothing_else(world, tmp_path):
    from fastapi.testclient import TestClient

    from search.backend import open_backend
    from search.web import Desk, create_app
    from search.web.digests import DIGEST_POLICY

    backend, store = world
    run_digest(backend, store, None, alerts(), profile(), Week.parse(WEEK), tmp_path / "digests")
    (tmp_path / "digests" / "deals" / "notes.txt").write_text("not a digest")
    desk = Desk(open_backend=lambda: open_backend("sqlite", sqlite_path=tmp_path / "index.sqlite"), digests_dir=tmp_path / "digests")
    with TestClient(create_app(desk), base_url="http://127.0.0.1") as client:
        [listed] = client.get("/api/digests").json()
        assert listed["url"] == "/digests/deals/2025-W10" and listed["subject"].startswith("[MedRadar] deals 2025-W10")
        assert listed["items"]["top_deals"] == 3
        page = client.get("/digests")
        assert 'href="/digests/deals/2025-W10"' in page.text
        digest = client.get("/digests/deals/2025-W10")
        assert digest.status_code == 200 and digest.headers["content-security-policy"] == DIGEST_POLICY
        assert "script-src" not in DIGEST_POLICY and "sandbox" in DIGEST_POLICY and "Stryker" in digest.text
        chart = client.get("/digests/deals/2025-W10.png")
        assert chart.headers["content-type"] == "image/png" and chart.content.startswith(b"\x89PNG")
        for wrong in ("/digests/deals/notes.txt", "/digests/deals/2025-W10.json", "/digests/deals/2025-W11",
                      "/digests/..%2F..%2Fetc/passwd", "/digests/deals/..%2Findex", "/digests/Deals/2025-W10"):  # fmt: skip
            assert client.get(wrong).status_code == 404, wrong
