"""Alerts end to end on loopback: a real SMTP server (aiosmtpd) and a real HTTP receiver get
what the outbox sends; every message is parsed (MIME parts, headers, signatures)."""

from __future__ import annotations

import gzip
import hmac
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import TypeAdapter

from enrich.schema import Amount, EnrichedArticle, EventMention, Party
from pipeline.alerts import current_trends, deliver, match_new_articles, run_alerts
from pipeline.config import AlertsSettings
from pipeline.eventstore import EventStore
from pipeline.io_manager import partition_file
from pipeline.notify.mailserver import LocalMailServer, free_port
from pipeline.notify.outbox import Outbox
from pipeline.notify.webhooks import SIGNATURE_HEADER, signature
from search.query import SearchQuery
from search.sqlite import SqliteBackend
from search.watches import Watch, Webhook
from tests.engines import BACKENDS, open_test_backend
from tests.pipeline.receivers import WebhookReceiver

SECRET = "s3cret-s3cret-s3cret"
STRYKER = Party(id="stryker", name="Stryker", name_zh="史赛克", role="acquirer")
INARI = Party(id="inari", name="Inari Medical", role="target")
DEAL = [STRYKER, INARI]


def report(id_, source, lang, title, text, when, parties=DEAL, kind="merger_acquisition", url=None, usd=4.9e9):
    amount = Amount(value=usd, currency="USD", usd=usd) if usd else None
    return EnrichedArticle(
        id=id_, source_id=source, url=url or f"https://{source}.example/{id_}", canonical_url=f"https://{source}.example/{id_}",
        title=title, text=text, lang=lang, published_at=when, fetched_at=when,
        title_en="Stryker completes acquisition of Inari" if lang == "zh" else None,
        events=[EventMention(type=kind, score=0.9, evidence=[text], parties=parties, amount=amount)],
    )  # fmt: skip


def day(n: int, hour: int = 8) -> datetime:
    return datetime(2025, 3, n, hour, tzinfo=UTC)


# One deal, five outlets, two languages; and an unrelated funding round.
FIVE = [
    report("a1", "wire", "en", "Stryker to acquire Inari Medical", "Stryker agreed to acquire Inari Medical for $4.9 billion.", day(5)),
    report("a2", "fierce", "en", "Stryker buys Inari for $4.9B", "Stryker will buy Inari Medical in a $4.9 billion deal.", day(5, 11)),
    report("a3", "dive", "en", "Stryker-Inari deal announced", "Stryker said it would acquire Inari Medical.", day(6)),
    report("a4", "36kr", "zh", "史赛克收购Inari", "史赛克宣布收购Inari Medical，交易总价值约49亿美元。", day(6, 3)),
    report("a5", "vcbeat", "zh", "史赛克49亿美元并购Inari", "史赛克将以49亿美元并购Inari Medical。", day(7)),
]
OTHER = report(
    "b1", "wire", "en", "Acme raises $20M", "Acme raised $20 million in a series B round.", day(8),
    parties=[Party(id="acme", name="Acme")], kind="funding", usd=2e7,
)  # fmt: skip


@pytest.fixture
def world(tmp_path):
    backend = SqliteBackend(tmp_path / "index.sqlite")
    store = EventStore(tmp_path / "events.sqlite", window_days=90)
    outbox = Outbox(tmp_path / "alerts.sqlite")
    yield backend, store, outbox
    backend.close()
    store.close()
    outbox.close()


def index(backend, store, articles):
    backend.upsert(articles)
    for source in sorted({a.source_id for a in articles}):
        mine = [a for a in articles if a.source_id == source]
        store.replace_partition(source, mine[0].published_at.date(), mine)
    return [a.id for a in articles]


def settings(smtp_port: int, **changes) -> AlertsSettings:
    base = {"smtp": {"port": smtp_port, "sender": "MedRadar <alerts@medradar.test>"}, "retry_wait_seconds": 0,
            "attempts_per_run": 1, "backoff_minutes": 0, "trends": {"enabled": False}}  # fmt: skip
    return AlertsSettings.model_validate({**base, **changes})


