import pytest

from enrich.sentences import sentence_spans, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # terminal punctuation, the semicolon included; line breaks always end a sentence
        ("合作签约。双方将共建实验室！是否上市？暂无计划；后续再议\n下一行", ["合作签约。", "双方将共建实验室！", "是否上市？", "暂无计划；", "后续再议", "下一行"]),
        # a quotation is kept whole, its closing quote stays with it
        ("他说：“我们很高兴。这是重要的一步。”公司表示，将继续合作。",
         ["他说：“我们很高兴。这是重要的一步。”", "公司表示，将继续合作。"]),
        ("「第一。第二」。第三", ["「第一。第二」。", "第三"]),
        ('他说："很好。非常好。"然后离开。', ['他说："很好。非常好。"', "然后离开。"]),
        ("院长表示：“这只是开始！”", ["院长表示：“这只是开始！”"]),
        # an unclosed quotation runs to the end of its line, not further
        ("未闭合的“引号。第二句。\n下一行。", ["未闭合的“引号。第二句。", "下一行。"]),
        ("Mayo said so. It is big. U.S. approval followed at $4.9 billion.",
         ["Mayo said so.", "It is big.", "U.S. approval followed at $4.9 billion."]),
    ],
)
def test_sentences(text, expected):
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    "text",
    ["他说：“好。”（注）然后。\r\n\n  第二段；第三句！“Quote.” End", "no punctuation at all", "。。。！", "  \n \n"],
)
def test_sentences_are_the_texts_own_characters_and_lose_none(text):
    spans = sentence_spans(text)
    assert spans == sorted(spans)
    covered = "".join(text[start:end] for start, end in spans)
    assert "".join(covered.split()) == "".join(text.split())  # only whitespace between sentences is left out
    assert all(b_start >= a_end for (_, a_end), (b_start, _) in zip(spans, spans[1:]))
    assert all(text[start:end] == text[start:end].strip() and end > start for start, end in spans)
