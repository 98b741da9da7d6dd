from enrich.events import RuleClassifier, load_event_types
from enrich.sentences import split_sentences

classifier = RuleClassifier()


def labels(title: str, text: str) -> list[str]:
    return sorted(m.type for m in classifier.classify(title, text))


def test_event_types_have_both_languages():
    types = load_event_types()
    assert set(types) == {"partnership", "ai", "merger_acquisition"}
    for event_type in types.values():
        assert event_type.description_en and event_type.description_zh
        assert any("\u4e00" <= ch <= "\u9fff" for t in event_type.triggers for ch in t)


def test_headline_trigger_labels_the_article_with_its_evidence():
    [mention] = classifier.classify(
        "Stryker to acquire Inari Medical in $4.9 billion deal",
        "The deal values Inari at $4.9 billion. Closing is expected in the first quarter.",
    )
    assert mention.type == "merger_acquisition"
    assert mention.evidence == ["Stryker to acquire Inari Medical in $4.9 billion deal"]
    assert mention.layers == ["rules"]


def test_chinese_triggers():
    assert labels("史赛克完成对Inari的收购", "史赛克宣布完成并购。") == ["merger_acquisition"]
    assert labels("梅奥诊所宣布六项跨界合作", "双方将共建联合实验室。") == ["partnership"]
    assert labels("北京协和医院发布罕见病大模型", "该模型可辅助医生诊断。") == ["ai"]


def test_a_passing_mention_is_not_an_event():
    text = "The hospital opened a night clinic. It was previously acquired by a health system in 2019."
    assert labels("Hospital opens night clinic", text) == []


def test_repeated_body_mentions_are_an_event_and_every_sentence_is_evidence():
    text = "Acme and Beta formed a partnership. The partnership covers imaging. Nothing else."
    [mention] = classifier.classify("Acme news", text)
    assert mention.type == "partnership"
    assert mention.evidence == ["Acme and Beta formed a partnership.", "The partnership covers imaging."]


def test_ai_is_matched_as_a_word_in_capitals():
    assert labels("Shanghai hospital said", "Shanghai again. Said it twice in Shanghai.") == []
    assert labels("Hospital deploys AI triage", "The AI tool went live.") == ["ai"]


def test_sentences_split_in_both_languages():
    assert split_sentences("合作签约。双方将共建实验室！Mayo said so. It is big.\nNext line") == [
        "合作签约。", "双方将共建实验室！", "Mayo said so.", "It is big.", "Next line",
    ]
    assert split_sentences("Valued at $4.9 billion. U.S. approval followed.") == [
        "Valued at $4.9 billion.", "U.S. approval followed.",
    ]
