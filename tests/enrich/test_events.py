import pytest

from enrich.events import TriggerIndex, TriggerSet, anchors, load_event_types
from enrich.rules import RuleClassifier, Sentences
from enrich.sentences import sentence_spans, split_sentences
from enrich.status import StatusDetector

classifier = RuleClassifier()
status = StatusDetector()


def labels(title: str, text: str) -> list[str]:
    return sorted(result.type for result in classifier.decide(title, text))


def test_six_event_types_defined_once_in_both_languages():
    types = load_event_types()
    assert set(types) == {"partnership", "ai", "merger_acquisition", "funding", "licensing", "regulatory"}
    for event_type in types.values():
        assert event_type.description_en and event_type.hypothesis_en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in event_type.description_zh + event_type.hypothesis_zh)
        assert event_type.triggers.search("x") is False
    assert [name for name, t in types.items() if t.deal] == ["partnership", "merger_acquisition", "funding", "licensing"]


def test_a_headline_trigger_labels_the_article_with_its_evidence():
    [result] = classifier.decide(
        "Stryker to acquire Inari Medical in $4.9 billion deal",
        "The companies expect to close in the first quarter. Analysts welcomed it.",
    )
    assert result.type == "merger_acquisition"
    assert result.evidence == ["Stryker to acquire Inari Medical in $4.9 billion deal"]
    assert result.decided and result.score >= RuleClassifier.DECISION


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        ("史赛克完成对Inari的收购", "史赛克宣布完成并购。", ["merger_acquisition"]),
        ("梅奥诊所宣布六项跨界合作", "双方将共建联合实验室。", ["partnership"]),
        ("北京天坛医院发布神经系统疾病大模型", "该模型可辅助医生诊断。", ["ai"]),
        ("杭州某医疗完成3亿元B轮融资", "本轮由启明创投领投。", ["funding"]),
        ("恒瑞医药将海外权益授权给美国公司", "对方将支付首付款。", ["licensing"]),
        ("精锋医疗手术机器人获批上市", "产品获得国家药品监督管理局批准。", ["regulatory"]),
        ("Acme Robotics raises $45 million Series B", "The round was led by OrbiMed.", ["funding"]),
        ("Harvard licenses organ-on-chip technology to startup", "Under an exclusive worldwide license agreement.", ["licensing"]),
        ("FDA clears AI software that reads chest X-rays", "The algorithm flags pneumothorax.", ["ai", "regulatory"]),
    ],
)
def test_triggers_in_both_languages(title, text, expected):
    assert labels(title, text) == expected


def test_a_passing_mention_is_not_an_event():
    text = (
        "The hospital opened a 48-bed cardiac wing on Monday. Doctors welcomed it. Nurses too. "
        "It was acquired by a regional health system in 2019."
    )
    assert labels("Hospital opens new cardiac wing", text) == []


def test_weak_words_alone_report_nothing():
    # "AI" in a company's name and "deal" are weak: no strong trigger, no event.
    assert labels("Tempus AI shares rise", "Tempus AI said its AI deal pipeline grew.") == []
    assert labels("Hospital deploys AI triage", "The AI tool went live.") == ["ai"]


def test_a_trigger_far_down_the_body_counts_less_than_in_the_lead():
    filler = " ".join(f"Sentence {i} is about something else." for i in range(6))
    lead = classifier.score(Sentences.of("Quarterly update", "X and Y formed a joint venture. " + filler))
    late = classifier.score(Sentences.of("Quarterly update", filler + " X and Y formed a joint venture."))
    assert lead["partnership"].score > late["partnership"].score
    assert late["partnership"].score < RuleClassifier.DECISION


def test_strong_sentences_come_first_in_the_evidence():
    text = "The partnership covers imaging. Acme and Beta signed a research agreement. Nothing else."
    [result] = classifier.decide("Acme partners with Beta", text)
    assert result.evidence == [
        "Acme partners with Beta", "Acme and Beta signed a research agreement.", "The partnership covers imaging.",
    ]


