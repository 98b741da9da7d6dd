"""The rules layer: bilingual trigger patterns, weighted by where in the article they occur.

A news article states what it reports in its headline and lead; later sentences elaborate,
and a word met only there is usually a passing mention. So a trigger in the headline counts
``TITLE_WEIGHT``, one in the lead (first ``LEAD_SENTENCES`` sentences) ``LEAD_WEIGHT``, one
further down ``BODY_WEIGHT`` (all of those together at most ``BODY_CAP``); weak triggers count
half. Without a hit in the headline or lead the total is halved, and so it is without any
strong trigger. The total maps to a score in
[0, 1] that reaches 0.5 exactly at ``THRESHOLD``: the rules layer's own "yes".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from enrich.events import EventType, TriggerIndex, load_event_types
from enrich.sentences import sentence_spans

RULES_LAYER = "rules"


@dataclass
class RuleResult:
    type: str
    raw: float
    score: float
    evidence: list[str] = field(default_factory=list)

    @property
    def decided(self) -> bool:
        return self.score >= RuleClassifier.DECISION


@dataclass(frozen=True)
class Sentences:
    """An article's headline and body sentences, split once and shared by every layer."""

    title: str
    text: str
    spans: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, title: str, text: str) -> Sentences:
        return cls(title.strip(), text, tuple(sentence_spans(text)))

    def __getitem__(self, index: int) -> str:
        start, end = self.spans[index]
        return self.text[start:end]

    def __len__(self) -> int:
        return len(self.spans)

    def lead(self, count: int) -> list[str]:
        return [self[i] for i in range(min(count, len(self)))]


class RuleClassifier:
    TITLE_WEIGHT = 2.0
    LEAD_SENTENCES = 3
    LEAD_WEIGHT = 1.0
    BODY_WEIGHT = 0.5
    BODY_CAP = 1.0
    WEAK_FACTOR = 0.5
    THRESHOLD = 2.0
    DECISION = 0.5
    MAX_EVIDENCE = 3

    def __init__(self, event_types: dict[str, EventType] | None = None):
        self.event_types = event_types or load_event_types()
        types = list(self.event_types.values())
        # strong triggers of every type, then weak ones: one index, one pass per text
        self._index = TriggerIndex([t.triggers for t in types] + [t.weak for t in types])

    def score(self, sentences: Sentences) -> dict[str, RuleResult]:
        """Every event type's result, the ones with no trigger at all included (score 0)."""
        count = len(self.event_types)
        body_hits = self._index.hits(sentences.text, list(sentences.spans))
        title_hits = self._index.hits(sentences.title, [(0, len(sentences.title))]) if sentences.title else None
        results = {}
        for number, event_type in enumerate(self.event_types.values()):
            strong = body_hits[number]
            weak = body_hits[count + number] - strong
            raw = body = 0.0
            anchored = has_strong = False
            evidence: list[str] = []
            if title_hits is not None:
                if title_hits[number]:
                    raw += self.TITLE_WEIGHT
                    has_strong = True
                elif title_hits[count + number]:
                    raw += self.TITLE_WEIGHT * self.WEAK_FACTOR
                if raw:
                    anchored = True
                    evidence.append(sentences.title)
            for index in sorted(strong | weak):
                factor = 1.0 if index in strong else self.WEAK_FACTOR
                if index < self.LEAD_SENTENCES:
                    raw += self.LEAD_WEIGHT * factor
                    anchored = True
                else:
                    body += self.BODY_WEIGHT * factor
            raw += min(body, self.BODY_CAP)
            if not anchored:
                raw /= 2
            if not (has_strong or strong):
                raw /= 2  # weak words alone ("AI" in a company's name, "deal") report nothing
            ordered = sorted(strong) + sorted(weak)
            evidence.extend(sentences[i] for i in ordered[: self.MAX_EVIDENCE - len(evidence)])
            results[event_type.name] = RuleResult(
                type=event_type.name, raw=raw, score=1 - 0.5 ** (raw / self.THRESHOLD), evidence=evidence
            )
        return results

    def decide(self, title: str, text: str) -> list[RuleResult]:
        """The event types the rules alone would report, in definition order."""
        return [result for result in self.score(Sentences.of(title, text)).values() if result.decided]
