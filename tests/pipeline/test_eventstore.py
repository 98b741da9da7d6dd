from datetime import UTC, date, datetime

from enrich.amounts import FxRates
from enrich.analyser import AnalyserConfig, build_analyser
from enrich.schema import Article
from pipeline.eventstore import Coverage, EventStore, coverage_verdict

ANALYSER = build_analyser(AnalyserConfig(fx=FxRates.of({"USD": 1.0, "CNY": 0.14})))
DAY = date(2025, 2, 20)


def article(article_id: str, source: str, lang: str, title: str, text: str, published: datetime) -> Article:
    return Article(
        id=article_id, source_id=source, url=f"http://x/{article_id}", canonical_url=f"http://x/{article_id}",
        title=title, text=text, lang=lang, published_at=published, fetched_at=published,
    )


EN = article("en1", "wire", "en", "Stryker to acquire Inari Medical in $4.9 billion deal",
             "Stryker has agreed to acquire Inari Medical for $80 per share.", datetime(2025, 1, 6, tzinfo=UTC))
ZH = article("zh1", "guancha", "zh", "史赛克完成对Inari Medical的收购",
             "史赛克宣布，已完成对外周血管介入企业Inari Medical的收购，交易总价值约49亿美元。",
             datetime(2025, 2, 20, 2, tzinfo=UTC))
STARTUP = article("zh2", "guancha", "zh", "杭州澄心医疗科技有限公司完成3亿元B轮融资",
                  "本轮由启明创投领投。", datetime(2025, 2, 20, 3, tzinfo=UTC))
CLINIC = article("zh3", "guancha", "zh", "滨江市第一人民医院开设夜间门诊", "医院自本月起开设夜间门诊。",
                 datetime(2025, 2, 20, 4, tzinfo=UTC))


def test_one_event_across_partitions_and_languages_and_reruns_change_nothing(tmp_path):
    with EventStore(tmp_path / "events.sqlite", window_days=90) as store:
        first = store.replace_partition("wire", date(2025, 1, 6), ANALYSER.enrich([EN]))
        assert (len(first.events), first.new, first.total) == (1, 1, 1)
        second = store.replace_partition("guancha", DAY, ANALYSER.enrich([ZH, STARTUP, CLINIC]))
        assert second.total == 2 and second.new == 1
        deal = next(e for e in second.events if e.type == "merger_acquisition")
        assert deal.id == first.events[0].id
        assert (deal.article_ids, deal.languages, deal.status) == (["en1", "zh1"], ["en", "zh"], "completed")
        assert [(p.name, p.role) for p in deal.parties] == [("Stryker", "acquirer"), ("Inari Medical", "target")]
        before = [e.model_dump() for e in store.events()]
        again = store.replace_partition("guancha", DAY, ANALYSER.enrich([ZH, STARTUP, CLINIC]))
        assert again.new == 0 and [e.model_dump() for e in store.events()] == before
        assert store.candidates() == [("杭州澄心医疗科技有限公司", 1)]
        assert store.coverage("guancha") == [Coverage(DAY, 3, 2)]


def test_a_partition_rerun_without_an_article_drops_it_from_its_event(tmp_path):
    with EventStore(tmp_path / "events.sqlite", window_days=90) as store:
        store.replace_partition("wire", date(2025, 1, 6), ANALYSER.enrich([EN]))
        store.replace_partition("guancha", DAY, ANALYSER.enrich([ZH]))
        store.replace_partition("guancha", DAY, ANALYSER.enrich([CLINIC]))
        [deal] = store.events()
        assert deal.article_ids == ["en1"] and deal.status == "announced"
        store.delete_sources(["wire"])
        assert store.events() == [] and store.coverage("wire") == []


def test_events_come_most_reported_first_and_an_article_finds_its_own(tmp_path):
    with EventStore(tmp_path / "events.sqlite", window_days=90) as store:
        store.replace_partition("wire", date(2025, 1, 6), ANALYSER.enrich([EN]))
        store.replace_partition("guancha", DAY, ANALYSER.enrich([ZH, STARTUP]))
        events = store.events()
        assert [(e.type, len(e.article_ids)) for e in events] == [("merger_acquisition", 2), ("funding", 1)]
        assert store.events(limit=1) == events[:1] and store.events("funding") == events[1:]
        assert store.events_of("en1") == store.events_of("zh1") == events[:1]
        assert store.events_of("zh2") == events[1:] and store.events_of("missing") == []


def test_the_coverage_check_fails_on_a_sudden_drop_only():
    history = [Coverage(date(2025, 2, d), 10, 6) for d in range(1, 8)]
    drop = coverage_verdict([*history, Coverage(date(2025, 2, 8), 10, 1)], date(2025, 2, 8), drop=0.5)
    assert not drop.passed and drop.metadata["baseline_share"] == 0.6 and drop.metadata["share"] == 0.1
    normal = coverage_verdict([*history, Coverage(date(2025, 2, 8), 10, 4)], date(2025, 2, 8), drop=0.5)
    assert normal.passed
    new_source = coverage_verdict([Coverage(date(2025, 2, 8), 10, 0)], date(2025, 2, 8), drop=0.5)
    assert new_source.passed and "too little history" in new_source.metadata["note"]
    few_articles = coverage_verdict([*history, Coverage(date(2025, 2, 8), 2, 0)], date(2025, 2, 8), drop=0.5)
    assert few_articles.passed
    # only days before the checked one make the baseline, and at most the last seven
    later = [Coverage(date(2025, 3, 1), 10, 0)]
    assert coverage_verdict([*history, Coverage(date(2025, 2, 8), 10, 4), *later], date(2025, 2, 8), 0.5).passed
