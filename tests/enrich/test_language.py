import pytest

from enrich.language import chinese_script, detect_language, han_share, to_simplified


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("東京都は新しい医療機器の承認を発表しました。", "other"),  # Japanese: kanji and kana
        ("서울대병원은 새로운 의료기기를 발표했다", "other"),  # Korean
        ("Новая медицинская технология", "other"),  # Cyrillic: no Latin, no Han
    ],
)
def test_other_scripts_are_not_mistaken_for_chinese_or_english(text, expected):
    assert detect_language(text) == expected


def test_a_short_title_takes_the_body_language_when_langdetect_is_unsure():
    assert detect_language("Nam, SA Green hydrogen pipeline flagged") == "other"  # langdetect's guess
    assert detect_language("Nam, SA Green hydrogen pipeline flagged", hint="en") == "en"
    # A title in another script than its body is still told apart.
    assert detect_language("半年发5个大模型,大三甲医院有多怕被淘汰?", hint="en") == "zh"
    assert detect_language("2025", hint="zh") == "zh"


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("北京协和医院联合中国科学院自动化研究所发布了罕见病大模型。", "Hans"),
        ("香港醫院管理局今日宣佈，與本地大學合作開發人工智能診斷系統。", "Hant"),
        ("史赛克宣布完成对Inari Medical的收购。", "Hans"),
        ("No Chinese here", None),
    ],
)
def test_simplified_and_traditional_are_told_apart(text, script):
    assert chinese_script(text) == script


def test_traditional_is_normalised_to_simplified():
    assert to_simplified("醫院管理局與大學合作開發") == "医院管理局与大学合作开发"
