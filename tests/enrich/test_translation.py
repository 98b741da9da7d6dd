"""The translator, with the real opus-mt-zh-en tokenizer and a tiny random-weight MarianMT model
(tests.support.build_tiny_marian), run by both backends: transformers and CTranslate2 int8.
Translations are nonsense but real model output; what is checked is everything around the
model: segmentation, chunking, batching, order, memory, names, failures."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from enrich.schema import Article
from enrich.translation import (
    TranslationMemory,
    Translator,
    TranslatorConfig,
    TranslatorUnavailable,
    build_translator,
    translate_articles,
)
from enrich.translation.backends import TOKENIZER_FILES, Hypothesis, load_backend
from enrich.translation.entities import Name, find_names, mask, unmask
from enrich.translation.memory import normalise
from enrich.translation.segments import segment_lines


# -- a gazetteer-shaped test double holding real names (enrich.gazetteer.Gazetteer's protocol) ----


@dataclass(frozen=True)
class Org:
    name_en: str


@dataclass(frozen=True)
class OrgMatch:
    start: int
    end: int
    surface: str
    org: Org


class Gazetteer:
    """Leftmost-longest, non-overlapping matches of known surfaces, like the real one."""

    def __init__(self, names: dict[str, str]):
        self.names = names
        self.pattern = re.compile("|".join(map(re.escape, sorted(names, key=len, reverse=True))))

    def find(self, text: str) -> list[OrgMatch]:
        return [
            OrgMatch(m.start(), m.end(), m.group(), Org(self.names[m.group()])) for m in self.pattern.finditer(text)
        ]


GAZETTEER = Gazetteer(
    {
        "北京协和医院": "Peking Union Medical College Hospital",
        "中国科学院自动化研究所": "Institute of Automation, Chinese Academy of Sciences",
        "强生": "Johnson & Johnson",
        "史赛克": "Stryker",
        "梅奥诊所": "Mayo Clinic",
        "Inari Medical": "Inari Medical, Inc.",
    }
)

SENTENCES = ["北京协和医院发布罕见病大模型。", "双方将共建联合实验室！", "该模型可辅助医生诊断罕见病，并提出进一步检查建议。"]


# -- fixtures: one model per backend for the whole module ---------------------------------


@pytest.fixture(scope="module")
def ct2_model(tiny_marian, tmp_path_factory) -> Path:
    """The tiny model converted with the command the README documents."""
    output = tmp_path_factory.mktemp("ct2") / "tiny-int8"
    converter = Path(sys.executable).with_name("ct2-transformers-converter")
    done = subprocess.run(
        [str(converter), "--model", str(tiny_marian), "--output_dir", str(output), "--quantization", "int8",
         "--copy_files", "source.spm", "target.spm", "vocab.json", "tokenizer_config.json"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return output


@pytest.fixture(scope="module", params=["transformers", "ctranslate2"])
def config(request, tiny_marian, ct2_model) -> TranslatorConfig:
    # One thread: a tiny model is many small operations, which thread hand-offs only slow down.
    return TranslatorConfig(model=str(tiny_marian), backend=request.param, ct2_dir=ct2_model, beams=2, threads=1)


@pytest.fixture(scope="module")
def backend(config):
    return load_backend(config)


class Counting:
    """The real backend, counting what it is asked (and optionally failing on a marker)."""

    def __init__(self, backend, poison: str | None = None):
        self.backend = backend
        self.name = backend.name
        self.max_input_tokens = backend.max_input_tokens
        self.batches: list[list[str]] = []
        self.poison = poison

    @property
    def inputs(self) -> int:
        return sum(map(len, self.batches))

    def count_tokens(self, texts):
        return self.backend.count_tokens(texts)

    def translate(self, texts) -> list[Hypothesis]:
        self.batches.append(list(texts))
        if self.poison and any(self.poison in text for text in texts):
            raise RuntimeError(f"cannot translate {self.poison}")
        return self.backend.translate(texts)


def translator(backend, memory=None, names=None, **options) -> Translator:
    memory = memory if memory is not None else TranslationMemory()
    return Translator(Counting(backend), "tiny", memory, names, **options)


# -- segmentation and chunking --------------------------------------------------------------


def fits_within(backend, limit):
    return lambda segment: backend.count_tokens([normalise(segment.source)])[0] <= limit


def test_a_long_sentence_is_cut_at_the_token_limit_and_nothing_is_lost(backend):
    sentence = "医疗器械企业在人工智能影像和可穿戴设备以及基因检测领域持续加大研发投入" * 4 + "。"
    fits = fits_within(backend, 16)
    [segments] = segment_lines(sentence, [], fits)
    assert len(segments) > 3
    assert "".join(s.text for s in segments) == sentence
    for segment, following in zip(segments, segments[1:]):
        assert fits(segment)
        # cut at the limit: one more character would not fit
        longer = type(segment)(segment.text + following.text[0])
        assert not fits(longer)


def test_a_long_sentence_is_cut_at_commas_first_and_short_clauses_are_packed(backend):
    sentence = "公司表示，将继续合作，研发新产品，拓展海外市场，并加大投入，以提升竞争力。"
    [segments] = segment_lines(sentence, [], fits_within(backend, 12))
    assert "".join(s.text for s in segments) == sentence
    assert all(s.text.endswith(("，", "。")) for s in segments)
    assert any(s.text.count("，") >= 2 for s in segments)  # packed, not one clause per segment


def test_numbers_are_not_cut_at_their_thousands_separator(backend):
    sentence = "交易金额为1,250,000,000美元，" * 6
    [segments] = segment_lines(sentence, [], fits_within(backend, 24))
    assert "".join(s.text for s in segments) == sentence
    assert all(not re.search(r",$", s.text) for s in segments)


def test_a_protected_name_is_never_cut(backend):
    text = "该项目" * 5 + "北京协和医院" + "牵头" * 10
    names = find_names(GAZETTEER, text)
    [segments] = segment_lines(text, names, fits_within(backend, 8))
    assert "".join(s.text for s in segments) == text
    holders = [s for s in segments if s.names]
    assert len(holders) == 1 and "北京协和医院" in holders[0].text


def test_lines_and_sentences_come_back_in_order(backend):
    t = translator(backend)
    text = f"{SENTENCES[0]}{SENTENCES[1]}\n\n{SENTENCES[2]}"
    [english], _ = t.translate_each([text])
    remembered = t.memory.lookup("tiny", SENTENCES)
    assert len(set(remembered.values())) == 3  # the model tells them apart: order is checkable
    assert english == f"{remembered[SENTENCES[0]]} {remembered[SENTENCES[1]]}\n\n{remembered[SENTENCES[2]]}"


def test_text_without_chinese_is_kept_as_it_is_not_sent_to_the_model(backend):
    t = translator(backend)
    [english], stats = t.translate_each(["Inari Medical（NASDAQ：NARI）\n双方将共建联合实验室！"])
    assert english.split("\n")[0] == "Inari Medical(NASDAQ:NARI)"
    assert t.backend.batches == [["双方将共建联合实验室!"]]  # only the Chinese, in the model's normal form


def test_a_long_text_is_translated_completely_in_order(backend):
    t = translator(backend, max_input_tokens=16)
    text = "，".join(["医疗器械企业在人工智能影像和可穿戴设备领域持续加大研发投入", "并拓展海外市场"] * 3) + "。"
    [english], stats = t.translate_each([text])
    [segments] = segment_lines(text, [], fits_within(backend, 16))
    assert len(segments) >= 4 and stats.failed == 0
    remembered = t.memory.lookup("tiny", [s.source for s in segments])
    assert english == " ".join(remembered[s.source] for s in segments)


# -- batching ----------------------------------------------------------------------------------


def test_batches_hold_segments_of_similar_length(backend):
    t = translator(backend, batch_size=4)
    texts = [f"第{i}条：" + "医院" * (i * 3 % 10 + 1) + "。" for i in range(10)]
    results, stats = t.translate_each(texts)
    assert [len(batch) for batch in t.backend.batches] == [4, 4, 2]
    lengths = [backend.count_tokens([text])[0] for batch in t.backend.batches for text in batch]
    assert lengths == sorted(lengths)
    assert stats.model_batches == 3 and all(isinstance(r, str) and r for r in results)


def test_decoding_is_deterministic(backend):
    first, _ = translator(backend).translate_each(SENTENCES)
    second, _ = translator(backend).translate_each(list(reversed(SENTENCES)))
    assert first == list(reversed(second))


# -- translation memory ----------------------------------------------------------------------


def test_duplicates_and_reruns_are_translated_once(backend, tmp_path):
    memory = TranslationMemory(tmp_path / "memory.sqlite")
    t = translator(backend, memory)
    boilerplate = "本文仅供参考，不构成投资建议。"
    texts = [SENTENCES[0] + boilerplate, SENTENCES[1] + boilerplate, boilerplate]
    first, stats = t.translate_each(texts)
    assert t.backend.inputs == 3 and stats.segments == 3  # the boilerplate once
    again, stats = t.translate_each(texts)
    assert again == first and t.backend.inputs == 3 and stats.from_memory == 3

    # another process, the same memory file: nothing for the model
    memory.close()
    later = translator(backend, TranslationMemory(tmp_path / "memory.sqlite"))
    assert later.translate_each(texts)[0] == first and later.backend.inputs == 0
    # the same sentence, differently written (full-width letters, stray spaces): remembered too
    later.translate_each(["ＡＩ模型，已发布。"])
    assert later.backend.inputs == 1
    later.translate_each(["AI模型,  已发布。", "本文仅供参考， 不构成投资建议。"])
    assert later.backend.inputs == 1
    # another model: translated again
    other = Translator(Counting(backend), "another-model", TranslationMemory(tmp_path / "memory.sqlite"))
    other.translate_each([boilerplate])
    assert other.backend.inputs == 1


# -- organisation names ------------------------------------------------------------------------


def test_names_are_masked_and_restored_as_canonical_english():
    text = "北京协和医院与强生签署合作协议。"
    names = find_names(GAZETTEER, text)
    assert names == [Name(0, 6, "Peking Union Medical College Hospital"), Name(7, 9, "Johnson & Johnson")]
    assert mask(text, names) == "X1与X2签署合作协议。"
    assert unmask("X1 and X2 signed an agreement.", names) == (
        "Peking Union Medical College Hospital and Johnson & Johnson signed an agreement."
    )
    assert unmask("X2 signed with X1.", names).startswith("Johnson & Johnson signed with Peking")
    assert unmask("X1 signed an agreement.", names) is None  # a name lost
    assert unmask("X1 and X1 and X2", names) is None  # a name doubled
    assert mask("型号X1与北京协和医院", find_names(GAZETTEER, "型号X1与北京协和医院")) is None
    # Latin names and tickers stay as written
    assert find_names(GAZETTEER, "史赛克收购Inari Medical")[1].english == "Inari Medical"


@pytest.mark.parametrize(
    "text",
    ["北京协和医院联合中国科学院自动化研究所发布罕见病大模型。", "梅奥诊所与强生、史赛克合作。", "型号X1由北京协和医院研发。"],
)
def test_protected_names_come_out_in_english_whatever_the_model_does(backend, text):
    t = translator(backend, names=GAZETTEER)
    [english], stats = t.translate_each([text])
    expected = [match.org.name_en for match in GAZETTEER.find(text) if re.search(r"[\u4e00-\u9fff]", match.surface)]
    for name in expected:
        assert english.count(name) == 1, english
    assert stats.names_protected == len(expected)


def test_names_reach_article_titles(backend):
    t = translator(backend, names=GAZETTEER)
    [article], _ = translate_articles([make("北京协和医院与强生签署合作协议", "双方将共建联合实验室。")], t, TranslatorConfig())
    assert "Peking Union Medical College Hospital" in article.title_en
    assert "Johnson & Johnson" in article.title_en


# -- articles, scope, failures -------------------------------------------------------------------


def make(title: str, text: str, lang: str = "zh", id_: str = "a1") -> Article:
    return Article(
        id=id_, source_id="s", url=f"http://127.0.0.1/{id_}", canonical_url=f"http://127.0.0.1/{id_}",
        title=title, text=text, lang=lang, fetched_at=datetime(2025, 3, 1, tzinfo=UTC),
    )


def test_articles_get_english_fields_beside_the_originals(backend):
    t = translator(backend)
    chinese = make("梅奥诊所宣布六项合作", "".join(SENTENCES))
    english = make("Stryker to acquire Inari", "The deal closed. " * 30, "en", "a2")
    headline_only = make("半年发5个大模型,大三甲医院有多怕被淘汰?", "Hospitals released models. " * 30, "en", "a3")
    done, stats = translate_articles([chinese, english, headline_only], t, TranslatorConfig(model="tiny"))
    assert done[1] == english  # nothing to translate
    assert done[0].title == chinese.title and done[0].text == chinese.text
    assert done[0].title_en and done[0].text_en and done[0].translation.status == "done"
    assert done[0].translation.model == "tiny" and done[0].translation.scope == "full"
    assert done[2].title_en and done[2].text_en is None and done[2].translation.status == "done"


def test_title_and_lead_scope_translates_the_first_sentences_only_and_says_so(backend):
    t = translator(backend)
    text = "".join(SENTENCES) + "后续还将开展验证。近年来多家医院推出模型。"
    config = TranslatorConfig(model="tiny", scope="title_lead", lead_sentences=2)
    [long, short], _ = translate_articles([make("标题", text), make("标题", SENTENCES[0], id_="a2")], t, config)
    assert long.translation.scope == "title_lead"
    assert long.text_en == t.translate(SENTENCES[0] + SENTENCES[1])
    assert short.translation.scope == "full"  # its lead is all of it


def test_without_a_model_chinese_articles_are_kept_and_marked_pending():
    articles = [make("梅奥诊所宣布合作", "双方将共建实验室。"), make("Mayo partners", "Text. " * 50, "en", "a2")]
    done, _ = translate_articles(articles, None, TranslatorConfig(model="nope"), "nope: no such model directory")
    assert done[0].translation.status == "pending" and done[0].translation.error == "nope: no such model directory"
    assert done[0].title_en is None and done[0].text == articles[0].text
    assert done[1] == articles[1]


def test_a_segment_the_model_fails_on_costs_only_its_article(backend):
    t = Translator(Counting(backend, poison="毒"), "tiny", TranslationMemory())
    articles = [make("合作", SENTENCES[0]), make("有毒的标题", SENTENCES[1], id_="a2"), make("并购", SENTENCES[2], id_="a3")]
    done, stats = translate_articles(articles, t, TranslatorConfig(model="tiny"))
    assert [a.translation.status for a in done] == ["done", "pending", "done"]
    assert "RuntimeError: cannot translate 毒" in done[1].translation.error
    assert stats.failed == 1
    assert t.memory.lookup("tiny", [SENTENCES[1]])  # its other segments were translated and kept


# -- loading ----------------------------------------------------------------------------------------


def test_models_that_cannot_be_loaded_say_which_and_why(tmp_path, tiny_marian):
    with pytest.raises(TranslatorUnavailable, match=r"nope: no such model directory"):
        build_translator(TranslatorConfig(model=str(tmp_path / "nope")))
    with pytest.raises(TranslatorUnavailable, match="not in the Hugging Face cache, and HF_HUB_OFFLINE is set"):
        build_translator(TranslatorConfig(model="Helsinki-NLP/opus-mt-zh-en"))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(TranslatorUnavailable, match="broken: cannot be loaded: ") as caught:
        build_translator(TranslatorConfig(model=str(broken)))
    assert "\n" not in str(caught.value)
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(TranslatorUnavailable, match="device cuda requested, but PyTorch sees no CUDA device"):
            build_translator(TranslatorConfig(model=str(tiny_marian), device="cuda"))


def test_ctranslate2_converts_the_model_on_first_use(tiny_marian, tmp_path):
    target = tmp_path / "models" / "tiny-int8"
    t = build_translator(TranslatorConfig(model=str(tiny_marian), backend="ctranslate2", ct2_dir=target, threads=1))
    assert (target / "model.bin").is_file()
    assert all((target / f).is_file() for f in TOKENIZER_FILES if (tiny_marian / f).is_file())
    assert not target.with_name("tiny-int8.partial").exists()
    assert t.translate(SENTENCES[0])
    # the conversion alone is enough: the original model is no longer needed
    gone = tmp_path / "gone"
    alone = build_translator(TranslatorConfig(model=str(gone), backend="ctranslate2", ct2_dir=target, threads=1))
    assert alone.translate(SENTENCES[0]) == t.translate(SENTENCES[0])


def test_both_backends_share_the_tokenizer_and_translate(tiny_marian, ct2_model):
    torch_backend = load_backend(TranslatorConfig(model=str(tiny_marian), threads=1))
    ct2_backend = load_backend(
        TranslatorConfig(model=str(tiny_marian), backend="ctranslate2", ct2_dir=ct2_model, threads=1)
    )
    assert torch_backend.count_tokens(SENTENCES) == ct2_backend.count_tokens(SENTENCES)
    assert torch_backend.max_input_tokens == ct2_backend.max_input_tokens == 512
    for hypotheses in (torch_backend.translate(SENTENCES), ct2_backend.translate(SENTENCES)):
        assert len(hypotheses) == 3 and all(h.text for h in hypotheses)