@pytest.mark.parametrize(
    ("event_type", "sentences", "expected"),
    [
        ("merger_acquisition", ["Stryker to acquire Inari Medical"], "announced"),
        ("merger_acquisition", ["史赛克完成对Inari Medical的收购"], "completed"),
        ("merger_acquisition", ["迈瑞医疗拟66.5亿元收购惠泰医疗控股权"], "planned"),
        ("merger_acquisition", ["Kestrel is in advanced talks to acquire Pinewood, people familiar said"], "rumoured"),
        ("merger_acquisition", ["传闻某药企洽谈收购"], "rumoured"),
        ("merger_acquisition", ["Lumina and Orbis call off their merger"], "terminated"),
        ("merger_acquisition", ["华康医疗终止收购瑞达生物"], "terminated"),
        ("merger_acquisition", ["X plans to complete the acquisition next year"], "planned"),
        ("funding", ["Acme raises $45 million"], "completed"),
        ("regulatory", ["Abbott receives FDA clearance for Lingo"], "completed"),
        ("regulatory", ["Abbott receives FDA clearance"], "completed"),
        ("ai", ["Cleveland Clinic has rolled out a generative AI tool"], "completed"),
        ("ai", ["Google releases MedGemma"], "announced"),
        # the headline decides before the body
        ("merger_acquisition", ["Stryker completes Inari deal", "It had planned to buy it since 2024."], "completed"),
    ],
)
def test_status(event_type, sentences, expected):
    assert status.detect(event_type, sentences) == expected


def test_trigger_sets_reject_malformed_entries_with_where():
    with pytest.raises(ValueError, match="somewhere: invalid regex"):
        TriggerSet(["(unclosed"], "somewhere")
    with pytest.raises(ValueError, match="somewhere: expected a regex"):
        TriggerSet([42], "somewhere")


def test_the_trigger_index_maps_matches_to_sentences():
    types = load_event_types()
    index = TriggerIndex([types["merger_acquisition"].triggers, types["funding"].triggers])
    text = "Nothing here. X acquires the firm. Still nothing. Z merges. Acme raised $5 million."
    assert index.hits(text, sentence_spans(text)) == [{1, 3}, {4}]


def test_the_trigger_index_finds_exactly_what_every_regex_on_every_sentence_finds():
    """The anchors only skip sentences that cannot match: same hits as the brute force."""
    import json

    from tests.support import REPO_ROOT

    types = load_event_types()
    sets = [t.triggers for t in types.values()] + [t.weak for t in types.values()]
    index = TriggerIndex(sets)
    leads = [json.loads(line) for line in (REPO_ROOT / "bench/data/leads.jsonl").read_text().splitlines()]
    text = "\n".join(f"{lead['title']}\n{lead['text']}" for lead in leads) + "\nİstanbul Series A. 收购"
    spans = sentence_spans(text)
    brute = [{i for i, (a, b) in enumerate(spans) if s.search(text[a:b])} for s in sets]
    assert index.hits(text, spans) == brute
    assert sum(map(len, brute)) > 300


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bacquir(e|es|ed)\b", {"acquir"}),
        (r"(签署|签订)[^。]{0,15}协议", {"协议"}),  # one anchor beats two as short
        (r"(?-i:\bAI\b)|artificial intelligence", {"ai", "artificial intelligence"}),
        (r"\bpartner(s|ed)? (with|up)\b", {"partner"}),
        (r"\d+ (round|funding)", {"round", "funding"}),
        (r"(x)?\d+", None),
    ],
)
def test_anchors_are_literals_every_match_contains(pattern, expected):
    assert anchors(pattern) == (frozenset(expected) if expected else None)


def test_sentences_split_in_both_languages():
    assert split_sentences('他说：“合作签约。”双方将共建实验室！He said "yes!" Then left.') == [
        "他说：“合作签约。”", "双方将共建实验室！", 'He said "yes!"', "Then left.",
    ]
    assert split_sentences("合作签约。双方将共建实验室！Mayo said so. It is big.\nNext line") == [
        "合作签约。", "双方将共建实验室！", "Mayo said so.", "It is big.", "Next line",
    ]
    assert split_sentences("Valued at $4.9 billion. U.S. approval followed.") == [
        "Valued at $4.9 billion.", "U.S. approval followed.",
    ]
    text = "  First one.  Second one."
    assert [text[a:b] for a, b in sentence_spans(text)] == ["First one.", "Second one."]
