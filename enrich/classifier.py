"""Event classification by every configured layer, combined.

The rules layer always speaks; the transformer layers (zero-shot NLI, the supervised head)
speak when their models could be loaded. For each event type the combined score is the mean
of the scores of the layers that scored it, compared with the threshold chosen for exactly
that set of layers on a validation split (saved with the head by ``train-classifier``), or,
for a set never validated, the mean of the layers' own thresholds. The rules alone keep their
own decision. Every decision keeps each layer's score and which layers said yes on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from enrich.head import combination_key
from enrich.rules import RULES_LAYER, RuleClassifier, RuleResult, Sentences

# How much of an article the models read: the headline and the lead, as a reader would.
MODEL_INPUT_CHARS = 600


class ScoringLayer(Protocol):
    name: str

    def scores(self, texts: Sequence[str], langs: Sequence[str]) -> list[dict[str, float]]: ...

    def threshold(self, label: str) -> float: ...


@dataclass(frozen=True)
class ArticleText:
    title: str
    text: str
    lang: str = "en"


@dataclass
class Scored:
    sentences: Sentences
    rules: dict[str, RuleResult]
    layers: dict[str, dict[str, float]]  # layer → event type → score; the rules included


@dataclass
class Decision:
    type: str
    score: float
    scores: dict[str, float]
    voted: list[str]
    rule: RuleResult
    sentences: Sentences = field(repr=False)


class EventClassifier:
    def __init__(
        self,
        rules: RuleClassifier | None = None,
        layers: Sequence[ScoringLayer] = (),
        combined_thresholds: dict[str, dict[str, float]] | None = None,
    ):
        self.rules = rules or RuleClassifier()
        self.layers = list(layers)
        self.combined_thresholds = combined_thresholds or {}

    @property
    def layer_names(self) -> list[str]:
        return [RULES_LAYER, *(layer.name for layer in self.layers)]

    def score(self, articles: Sequence[ArticleText], skip: Iterable[str] = ()) -> list[Scored]:
        """Every layer's score of every event type for each article (layers in ``skip`` aside)."""
        sentences = [Sentences.of(a.title, a.text) for a in articles]
        layers = [layer for layer in self.layers if layer.name not in set(skip)]
        inputs = [model_input(s) for s in sentences]
        langs = [a.lang for a in articles]
        by_layer = {layer.name: layer.scores(inputs, langs) for layer in layers} if articles else {}
        scored = []
        for index, article_sentences in enumerate(sentences):
            rules = self.rules.score(article_sentences)
            scores = {RULES_LAYER: {label: result.score for label, result in rules.items()}}
            scores.update({name: per_article[index] for name, per_article in by_layer.items()})
            scored.append(Scored(article_sentences, rules, scores))
        return scored

    def classify(self, articles: Sequence[ArticleText]) -> list[list[Decision]]:
        """The event types each article reports, in definition order (empty for none)."""
        decisions = []
        for scored in self.score(articles):
            chosen = []
            for label, rule in scored.rules.items():
                scores = {name: by_label[label] for name, by_label in scored.layers.items() if label in by_label}
                voted = [name for name, score in scores.items() if score >= self._own_threshold(name, label)]
                combined = sum(scores.values()) / len(scores)
                if combined >= self.threshold(label, list(scores)):
                    rounded = {name: round(score, 4) for name, score in scores.items()}
                    chosen.append(Decision(label, round(combined, 4), rounded, voted, rule, scored.sentences))
            decisions.append(chosen)
        return decisions

    def threshold(self, label: str, layers: list[str]) -> float:
        """The combined score a type needs when ``layers`` scored it."""
        if layers == [RULES_LAYER]:
            return RuleClassifier.DECISION
        saved = self.combined_thresholds.get(combination_key(layers), {})
        if label in saved:
            return saved[label]
        return sum(self._own_threshold(name, label) for name in layers) / len(layers)

    def _own_threshold(self, name: str, label: str) -> float:
        if name == RULES_LAYER:
            return RuleClassifier.DECISION
        return next(layer.threshold(label) for layer in self.layers if layer.name == name)


def model_input(sentences: Sentences) -> str:
    """The headline and as many lead sentences as fit in ``MODEL_INPUT_CHARS``."""
    parts, size = [sentences.title] if sentences.title else [], len(sentences.title)
    for index in range(len(sentences)):
        sentence = sentences[index]
        if parts and size + len(sentence) > MODEL_INPUT_CHARS:
            break
        parts.append(sentence)
        size += len(sentence) + 1
    return "\n".join(parts)[: MODEL_INPUT_CHARS * 2]
