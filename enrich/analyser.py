"""From article to event mentions: which events it reports (the classifier), and for each
its status, parties with roles, deal amount and evidence sentences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from enrich.amounts import FxRates, deal_amount
from enrich.classifier import ArticleText, Decision, EventClassifier, ScoringLayer
from enrich.events import load_event_types
from enrich.gazetteer import Gazetteer
from enrich.head import HEAD_LAYER, HeadLayer, HeadModel, load_embedder
from enrich.models import ModelUnavailable
from enrich.nli import ZERO_SHOT_LAYER, ZeroShotLayer, load_zero_shot_pipeline
from enrich.parties import PartyExtractor
from enrich.rules import RuleClassifier
from enrich.schema import Article, EnrichedArticle, EventMention
from enrich.status import StatusDetector

# Sentences of the lead read for a deal's value or parties when the evidence lacks them.
LEAD_SENTENCES = 3


@dataclass
class ArticleAnalyser:
    classifier: EventClassifier
    parties: PartyExtractor
    status: StatusDetector
    fx: FxRates
    unavailable: dict[str, str] = field(default_factory=dict)  # layer → why it could not be loaded

    @property
    def layers(self) -> list[str]:
        return self.classifier.layer_names

    def analyse(self, articles: Sequence[ArticleText]) -> list[list[EventMention]]:
        return [[self._mention(d) for d in decisions] for decisions in self.classifier.classify(articles)]

    def enrich(self, articles: Sequence[Article]) -> list[EnrichedArticle]:
        # Traditional Chinese is read in its Simplified form: the triggers and gazetteer are Simplified.
        mentions = self.analyse([ArticleText(a.index_title, a.index_text, a.lang) for a in articles])
        return [
            EnrichedArticle(**article.model_dump(), events=events, classified_by=self.layers)
            for article, events in zip(articles, mentions, strict=True)
        ]

    def _mention(self, decision: Decision) -> EventMention:
        sentences = decision.sentences
        evidence = decision.rule.evidence or [s for s in [sentences.title, *sentences.lead(1)] if s]
        context = [*evidence, *(s for s in sentences.lead(LEAD_SENTENCES) if s not in evidence)]
        event_type = self.classifier.rules.event_types[decision.type]
        parties = self.parties.parties(decision.type, evidence)
        if not parties:
            parties = self.parties.parties(decision.type, context)
        return EventMention(
            type=decision.type,
            score=decision.score,
            evidence=evidence,
            layers=decision.voted,
            scores=decision.scores,
            status=self.status.detect(decision.type, evidence),
            parties=parties,
            amount=deal_amount(context, self.fx) if event_type.deal else None,
        )


@dataclass(frozen=True)
class AnalyserConfig:
    """Everything an analyser is built from (plain values, so it can key a cache)."""

    fx: FxRates
    event_types_file: Path | None = None
    gazetteer_file: Path | None = None
    device: str = "cpu"
    zero_shot_model: str | None = None  # None: no zero-shot layer
    zero_shot_threshold: float = 0.6
    zero_shot_max_length: int = 256
    zero_shot_batch_size: int = 8
    head_path: Path | None = None  # None: no supervised head


def build_analyser(config: AnalyserConfig) -> ArticleAnalyser:
    """An analyser with every layer the configuration asks for and whose model loads; the
    others are listed in ``unavailable`` with the reason."""
    event_types = load_event_types(config.event_types_file)
    layers: list[ScoringLayer] = []
    unavailable: dict[str, str] = {}
    combined: dict[str, dict[str, float]] = {}
    if config.zero_shot_model:
        try:
            pipe = load_zero_shot_pipeline(config.zero_shot_model, config.device, config.zero_shot_max_length)
            layers.append(ZeroShotLayer(pipe, event_types, config.zero_shot_threshold, config.zero_shot_batch_size))
        except ModelUnavailable as problem:
            unavailable[ZERO_SHOT_LAYER] = str(problem)
    if config.head_path:
        try:
            head = HeadModel.load(config.head_path)
            # its coefficients only make sense on the embeddings it was trained on
            embedder = load_embedder(head.embedding_model or None, config.device)
            layers.append(HeadLayer(head, embedder))
            combined = head.combined_thresholds
        except ModelUnavailable as problem:
            unavailable[HEAD_LAYER] = str(problem)
    return ArticleAnalyser(
        classifier=EventClassifier(RuleClassifier(event_types), layers, combined),
        parties=PartyExtractor(Gazetteer.load(config.gazetteer_file)),
        status=StatusDetector(),
        fx=config.fx,
        unavailable=unavailable,
    )
