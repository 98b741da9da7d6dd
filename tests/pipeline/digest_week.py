"""A fixture week for the digest tests (and bench/digest.py): 2025-W10 (3–9 March 2025) and
the weeks before it, indexed in the embedded index and stored in a real event store.

In 2025-W10: a $4.9B acquisition reported in English and Chinese (the top deal); a $20M
round syndicated to three outlets (one article, three sources); a Chinese partnership,
translated; a Chinese story waiting for its translation; an item of hostile scraped text.
Before it: three funding rounds in W09, one AI launch in W05.
"""

from __future__ import annotations

from datetime import UTC, datetime

from enrich.schema import Amount, EnrichedArticle, EventMention, Party, SourceRef, Translation
from pipeline.eventstore import EventStore
from search.backend import SearchBackend

WEEK = "2025-W10"
STRYKER = Party(id="stryker", name="Stryker", name_zh="史赛克", role="acquirer")
INARI = Party(id="inari-medical", name="Inari Medical", role="target")
ACME = Party(id="acme", name="Acme Robotics", role="target")
UNITED = Party(id="united-imaging", name="United Imaging", name_zh="联影医疗", role="partner")
MAYO = Party(id="mayo-clinic", name="Mayo Clinic", name_zh="梅奥诊所", role="partner")
HOSTILE_TITLE = "<script>document.title='pwned'</script>Evil <img src=x onerror=alert(1)> deal"
HOSTILE_PARTY = "Evil<b>Corp</b>"


def at(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def article(
    id_: str, source: str, lang: str, title: str, text: str, when: datetime, kind: str, parties: list[Party],
    usd: float | None = None, url: str | None = None, **more,
) -> EnrichedArticle:
    amount = Amount(value=usd, currency="USD", usd=usd) if usd else None
    return EnrichedArticle(
        id=id_, source_id=source, url=url or f"https://{source}.example/{id_}", canonical_url=f"https://{source}.example/{id_}",
        title=title, text=text, lang=lang, published_at=when, fetched_at=when,
        events=[EventMention(type=kind, score=0.9, evidence=[text.split("\n")[0]], parties=parties, amount=amount)],
        **more,
    )  # fmt: skip


def zh_translated(title_en: str) -> dict:
    return {"title_en": title_en, "translation": Translation(status="done", model="opus-mt-zh-en")}


ARTICLES = [
    article("s1", "wire", "en", "Stryker to acquire Inari Medical for $4.9 billion",
            "Stryker agreed to acquire Inari Medical for $4.9 billion.", at(4), "merger_acquisition", [STRYKER, INARI], 4.9e9),
    article("s2", "36kr", "zh", "史赛克49亿美元收购Inari Medical", "史赛克宣布以49亿美元收购Inari Medical。", at(5, 3),
            "merger_acquisition", [STRYKER, INARI], 4.9e9, **zh_translated("Stryker acquires Inari Medical for $4.9 billion")),
    article("a1", "wire", "en", "Acme Robotics raises $20M series B", "Acme Robotics raised $20 million in a series B round.",
            at(6), "funding", [ACME], 2e7, reported_by=[
                SourceRef(source_id="wire", url="https://wire.example/a1", published_at=at(6)),
                SourceRef(source_id="fierce", url="https://fierce.example/acme-20m", published_at=at(6, 11)),
                SourceRef(source_id="dive", url="https://dive.example/acme", published_at=at(7)),
            ]),
    article("u1", "vcbeat", "zh", "联影医疗与梅奥诊所合作开发影像人工智能", "联影医疗与梅奥诊所宣布合作，共同开发影像人工智能。",
            at(7, 2), "partnership", [UNITED, MAYO], 2.5e7,
            **zh_translated("United Imaging partners with Mayo Clinic on imaging AI")),
    article("p1", "36kr", "zh", "微创机器人完成新一轮融资", "微创机器人宣布完成新一轮融资。", at(8, 1), "funding",
            [Party(id="microport-robotics", name="MicroPort Robotics", name_zh="微创机器人")],
            translation=Translation(status="pending", model="opus-mt-zh-en", error="model not loaded")),
    article("h1", "evil", "en", HOSTILE_TITLE, "Evil <img src=x onerror=alert(1)> signed a <b>licensing</b> deal.",
            at(8), "licensing", [Party(id="candidate:evil", name=HOSTILE_PARTY, known=False)],
            url="javascript:alert(document.domain)"),
    # the weeks before
    *[article(f"f{n}", "wire", "en", f"Startup {n} raises $5M", f"Startup {n} raised $5 million.", at(24 + n, month=2),
              "funding", [Party(id=f"startup-{n}", name=f"Startup {n}")], 5e6) for n in range(3)],
    article("o1", "dive", "en", "Philips launches radiology AI", "Philips launched an AI assistant for radiology.",
            at(30, month=1), "ai", [Party(id="philips", name="Philips")]),
]  # fmt: skip


def load_week(backend: SearchBackend, store: EventStore, articles: list[EnrichedArticle] = ARTICLES) -> None:
    """Index the articles and store their events, one (source, day) partition at a time."""
    backend.upsert(articles)
    partitions: dict[tuple[str, object], list[EnrichedArticle]] = {}
    for one in articles:
        partitions.setdefault((one.source_id, one.published_at.date()), []).append(one)
    for (source, day), mine in sorted(partitions.items()):
        store.replace_partition(source, day, mine)
