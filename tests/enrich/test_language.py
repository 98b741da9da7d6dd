import pytest

from enrich.language import detect_language, han_share


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("北京协和医院联合中国科学院自动化研究所发布了罕见病大模型。", "zh"),
        ("史赛克宣布完成对Inari Medical的收购，交易金额约49亿美元。", "zh"),  # mixed script
        ("香港醫院管理局今日宣佈，與本地大學合作開發人工智能診斷系統。", "zh"),  # Traditional
        ("Mayo Clinic announced six collaborations with technology companies this year.", "en"),
        ("Die Klinik hat heute eine neue Zusammenarbeit mit einem Medizintechnikunternehmen angekündigt.", "other"),
        ("12345 !!! ---", "other"),
        ("", "other"),
    ],
)
def test_language(text, expected):
    assert detect_language(text) == expected


def test_detection_is_reproducible():
    text = "AI partnership 合作 with hospitals in Asia"
    assert len({detect_language(text) for _ in range(20)}) == 1


def test_han_share():
    assert han_share("合作ab") == 0.5
    assert han_share("...") == 0.0
