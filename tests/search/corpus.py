"""The contract suite's corpus: the same articles for every backend, and a plain-Python oracle
of what filters, facets, histograms and date order must give on it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from enrich.schema import Amount, EnrichedArticle, EventMention, Party
from search.documents import sort_date

FETCHED = datetime(2025, 4, 20, tzinfo=UTC)


def article(
    id_: str, title: str, text: str, lang: str, labels=(), source: str = "s1", published: datetime | None = None
) -> EnrichedArticle:
    return EnrichedArticle(
        id=id_, source_id=source, url=f"http://127.0.0.1/{source}/{id_}", canonical_url=f"http://127.0.0.1/{source}/{id_}",
        title=title, text=text, lang=lang, published_at=published, fetched_at=FETCHED,
        events=[EventMention(type=label, score=2.0, evidence=[title], layers=["rules"]) for label in labels],
    )  # fmt: skip


def deal(article_: EnrichedArticle, parties: list[Party], status: str = "announced", usd: float | None = None):
    """The article with parties, a status and an amount on each of its events."""
    amount = Amount(value=usd, currency="USD", usd=usd) if usd is not None else None
    events = [event.model_copy(update={"parties": parties, "status": status, "amount": amount}) for event in article_.events]
    return article_.model_copy(update={"events": events})


STRYKER = Party(id="stryker", name="Stryker", name_zh="史赛克", role="acquirer")
INARI = Party(id="inari-medical", name="Inari Medical", role="target")
MAYO = Party(id="mayo-clinic", name="Mayo Clinic", name_zh="梅奥诊所", role="partner")
MEDTRONIC = Party(id="medtronic", name="Medtronic", name_zh="美敦力", role="acquirer")


def day(month: int, day_: int, hour: int = 8, year: int = 2025) -> datetime:
    return datetime(year, month, day_, hour, tzinfo=UTC)


WRITTEN = [
    deal(article("c01", "梅奥诊所宣布与多家企业达成战略合作伙伴关系", "双方将在人工智能影像领域开展合作。", "zh",
                 ["partnership"], "cn-news", day(3, 10)), [MAYO]),
    deal(article("c02", "史赛克完成对Inari的收购", "此次并购交易总价值约49亿美元。", "zh", ["merger_acquisition"],
                 "cn-news", day(3, 12)), [STRYKER, INARI], "completed", 4.9e9),
    deal(article("c03", "Stryker to acquire Inari Medical", "Stryker agreed to acquire Inari for $4.9 billion.", "en",
                 ["merger_acquisition"], "us-wire", day(3, 5)), [STRYKER, INARI], "announced", 4.9e9),
    deal(article("c04", "Mayo Clinic partners with AI startups", "Mayo Clinic signed partnerships with three companies.",
                 "en", ["partnership", "ai"], "us-wire", day(3, 20)), [MAYO], "completed"),
    article("c05", "Hospital opens a night clinic", "The clinic opens on weekdays from 6pm.", "en", [], "us-wire",
            day(3, 25)),
    article("c06", "北京协和医院发布医疗大模型", "北京协和医院今日发布了自主研发的医疗大模型，用于辅助诊断。", "zh", ["ai"],
            "cn-tech", day(4, 2)),
    # the same instant as c06: the id decides the order
    deal(article("c07", "联影智能完成新一轮融资", "本轮融资由多家机构参与，资金将用于人工智能研发。", "zh", ["funding"],
                 "cn-tech", day(4, 2)), [], "completed", 1.4e8),
    article("c08", "Siemens Healthineers licenses imaging software",
            "The licence covers AI-assisted imaging in Europe.", "en", ["licensing"], "eu-med", day(2, 14)),
    article("c09", "FDA clears a new surgical robot",
            "The clearance lets hospitals use the robot for knee surgery.", "en", ["regulatory"], "eu-med", day(1, 30)),
    article("c10", "医院与高校合作建设联合实验室", "双方将联合开展手术机器人研究。", "zh", ["partnership"], "cn-news",
            day(12, 28, year=2024)),
    # undated: it sorts and filters by when it was fetched
    article("c11", "Weekly roundup of medtech news", "Acquisitions, partnerships and approvals this week.", "en", [],
            "us-wire", None),
    deal(article("c12", "美敦力拟收购一家中国医疗器械企业", "交易金额尚未披露。", "zh", ["merger_acquisition"],
                 "cn-news", day(3, 12)), [MEDTRONIC], "planned"),
    article("c13", "军民联合作战医疗保障演练", "演练检验了战地救护能力。", "zh", [], "cn-tech", day(4, 5)),
    # possessives, abbreviations and numbers: words the clusters' tokenizer would keep joined
    article("c14", "Medtronic’s board backs the U.S. order", "Medtronic's shares rose 3.5% on a 1,000-unit order.",
            "en", [], "eu-med", day(2, 3)),
    # Latin words inside a Chinese body: found as words, never as a phrase across the Chinese
    article("c15", "手术机器人获批上市", "Hugo系统获得FDA批准，Intuitive Surgical表示欢迎。", "zh", [],
            "cn-tech", day(4, 8)),
]  # fmt: skip

_LABEL_CYCLE = [[], ["funding"], ["regulatory"], ["partnership"], ["ai", "licensing"]]
_SOURCES = [("us-wire", "en"), ("eu-med", "en"), ("cn-news", "zh")]


def _generated(number: int) -> EnrichedArticle:
    source, lang = _SOURCES[number % 3]
    when = datetime(2025, 1, 1, 6, tzinfo=UTC) + timedelta(days=3 * number, hours=number % 5)
    if lang == "zh":
        title, text = f"医疗器械公司{number}号发布季度报告", f"报告显示第{number}季度营收稳定增长。"
    else:
        title, text = f"Device maker {number} reports quarterly results", f"Revenue rose in quarter {number}."
    return article(f"g{number:02d}", title, text, lang, _LABEL_CYCLE[number % 5], source, when)


CORPUS = WRITTEN + [_generated(number) for number in range(30)]
BY_ID = {a.id: a for a in CORPUS}


# -- the oracle --------------------------------------------------------------------------------


def select(types=(), langs=(), sources=(), since: datetime | None = None, until: datetime | None = None) -> list[str]:
    """Ids of the articles passing the filters, newest first (ties: by id)."""
    chosen = [
        a for a in CORPUS
        if (not types or set(types) & set(a.labels))
        and (not langs or a.lang in langs)
        and (not sources or a.source_id in sources)
        and (since is None or sort_date(a) >= since)
        and (until is None or sort_date(a) < until)
    ]  # fmt: skip
    return [a.id for a in sorted(chosen, key=lambda a: (-sort_date(a).timestamp(), a.id))]


def facet_counts(ids: list[str], facet: str, size: int = 10) -> list[tuple[str, int]]:
    values = {
        "types": lambda a: a.labels,
        "langs": lambda a: [a.lang],
        "sources": lambda a: [a.source_id],
    }[facet]
    counts = Counter(value for doc_id in ids for value in values(BY_ID[doc_id]))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:size]


def histogram(ids: list[str], interval: str) -> list[tuple[date, int]]:
    def start(moment: datetime) -> date:
        day_ = moment.date()
        return {
            "day": day_,
            "week": day_ - timedelta(days=day_.weekday()),
            "month": day_.replace(day=1),
            "year": day_.replace(month=1, day=1),
        }[interval]

    return sorted(Counter(start(sort_date(BY_ID[doc_id])) for doc_id in ids).items())