def watch(name="deals", cadence="instant", emails=("bd@example.org",), hooks=(), **query):
    return Watch(
        name=name, query=SearchQuery(**(query or {"types": ["merger_acquisition"]})), emails=list(emails),
        webhooks=[Webhook(url=url, secret=SECRET) for url in hooks], cadence=cadence,
    )  # fmt: skip


def parts(message):
    return {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}


def test_a_deal_reported_by_five_outlets_in_two_languages_alerts_once_listing_every_source(world, tmp_path):
    backend, store, outbox = world
    with LocalMailServer(eml_dir=tmp_path / "mail") as mail, WebhookReceiver() as hook:
        backend.put_watch(watch(hooks=[hook.url]))
        ids = index(backend, store, [*FIVE, OTHER])
        report_ = run_alerts(backend, store, outbox, settings(mail.port), ids)
        assert (report_.matched, report_.new, report_.queued, report_.delivery.sent) == (1, 1, 2, 2)

        [message] = mail.messages
        assert message["To"] == "bd@example.org" and "Stryker" in message["Subject"]
        body = parts(message)
        assert set(body) == {"text/plain", "text/html"}
        for source in ("wire", "fierce", "dive", "36kr", "vcbeat"):
            assert source in body["text/plain"] and source in body["text/html"]
        assert "史赛克收购Inari" in body["text/plain"]  # the Chinese original beside the English title
        assert "merger_acquisition" in body["text/plain"] and "4,900,000,000 USD" in body["text/plain"]
        assert "Stryker (史赛克), Inari Medical" in body["text/plain"]
        assert "Acme" not in body["text/plain"]
        assert list((tmp_path / "mail").glob("*.eml"))

        [post] = hook.received
        assert hmac.compare_digest(post.headers[SIGNATURE_HEADER], signature(SECRET, post.body))
        payload = json.loads(post.body)
        assert payload["idempotency_key"] == post.headers["Idempotency-Key"]
        [item] = payload["items"]
        assert sorted({s["source_id"] for s in item["sources"]}) == ["36kr", "dive", "fierce", "vcbeat", "wire"]
        assert item["event_type"] == "merger_acquisition" and "Stryker" in payload["text"]

        # a re-run, and a later batch with one more report of the same deal, send nothing
        again = run_alerts(backend, store, outbox, settings(mail.port), ids)
        assert (again.new, again.queued, again.delivery.sent) == (0, 0, 0)
        late = report("a6", "medtech", "en", "Inari now part of Stryker", "Stryker acquired Inari Medical.", day(9))
        assert run_alerts(backend, store, outbox, settings(mail.port), index(backend, store, [late])).new == 0
        assert len(mail.messages) == 1 and len(hook.received) == 1


def test_smtp_down_then_up_loses_nothing_and_doubles_nothing(world):
    backend, store, outbox = world
    port = free_port()  # nothing listens there yet
    backend.put_watch(watch(emails=["a@example.org", "b@example.org"]))
    ids = index(backend, store, FIVE)
    down = run_alerts(backend, store, outbox, settings(port), ids)
    assert (down.queued, down.delivery.sent, down.delivery.retry_later) == (2, 0, 2)
    rows = outbox.rows()
    assert {r.status for r in rows} == {"pending"} and all("unreachable" in r.last_error for r in rows)
    assert run_alerts(backend, store, outbox, settings(port), ids).delivery.sent == 0  # still down
    with LocalMailServer(port=port) as mail:
        up = run_alerts(backend, store, outbox, settings(port), ids)
        assert (up.queued, up.delivery.sent) == (0, 2)
        assert run_alerts(backend, store, outbox, settings(port), ids).delivery.sent == 0
        assert sorted(m["To"] for m in mail.messages) == ["a@example.org", "b@example.org"]
    assert {r.status for r in outbox.rows()} == {"sent"}


