"""Business event types, defined once in ``data/event_types.yaml``, and the trigger patterns
the rules layer and the status detector share."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


def read_data(name: str, path: Path | None = None) -> Any:
    """A YAML file bundled in ``enrich/data`` (or ``path`` instead, when given)."""
    text = (
        path.read_text(encoding="utf-8")
        if path
        else resources.files("enrich").joinpath(f"data/{name}").read_text(encoding="utf-8")
    )
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


class TriggerSet:
    """Patterns of which any one marks a sentence: plain regexes, combined into one, and
    compound ones (``{all: [...]}``) whose every part must match the same sentence.

    Matching runs each regex once over the whole text and maps hits to sentences, which is
    several times faster than searching sentence by sentence."""

    def __init__(self, entries: list[Any], where: str = "triggers"):
        plain = [entry for entry in entries if isinstance(entry, str)]
        self.compounds: list[tuple[re.Pattern[str], ...]] = []
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("all"), list) and entry["all"]:
                self.compounds.append(tuple(_compile(part, where) for part in entry["all"]))
            elif not isinstance(entry, str):
                raise ValueError(f"{where}: expected a regex or {{all: [regex, ...]}}, found {entry!r}")
        self.pattern = _compile("|".join(f"(?:{p})" for p in plain), where) if plain else None

    def __bool__(self) -> bool:
        return self.pattern is not None or bool(self.compounds)

    def search(self, sentence: str) -> bool:
        if self.pattern is not None and self.pattern.search(sentence):
            return True
        return any(all(part.search(sentence) for part in compound) for compound in self.compounds)

    def sentence_hits(self, text: str, starts: list[int], spans: list[tuple[int, int]]) -> set[int]:
        """Indexes of the sentences (``spans``, whose starts are ``starts``) that match."""
        hits: set[int] = set()
        if self.pattern is not None:
            for match in self.pattern.finditer(text):
                hits.add(bisect_right(starts, match.start()) - 1)
        for compound in self.compounds:
            first, rest = compound[0], compound[1:]
            candidates = {bisect_right(starts, m.start()) - 1 for m in first.finditer(text)} - hits
            for index in candidates:
                sentence = text[spans[index][0] : spans[index][1]]
                if all(part.search(sentence) for part in rest):
                    hits.add(index)
        hits.discard(-1)
        return hits


@dataclass(frozen=True)
class EventType:
    name: str
    description_en: str
    description_zh: str
    hypothesis_en: str
    hypothesis_zh: str
    triggers: TriggerSet
    weak: TriggerSet
    deal: bool = False


def load_event_types(path: Path | None = None) -> dict[str, EventType]:
    """The event type definitions; the bundled ``data/event_types.yaml`` by default."""
    where = str(path or "enrich/data/event_types.yaml")
    types = {}
    for name, spec in read_data("event_types.yaml", path).items():
        try:
            types[name] = EventType(
                name=name,
                description_en=spec["en"],
                description_zh=spec["zh"],
                hypothesis_en=spec["hypothesis"]["en"],
                hypothesis_zh=spec["hypothesis"]["zh"],
                triggers=_trigger_set(spec["triggers"], f"{where}: {name}.triggers"),
                weak=_trigger_set(spec.get("weak") or {}, f"{where}: {name}.weak"),
                deal=bool(spec.get("deal", False)),
            )
        except (KeyError, TypeError) as missing:
            raise ValueError(f"{where}: {name}: missing or malformed key {missing}") from None
    return types


def _trigger_set(by_language: dict[str, list[Any]], where: str) -> TriggerSet:
    return TriggerSet([*by_language.get("en", []), *by_language.get("zh", [])], where)


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as error:
        raise ValueError(f"{where}: invalid regex {pattern!r}: {error}") from None
