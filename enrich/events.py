"""Business event types and the rules layer that finds them in an article.

The rules layer scores each event type: a trigger in the headline counts ``TITLE_WEIGHT``,
each further body sentence with a trigger counts 1. A type whose score reaches
``THRESHOLD`` is reported, with the sentences that triggered it as evidence. A single
passing mention in the body is therefore not an event; a headline or repeated mentions are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import yaml

from enrich.schema import EventMention
from enrich.sentences import split_sentences

RULES_LAYER = "rules"


@dataclass(frozen=True)
class EventType:
    name: str
    description_en: str
    description_zh: str
    triggers: tuple[str, ...]

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{t})" for t in self.triggers), re.IGNORECASE)


def load_event_types(path: Path | None = None) -> dict[str, EventType]:
    """The event type definitions; the bundled ``data/event_types.yaml`` by default."""
    text = (
        path.read_text(encoding="utf-8")
        if path
        else resources.files("enrich").joinpath("data/event_types.yaml").read_text(encoding="utf-8")
    )
    return {
        name: EventType(
            name=name,
            description_en=spec["en"],
            description_zh=spec["zh"],
            triggers=tuple(spec["triggers"]["en"]) + tuple(spec["triggers"]["zh"]),
        )
        for name, spec in yaml.safe_load(text).items()
    }


class RuleClassifier:
    TITLE_WEIGHT = 2.0
    SENTENCE_WEIGHT = 1.0
    THRESHOLD = 2.0
    MAX_EVIDENCE = 3

    def __init__(self, event_types: dict[str, EventType] | None = None):
        self.event_types = event_types or load_event_types()

    def classify(self, title: str, text: str) -> list[EventMention]:
        sentences = split_sentences(text)
        mentions = []
        for event_type in self.event_types.values():
            evidence: list[str] = []
            score = 0.0
            if title and event_type.pattern.search(title):
                score += self.TITLE_WEIGHT
                evidence.append(title)
            for sentence in sentences:
                if event_type.pattern.search(sentence):
                    score += self.SENTENCE_WEIGHT
                    evidence.append(sentence)
            if score >= self.THRESHOLD:
                mentions.append(
                    EventMention(
                        type=event_type.name,
                        score=score,
                        evidence=evidence[: self.MAX_EVIDENCE],
                        layers=[RULES_LAYER],
                    )
                )
        return mentions
