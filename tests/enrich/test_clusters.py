from datetime import UTC, datetime, timedelta

from enrich.clusters import ReportedMention, cluster_events
from enrich.schema import Amount, EventMention, Party

STRYKER = Party(id="stryker", name="Stryker", name_zh="史赛克", role="acquirer")
INARI = Party(id="inari-medical", name="Inari Medical", role="target")
FDA = Party(id="fda", name="U.S. Food and Drug Administration", role="regulator")
JAN_6 = datetime(2025, 1, 6, 13, 30, tzinfo=UTC)


def report(article_id, source, lang, when, parties, status="announced", event_type="merger_acquisition",
           amount=None, evidence="x"):
    mention = EventMention(type=event_type, score=0.8, evidence=[evidence], status=status, parties=parties,
                           amount=amount)
    return ReportedMention(article_id, source, lang, when, mention)


def test_the_same_deal_across_outlets_and_languages_is_one_event():
    reports = [
        report("a1", "medtech-wire", "en", JAN_6, [STRYKER, INARI],
               amount=Amount(value=4.9e9, currency="USD", usd=4.9e9), evidence="Stryker to acquire Inari"),
        report("a2", "yixie-guancha", "zh", JAN_6 + timedelta(days=45), [STRYKER, INARI], status="completed",
               evidence="史赛克完成对Inari Medical的收购"),
        report("a3", "other-wire", "en", JAN_6 + timedelta(days=1), [STRYKER, INARI]),
    ]
    [event] = cluster_events(reports, window_days=90)
    assert event.type == "merger_acquisition"
    assert event.status == "completed"  # the furthest a report says it got
    assert [(p.id, p.role) for p in event.parties] == [("stryker", "acquirer"), ("inari-medical", "target")]
    assert event.amount.value == 4.9e9
    assert event.date == JAN_6 and event.last_reported == JAN_6 + timedelta(days=45)
    assert event.article_ids == ["a1", "a3", "a2"]
    assert event.sources == ["medtech-wire", "other-wire", "yixie-guancha"]
    assert event.languages == ["en", "zh"]
    assert [e.sentence for e in event.evidence][0] == "Stryker to acquire Inari"


def test_the_event_id_is_stable_whatever_the_order_and_when_later_reports_join():
    first = report("a1", "s1", "en", JAN_6, [STRYKER, INARI])
    later = report("a2", "s2", "zh", JAN_6 + timedelta(days=10), [STRYKER, INARI])
    [alone] = cluster_events([first], 90)
    [joined] = cluster_events([later, first], 90)
    assert alone.id == joined.id and len(alone.id) == 16
    [other_type] = cluster_events([report("a1", "s1", "en", JAN_6, [STRYKER, INARI], event_type="partnership")], 90)
    assert other_type.id != alone.id


def test_reports_further_apart_than_the_window_are_different_events():
    events = cluster_events(
        [report("a1", "s", "en", JAN_6, [STRYKER, INARI]),
         report("a2", "s", "en", JAN_6 + timedelta(days=200), [STRYKER, INARI])],
        window_days=90,
    )
    assert [e.article_ids for e in events] == [["a1"], ["a2"]]


def test_a_report_naming_fewer_parties_joins_only_with_two_or_more_in_common():
    adviser = Party(id="goldman-sachs", name="Goldman Sachs")
    mayo = Party(id="mayo-clinic", name="Mayo Clinic", role="partner")
    nvidia = Party(id="nvidia", name="NVIDIA", role="partner")
    google = Party(id="google", name="Google", role="partner")
    events = cluster_events(
        [
            report("a1", "s", "en", JAN_6, [STRYKER, INARI, adviser]),
            report("a2", "s", "zh", JAN_6, [STRYKER, INARI]),
            report("b1", "s", "en", JAN_6, [mayo, nvidia], event_type="partnership"),
            report("b2", "s", "en", JAN_6, [mayo, google], event_type="partnership"),
            report("b3", "s", "en", JAN_6, [mayo], event_type="partnership"),
        ],
        window_days=90,
    )
    assert sorted(sorted(e.article_ids) for e in events) == [["a1", "a2"], ["b1"], ["b2"], ["b3"]]


def test_regulators_do_not_make_two_approvals_one_event():
    medtronic = Party(id="medtronic", name="Medtronic")
    abbott = Party(id="abbott", name="Abbott")
    events = cluster_events(
        [report("a1", "s", "en", JAN_6, [medtronic, FDA], event_type="regulatory"),
         report("a2", "s", "en", JAN_6, [abbott, FDA], event_type="regulatory"),
         report("a3", "t", "zh", JAN_6, [medtronic], event_type="regulatory")],
        window_days=90,
    )
    assert sorted(sorted(e.article_ids) for e in events) == [["a1", "a3"], ["a2"]]


def test_a_report_naming_no_organisation_is_an_event_of_its_own():
    events = cluster_events([report("a1", "s", "en", JAN_6, []), report("a2", "s", "en", JAN_6, [])], 90)
    assert len(events) == 2 and events[0].id != events[1].id
    assert cluster_events([report("a1", "s", "en", None, [])], 90)[0].date is None


PUMCH = Party(id="pumch", name="Peking Union Medical College Hospital", name_zh="北京协和医院")


def test_one_organisations_announcements_a_month_apart_are_different_events():
    launches = [
        report("a1", "s1", "zh", JAN_6, [PUMCH], event_type="ai"),
        report("a2", "s2", "en", JAN_6 + timedelta(days=3), [PUMCH], event_type="ai"),  # the same launch
        report("a3", "s1", "zh", JAN_6 + timedelta(days=40), [PUMCH], event_type="ai"),  # another one
    ]
    events = cluster_events(launches, window_days=90, single_party_window_days=14)
    assert [e.article_ids for e in events] == [["a1", "a2"], ["a3"]]


def test_reports_with_amounts_far_apart_are_different_deals():
    def deal(article_id, usd, days):
        return report(article_id, "s", "en", JAN_6 + timedelta(days=days), [STRYKER, INARI],
                      amount=Amount(value=usd, currency="USD", usd=usd))

    events = cluster_events([deal("a1", 4.9e9, 0), deal("a2", 4.85e9, 2), deal("a3", 80e6, 30)], window_days=90)
    assert sorted(e.article_ids for e in events) == [["a1", "a2"], ["a3"]]