def test_transient_failures_wait_for_their_backoff_between_runs(world):
    backend, store, outbox = world
    backend.put_watch(watch())
    ids = index(backend, store, FIVE)
    run_alerts(backend, store, outbox, settings(free_port(), backoff_minutes=30), ids)
    [row] = outbox.rows()
    assert row.status == "pending" and row.next_attempt_at > datetime.now(UTC) + timedelta(minutes=25)
    assert outbox.due(datetime.now(UTC)) == []
    assert outbox.retry(None, datetime.now(UTC)) == 1 and len(outbox.due(datetime.now(UTC))) == 1


def test_a_refused_address_is_recorded_and_not_retried(world):
    backend, store, outbox = world
    with LocalMailServer() as mail:
        backend.put_watch(watch(emails=["nobody@example.invalid", "bd@example.org"]))
        ids = index(backend, store, FIVE)
        first = run_alerts(backend, store, outbox, settings(mail.port), ids)
        assert (first.delivery.sent, first.delivery.failed) == (1, 1)
        [failed] = outbox.rows(("failed",))
        assert failed.recipient == "nobody@example.invalid" and "550" in failed.last_error
        assert run_alerts(backend, store, outbox, settings(mail.port), ids).delivery.failed == 0
        assert [m["To"] for m in mail.messages] == ["bd@example.org"]


def test_webhook_500_then_200_is_delivered_once_with_the_same_key(world):
    backend, store, outbox = world
    with LocalMailServer() as mail, WebhookReceiver([500, 200]) as hook:
        backend.put_watch(watch(emails=[], hooks=[hook.url]))
        ids = index(backend, store, FIVE)
        first = run_alerts(backend, store, outbox, settings(mail.port), ids)
        assert (first.delivery.sent, first.delivery.retry_later) == (0, 1)
        assert "HTTP 500" in outbox.rows()[0].last_error
        second = run_alerts(backend, store, outbox, settings(mail.port), ids)
        assert second.delivery.sent == 1
        assert run_alerts(backend, store, outbox, settings(mail.port), ids).delivery.sent == 0
    assert len(hook.received) == 2
    assert hook.received[0].body == hook.received[1].body
    assert hook.received[0].headers["Idempotency-Key"] == hook.received[1].headers["Idempotency-Key"]


def test_webhook_400_is_recorded_and_not_retried(world):
    backend, store, outbox = world
    with LocalMailServer() as mail, WebhookReceiver([400]) as hook:
        backend.put_watch(watch(emails=[], hooks=[hook.url]))
        ids = index(backend, store, FIVE)
        assert run_alerts(backend, store, outbox, settings(mail.port), ids).delivery.failed == 1
        assert run_alerts(backend, store, outbox, settings(mail.port), ids).delivery.failed == 0
    [row] = outbox.rows()
    assert row.status == "failed" and "HTTP 400" in row.last_error and row.attempts == 1
    assert len(hook.received) == 1


def test_a_crash_between_sending_and_recording_resends_once_with_the_same_message_id(world, monkeypatch):
    backend, store, outbox = world

    class Crash(BaseException):
        pass

    with LocalMailServer() as mail:
        backend.put_watch(watch())
        ids = index(backend, store, FIVE)
        options = settings(mail.port)
        run_alerts(backend, store, outbox, options.model_copy(update={"smtp": options.smtp.model_copy(update={"port": free_port()})}), ids)
        # the send succeeds, then the process dies before recording it
        with monkeypatch.context() as patch:
            patch.setattr(outbox, "mark_sent", lambda *args: (_ for _ in ()).throw(Crash()))
            with pytest.raises(Crash):
                deliver(outbox, options)
        assert outbox.rows()[0].status == "sending" and len(mail.messages) == 1
        assert deliver(outbox, options).sent == 0  # within its lease: another process may be sending it
        later = lambda: datetime.now(UTC) + timedelta(minutes=11)  # noqa: E731
        assert deliver(outbox, options, later).sent == 1
        assert deliver(outbox, options, later).sent == 0
        first, second = mail.messages
        assert first["Message-ID"] == second["Message-ID"]


