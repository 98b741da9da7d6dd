"""Business event types, defined once in ``data/event_types.yaml``, and the trigger patterns
the rules layer and the status detector share."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from re import _constants, _parser  # the regex parser, to read which literals a trigger needs
from typing import Any

import ahocorasick
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
    """Patterns of which any one marks a sentence: plain regexes, or compound ones
    (``{all: [...]}``) whose every part must match the same sentence."""

    def __init__(self, entries: list[Any], where: str = "triggers"):
        self.patterns: list[tuple[re.Pattern[str], ...]] = []
        for entry in entries:
            if isinstance(entry, str):
                self.patterns.append((_compile(entry, where),))
            elif isinstance(entry, dict) and isinstance(entry.get("all"), list) and entry["all"]:
                self.patterns.append(tuple(_compile(part, where) for part in entry["all"]))
            else:
                raise ValueError(f"{where}: expected a regex or {{all: [regex, ...]}}, found {entry!r}")

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def search(self, sentence: str) -> bool:
        return any(all(part.search(sentence) for part in pattern) for pattern in self.patterns)


class TriggerIndex:
    """Which sentences match which of many trigger sets, found in one pass per text.

    Running every regex over every article is slow (tens of articles a second). Most
    regexes need some literal text to match ("acquir", "融资", " payment"): ``anchors`` finds
    that text for each, one Aho-Corasick automaton finds every anchor in the lowercased text
    at once, and a regex runs only on the sentences holding one of its anchors."""

    def __init__(self, sets: list[TriggerSet]):
        self.sets = sets
        self._automaton = ahocorasick.Automaton()
        self._unanchored: list[tuple[int, int]] = []
        by_anchor: dict[str, list[tuple[int, int]]] = {}
        for set_index, trigger_set in enumerate(sets):
            for pattern_index, pattern in enumerate(trigger_set.patterns):
                found = [a for a in (anchors(part.pattern) for part in pattern) if a]
                if not found:
                    self._unanchored.append((set_index, pattern_index))
                    continue
                best = max(found, key=lambda options: min(map(len, options)))
                for anchor in best:
                    by_anchor.setdefault(anchor, []).append((set_index, pattern_index))
        for anchor, targets in by_anchor.items():
            self._automaton.add_word(anchor, targets)
        if by_anchor:
            self._automaton.make_automaton()

    def hits(self, text: str, spans: list[tuple[int, int]]) -> list[set[int]]:
        """For each trigger set, the indexes of the sentences (``spans`` of ``text``) it marks."""
        starts = [start for start, _ in spans]
        candidates: dict[tuple[int, int], set[int]] = {key: set(range(len(spans))) for key in self._unanchored}
        lowered = text.lower()
        if len(lowered) != len(text):  # a rare letter whose lowercase is longer: go by sentence
            pieces = [(start, text[start:end].lower()) for start, end in spans]
        else:
            pieces = [(0, lowered)]
        if len(self._automaton):
            for offset, piece in pieces:
                for end, targets in self._automaton.iter(piece):
                    sentence = bisect_right(starts, offset + end) - 1
                    for key in targets:
                        candidates.setdefault(key, set()).add(sentence)
        found: list[set[int]] = [set() for _ in self.sets]
        for (set_index, pattern_index), sentences in candidates.items():
            pattern = self.sets[set_index].patterns[pattern_index]
            for index in sentences - found[set_index]:
                if index < 0:
                    continue
                sentence = text[spans[index][0] : spans[index][1]]
                if all(part.search(sentence) for part in pattern):
                    found[set_index].add(index)
        return found


def anchors(pattern: str) -> frozenset[str] | None:
    """Lowercased literal strings of which every match of ``pattern`` contains one, or None
    when the pattern can match without any (then it must be run on everything)."""
    try:
        tree = _parser.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    return _sequence_anchors(list(tree))


def _sequence_anchors(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    options: list[frozenset[str]] = []
    run: list[str] = []
    for op, value in [*items, (None, None)]:
        if op is _constants.LITERAL:
            run.append(chr(value).lower())
            continue
        if run:
            options.append(frozenset({"".join(run)}))
            run = []
        if op is _constants.SUBPATTERN:
            inner = _sequence_anchors(list(value[3]))
            if inner:
                options.append(inner)
        elif op is _constants.BRANCH:
            branches = [_sequence_anchors(list(branch)) for branch in value[1]]
            if all(branches):
                options.append(frozenset().union(*branches))
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT) and value[0] >= 1:
            inner = _sequence_anchors(list(value[2]))
            if inner:
                options.append(inner)
    # The most selective choice: the one whose shortest anchor is longest.
    return max(options, key=lambda o: (min(map(len, o)), -len(o))) if options else None


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
