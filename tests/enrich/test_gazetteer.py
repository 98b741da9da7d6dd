import pytest

from enrich.gazetteer import Gazetteer, Organisation

gazetteer = Gazetteer.load()


def found(text: str) -> list[tuple[str, str]]:
    return [(m.surface, m.org.id) for m in gazetteer.find(text)]


def test_the_bundled_gazetteer_is_large_bilingual_and_consistent():
    assert len(gazetteer) >= 400
    kinds = {org.kind for org in gazetteer.organisations}
    assert kinds >= {"medtech", "pharma", "hospital", "university", "tech", "investor", "regulator"}
    with_chinese = sum(1 for org in gazetteer.organisations if org.name_zh)
    assert with_chinese / len(gazetteer) > 0.85
    chinese_orgs = [org for org in gazetteer.organisations if org.country == "CN"]
    assert len(chinese_orgs) >= 150 and all(org.name_zh for org in chinese_orgs)


@pytest.mark.parametrize(
    ("surface", "english"),
    [
        ("梅奥诊所", "Mayo Clinic"),
        ("北京协和医院", "Peking Union Medical College Hospital"),
        ("史赛克", "Stryker"),
        ("Stryker Corporation", "Stryker"),
        ("stryker", "Stryker"),
        ("NYSE:SYK", "Stryker"),
        ("NYSE: SYK", "Stryker"),
        ("2359.HK", "WuXi AppTec"),
        ("HKEX:02359", "WuXi AppTec"),
        ("603259.SH", "WuXi AppTec"),
        ("妙佑医疗国际", "Mayo Clinic"),
        ("国家药监局", "National Medical Products Administration"),
    ],
)
def test_lookup_by_name_alias_or_ticker(surface, english):
    org = gazetteer.lookup(surface)
    assert org is not None and org.name_en == english


def test_lookup_of_an_unknown_name_is_none():
    assert gazetteer.lookup("Acme Robotics") is None
    assert gazetteer.lookup("NYSE:ZZZZ") is None


def test_names_are_found_as_whole_words_in_either_script():
    assert found("史赛克（Stryker）宣布，已完成对外周血管介入企业Inari Medical的收购。") == [
        ("史赛克", "stryker"), ("Stryker", "stryker"), ("Inari Medical", "inari-medical"),
    ]
    assert found("强生宣布收购Shockwave。") == [("强生", "johnson-johnson"), ("Shockwave", "shockwave-medical")]
    assert found("公司将加强生产能力") == []  # 强生 inside 加强|生产
    assert found("医联体建设加速，医联发布新产品") == [("医联", "medlinker")]
    assert found("Acme raised $3M from Mayo Clinic Ventures") == [("Mayo Clinic Ventures", "mayo-clinic-ventures")]
    assert found("Strykers and Abbottabad") == []
    assert found("Stryker (NYSE: SYK) agreed") == [("Stryker", "stryker"), ("NYSE: SYK", "stryker")]


def test_longest_name_wins():
    assert found("北京协和医学院和北京协和医院") == [("北京协和医学院", "pumc"), ("北京协和医院", "pumch")]
    assert found("Mayo Clinic Platform data") == [("Mayo Clinic Platform", "mayo-clinic")]


def test_names_serves_every_surface_for_translation():
    names = dict(gazetteer.names())
    assert names["史赛克"].id == names["Stryker"].id == "stryker"
    assert len(names) > 2 * len(gazetteer)


def test_a_name_used_twice_is_refused():
    with pytest.raises(ValueError, match="'Acme' names both 'a' and 'b'"):
        Gazetteer([Organisation("a", "Acme"), Organisation("b", "Beta", aliases=("Acme",))])
    with pytest.raises(ValueError, match="id 'a' is used twice"):
        Gazetteer([Organisation("a", "Acme"), Organisation("a", "Beta")])


def test_a_gazetteer_without_chinese_names_still_finds_latin_ones():
    small = Gazetteer([Organisation("acme", "Acme Medical")])
    assert [(m.surface, m.org.id) for m in small.find("收购Acme Medical")] == [("Acme Medical", "acme")]