def test_hostile_article_text_arrives_escaped(world):
    backend, store, outbox = world
    hostile = report(
        "h1", "evil", "en", "<script>alert('x')</script> Stryker to acquire Inari",
        'Stryker will acquire Inari <img src=x onerror=alert(1)> for $4.9 billion.', day(5),
        url="javascript:alert(document.cookie)",
    )  # fmt: skip
    with LocalMailServer() as mail, WebhookReceiver() as hook:
        backend.put_watch(watch(hooks=[hook.url]))
        run_alerts(backend, store, outbox, settings(mail.port), index(backend, store, [hostile]))
        html = parts(mail.messages[0])["text/html"]
        [post] = hook.received
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert "javascript:" not in html.split("</h3>")[0]  # shown as text in the sources, never linked
    assert 'href="javascript' not in html
    text = json.loads(post.body)["text"]
    assert "<script>" not in text and "&lt;script&gt;" in text and "<javascript:" not in text


def test_daily_watches_get_one_message_a_day_with_what_waited(world):
    backend, store, outbox = world
    with LocalMailServer() as mail:
        backend.put_watch(watch(name="daily deals", cadence="daily", types=["merger_acquisition", "funding"]))
        ids = index(backend, store, [*FIVE, OTHER])
        first = run_alerts(backend, store, outbox, settings(mail.port), ids)
        assert (first.new, first.queued, len(mail.messages)) == (2, 0, 0)
        daily = run_alerts(backend, store, outbox, settings(mail.port), [], daily=True, today=date(2025, 3, 9))
        assert (daily.queued, daily.delivery.sent) == (1, 1)
        assert run_alerts(backend, store, outbox, settings(mail.port), ids, daily=True).queued == 0
        [message] = mail.messages
        assert "2025-03-09" in message["Subject"]
        text = parts(message)["text/plain"]
        assert "Acme" in text and "Stryker" in text


def test_outbox_purge_keeps_the_claims(world):
    backend, store, outbox = world
    with LocalMailServer() as mail:
        backend.put_watch(watch())
        ids = index(backend, store, FIVE)
        run_alerts(backend, store, outbox, settings(mail.port), ids)
        assert outbox.purge(("sent",), timedelta(0), datetime.now(UTC) + timedelta(seconds=1)) == 1
        assert run_alerts(backend, store, outbox, settings(mail.port), ids).queued == 0
        assert len(mail.messages) == 1


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_every_backend_gives_the_same_items_one_per_event_cluster(request, tmp_path, backend_name):
    backend = open_test_backend(request, backend_name, tmp_path)
    with EventStore(tmp_path / "events.sqlite", window_days=90) as store:
        for one in [
            watch(name="deals"), watch(name="inari", text="Inari"), watch(name="acme", text="Acme"),
            watch(name="chinese", langs=["zh"]), watch(name="never", text="xylophone"),
            watch(name="stryker big", parties=["史赛克"], min_usd=1e9), watch(name="acme big", parties=["acme"], min_usd=1e9),
        ]:  # fmt: skip
            backend.put_watch(one)
        ids = index(backend, store, [*FIVE, OTHER])
        deal = next(e.id for e in store.events() if e.type == "merger_acquisition")
        funding = next(e.id for e in store.events() if e.type == "funding")
        alerts = match_new_articles(backend, store, ids)
    everyone = ["36kr", "dive", "fierce", "vcbeat", "wire"]
    assert [(a.watch, a.item.key, a.item.source_ids and sorted(a.item.source_ids)) for a in alerts] == [
        ("acme", f"event:{funding}", ["wire"]),
        ("chinese", f"event:{deal}", everyone),  # matched by its Chinese reports, listing them all
        ("deals", f"event:{deal}", everyone),
        ("inari", f"event:{deal}", everyone),
        ("stryker big", f"event:{deal}", everyone),
    ]


