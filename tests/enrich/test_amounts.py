from datetime import date

import pytest

from enrich.amounts import FxRates, deal_amount, find_amounts

FX = FxRates.of({"USD": 1.0, "CNY": 0.14, "EUR": 1.2, "GBP": 1.3, "HKD": 0.125, "JPY": 0.007}, date(2025, 6, 30))


def one(text: str):
    [match] = find_amounts(text, FX)
    return match.amount


@pytest.mark.parametrize(
    ("text", "value", "currency", "approximate"),
    [
        ("$4.9 billion", 4.9e9, "USD", False),
        ("about $4.9 billion", 4.9e9, "USD", True),
        ("more than $1.3 billion", 1.3e9, "USD", True),
        ("US$120m", 120e6, "USD", False),
        ("USD 100 million", 100e6, "USD", False),
        ("€1.2bn", 1.2e9, "EUR", False),
        ("£300,000", 300_000, "GBP", False),
        ("RMB500 million", 500e6, "CNY", False),
        ("500 million yuan", 500e6, "CNY", False),
        ("HK$986 million", 986e6, "HKD", False),
        ("¥105 billion yen", 105e9, "JPY", False),
        ("¥2亿", 2e8, "CNY", False),
        ("49亿美元", 4.9e9, "USD", False),
        ("约49亿美元", 4.9e9, "USD", True),
        ("人民币5000万元", 5e7, "CNY", False),
        ("人民币5000万", 5e7, "CNY", False),
        ("超1亿美元", 1e8, "USD", True),
        ("5亿多元", 5e8, "CNY", True),
        ("两千万元", 2e7, "CNY", False),
        ("10亿港元", 1e9, "HKD", False),
        ("近10亿元左右", 1e9, "CNY", True),
    ],
)
def test_amounts_with_currency_scale_and_approximation(text, value, currency, approximate):
    amount = one(text)
    assert (amount.value, amount.currency, amount.approximate) == (pytest.approx(value), currency, approximate)
    assert amount.usd == pytest.approx(value * FX.usd_per_unit[currency])


def test_ranges_give_the_midpoint_and_both_ends():
    for text in ("$50-60 million", "between $50 million and $60 million"):
        amount = one(text)
        assert (amount.value, amount.low, amount.high, amount.approximate) == (55e6, 50e6, 60e6, True)
    amount = one("3-5亿元")
    assert (amount.value, amount.low, amount.high) == (4e8, 3e8, 5e8)


def test_vague_chinese_quantities_give_their_lower_bound():
    amount = one("数亿元")
    assert (amount.value, amount.low, amount.high, amount.approximate) == (2e8, 2e8, 9e8, True)
    amount = one("数千万元")
    assert (amount.low, amount.high) == (2e7, 9e7)
    amount = one("上亿元")
    assert (amount.value, amount.high, amount.approximate) == (1e8, None, True)


def test_words_that_only_look_like_money_are_not_amounts():
    assert find_amounts("二元化结构，上元节，2025年营收", FX) == []
    assert find_amounts("Shares rose 5% in 2025", FX) == []


def test_a_currency_without_a_rate_has_no_usd_value():
    assert FxRates.of({"USD": 1.0}).to_usd(5, "CNY") is None
    [match] = find_amounts("5亿元", FxRates.of({"USD": 1.0}))
    assert match.amount.usd is None and match.amount.currency == "CNY"


def test_the_deal_amount_skips_per_share_prices():
    sentences = [
        "Stryker agreed to acquire Inari for $80 per share in cash,",
        "a deal that values the company at about $4.9 billion.",
    ]
    amount = deal_amount(sentences, FX)
    assert (amount.value, amount.approximate, amount.text) == (4.9e9, True, "about $4.9 billion")
    assert deal_amount(["史赛克以每股80美元现金收购Inari全部流通股，交易总价值约49亿美元。"], FX).value == 4.9e9
    assert deal_amount(["No figures here."], FX) is None
