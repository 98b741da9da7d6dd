import pytest

from enrich.gazetteer import Gazetteer
from enrich.parties import PartyExtractor, candidate_id

extractor = PartyExtractor(Gazetteer.load())


def parties(event_type: str, *sentences: str) -> list[tuple[str, str | None, bool]]:
    return [(p.name, p.role, p.known) for p in extractor.parties(event_type, sentences)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Stryker to acquire Inari Medical in $4.9 billion deal",
        "Stryker has agreed to acquire Inari Medical for $80 per share.",
        "Stryker completes acquisition of Inari Medical",
        "Inari Medical was acquired by Stryker in February.",
        "Stryker's purchase of Inari Medical closed.",
        "史赛克完成对Inari Medical的收购",
        "史赛克（Stryker）宣布，已完成对外周血管介入企业Inari Medical的收购。",
        "Inari Medical被史赛克收购",
    ],
)
def test_acquirer_and_target(sentence):
    assert parties("merger_acquisition", sentence) == [
        ("Stryker", "acquirer", True), ("Inari Medical", "target", True),
    ] or parties("merger_acquisition", sentence) == [
        ("Inari Medical", "target", True), ("Stryker", "acquirer", True),
    ]


def test_seller_and_merging_parties():
    assert parties("merger_acquisition", "Baxter agreed to sell its kidney care business to Carlyle.") == [
        ("Baxter", "seller", True), ("The Carlyle Group", "acquirer", True),
    ]
    assert parties("merger_acquisition", "滨江市第一人民医院与滨江市中医院合并") == [
        ("滨江市第一人民医院", "merging", False), ("滨江市中医院", "merging", False),
    ]


def test_investee_and_every_investor_of_a_list():
    assert parties(
        "funding",
        "Acme Robotics raises $50M Series B led by OrbiMed and Qiming Venture Partners",
        "The round, led by OrbiMed, had participation from Lilly Asia Ventures.",
    ) == [
        ("Acme Robotics", "investee", False), ("OrbiMed", "investor", True),
        ("Qiming Venture Partners", "investor", True), ("Lilly Asia Ventures", "investor", True),
    ]
    assert parties("funding", "深圳市晶泰科技有限公司完成4亿美元融资，由红杉中国领投", "高瓴资本、启明创投跟投。") == [
        ("XtalPi", "investee", True), ("HongShan", "investor", True),
        ("Hillhouse Investment", "investor", True), ("Qiming Venture Partners", "investor", True),
    ]


def test_licensor_and_licensee():
    assert parties("licensing", "恒瑞医药将PD-1抗体海外权益授权给美国Merck公司") == [
        ("Jiangsu Hengrui Pharmaceuticals", "licensor", True), ("Merck & Co.", "licensee", True),
    ]
    assert parties("licensing", "Novartis licenses rights to a siRNA drug from Argo Biopharmaceutical") == [
        ("Novartis", "licensee", True), ("Argo Biopharmaceutical", "licensor", False),
    ]


def test_partners_and_regulators_get_their_default_roles():
    assert parties("partnership", "北京协和医院联合中国科学院自动化研究所发布罕见病大模型") == [
        ("Peking Union Medical College Hospital", "partner", True),
        ("Institute of Automation of the Chinese Academy of Sciences", "partner", True),
    ]
    assert parties("regulatory", "Medtronic wins FDA clearance for GI Genius") == [
        ("Medtronic", None, True), ("U.S. Food and Drug Administration", "regulator", True),
    ]


def test_organisations_without_a_role_come_only_from_the_first_two_sentences():
    found = parties("ai", "Mayo Clinic launches AI model", "It was trained with NVIDIA.", "Analysts at Goldman Sachs liked it.")
    assert [name for name, _, _ in found] == ["Mayo Clinic", "NVIDIA"]


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("滨江市第一人民医院开设夜间门诊", ["滨江市第一人民医院"]),
        ("杭州澄心医疗科技有限公司宣布完成3亿元B轮融资", ["杭州澄心医疗科技有限公司"]),
        ("两家医院将组建滨江医疗集团。", ["滨江医疗集团"]),
        ("Acme Robotics Inc. and Northbay Imaging signed", ["Acme Robotics Inc.", "Northbay Imaging"]),
        ("The Boston-based Veridia Surgical said", ["Veridia Surgical"]),
        ("国内多家三甲医院发布大模型，数字医疗公司纷纷入局", []),
        ("Medical devices and Digital Health are growing", []),
    ],
)
def test_candidates_by_the_shape_of_their_names(sentence, names):
    assert [c.surface for c in extractor.candidates(sentence)] == names


def test_candidate_ids_ignore_company_form_and_case():
    assert candidate_id("Acme Robotics Inc.") == candidate_id("ACME robotics") == "candidate:acme robotics"
    assert candidate_id("杭州澄心医疗科技有限公司") == "candidate:杭州澄心医疗科技"


def test_a_bad_role_pattern_names_the_file(tmp_path):
    roles = tmp_path / "roles.yaml"
    roles.write_text("funding:\n  patterns:\n    - roles: {A: investor}\n      en: ['{A} (unclosed']\n")
    with pytest.raises(ValueError, match=f"{roles}: funding: bad role pattern"):
        PartyExtractor(Gazetteer.load(), roles)