def test_trend_spikes_come_from_aggregations_and_alert_once_per_week(world):
    backend, store, outbox = world
    today = date(2025, 6, 30)
    quiet = [date(2025, 5, 1), date(2025, 5, 20)]
    burst = [today - timedelta(days=n % 6) for n in range(12)]  # 12 in the last week
    articles = [
        report(f"t{n}", "wire", "en", f"Hospital AI deal {n} with Acme", f"The hospital {n} and Acme launch an AI tool.",
               datetime.combine(when, datetime.min.time(), UTC).replace(hour=9 + n % 6),
               parties=[Party(id="acme", name="Acme"), Party(id=f"h{n}", name=f"Hospital {n}")], kind="ai", usd=None)
        for n, when in enumerate(quiet + burst)
    ]  # fmt: skip
    newco = report("n1", "wire", "en", "NewCo licenses a stent", "NewCo licensed a stent design.", datetime(2025, 6, 29, tzinfo=UTC),
                   parties=[Party(id="newco", name="NewCo")], kind="licensing", usd=None)  # fmt: skip
    index(backend, store, [*articles, newco])
    options = settings(free_port(), trends={"topics": {"hospitals": "hospital"}, "emails": ["trends@example.org"],
                                            "watched_parties": ["newco"]})  # fmt: skip
    found = {spike.key: spike for spike in current_trends(backend, store, options, today)}
    assert set(found) == {"party:acme:ai", "topic:hospitals:ai:en", "party:newco:licensing"}
    for key in ("party:acme:ai", "topic:hospitals:ai:en"):  # from SQL on the events; from the index's histogram
        assert (found[key].count, found[key].baseline_count) == (12, 2) and found[key].p_value < 1e-6
    assert found["party:newco:licensing"].first_seen and found["party:newco:licensing"].count == 1
    with LocalMailServer() as mail:
        options = options.model_copy(update={"smtp": options.smtp.model_copy(update={"port": mail.port})})
        first = run_alerts(backend, store, outbox, options, daily=True, today=today)
        again = run_alerts(backend, store, outbox, options, daily=True, today=today + timedelta(days=1))
        assert (first.delivery.sent, again.queued) == (1, 0)  # the same ISO week: not again
        [message] = mail.messages
    text = parts(message)["text/plain"]
    assert "trend" in message["Subject"] and "hospitals · ai · en: 12" in text and "first time seen" in text


def test_partitions_wait_while_the_cluster_is_unreachable_then_alert(world, tmp_path):
    from pipeline.alerts import evaluate_partitions
    from search.backend import ClusterOptions, open_backend
    from search.engines import ClusterUnavailable

    sqlite_backend, store, outbox = world
    assets = tmp_path / "assets"
    for article in FIVE:
        path = partition_file(assets, "enriched_articles", article.source_id, article.published_at.date().isoformat())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(TypeAdapter(list[EnrichedArticle]).dump_json([article])))
    partitions = [(a.source_id, a.published_at.date().isoformat()) for a in FIVE]
    options = ClusterOptions(urls=(f"http://127.0.0.1:{free_port()}",), spool_dir=tmp_path / "spool", retries=0, timeout=2)
    with LocalMailServer() as mail:
        with open_backend("elasticsearch", sqlite_path=tmp_path / "unused", cluster=options) as down:
            with pytest.raises(ClusterUnavailable):
                evaluate_partitions(down, store, outbox, settings(mail.port), assets, partitions[:2])
        assert outbox.deferred() == sorted(partitions[:2])
        sqlite_backend.put_watch(watch())
        index(sqlite_backend, store, FIVE)
        report_ = evaluate_partitions(sqlite_backend, store, outbox, settings(mail.port), assets, [])
        assert (report_.new, report_.delivery.sent, outbox.deferred()) == (1, 1, [])
        assert len(mail.messages) == 1


def test_a_watch_without_channels_claims_nothing_until_it_has_one(world):
    backend, store, outbox = world
    with LocalMailServer() as mail:
        backend.put_watch(watch(emails=[]))  # saved from the desk: a search, no channel yet
        ids = index(backend, store, FIVE)
        assert run_alerts(backend, store, outbox, settings(mail.port), ids).new == 0
        with WebhookReceiver() as hook:
            backend.put_watch(watch(hooks=[hook.url]))
            assert run_alerts(backend, store, outbox, settings(mail.port), ids).delivery.sent == 2
    [shown] = backend.watches()  # stored with its secret, never shown with it
    assert shown.webhooks[0].secret.get_secret_value() == SECRET and SECRET not in shown.model_dump_json()
