"""The translator: Chinese texts in, complete English texts out, in the same order.

Every text is cut into segments the model can take (``segments``), organisation names are
protected (``entities``), segments already in the translation memory are taken from it, and
the rest go to the model in batches of similar length (less padding, so faster), each batch
remembered as soon as it is done. A segment the model fails on is retried alone, so one bad
segment costs only the texts it belongs to.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

from enrich.translation.backends import Backend, Hypothesis, load_backend
from enrich.translation.config import TranslatorConfig
from enrich.translation.entities import Name, NameFinder, between_names, find_names, unmask
from enrich.translation.memory import TranslationMemory, normalise
from enrich.translation.segments import HAN, Segment, segment_lines

# Chinese punctuation left in untranslated pieces (numbers, Latin names, brackets), in English.
_PUNCTUATION = str.maketrans(
    {"。": ".", "、": ",", "「": "“", "」": "”", "『": "‘", "』": "’", "《": "“", "》": "”", "【": "[",
     "】": "]"}
)
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+(?=[,.;:!?)\]”’])")


@dataclass(frozen=True)
class Failure:
    """A text that could not be translated, and why (one line)."""

    reason: str


@dataclass
class TranslationStats:
    segments: int = 0  # distinct segments needed (after de-duplication)
    from_memory: int = 0
    model_inputs: int = 0  # segments the model was given
    model_batches: int = 0
    unfinished: int = 0  # model outputs stopped by the length cap rather than by the model
    failed: int = 0
    names_protected: int = 0
    names_piecewise: int = 0  # segments whose names came back only by translating around them

    def add(self, other: TranslationStats) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def as_dict(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


class Translator:
    def __init__(
        self,
        backend: Backend,
        model_id: str,
        memory: TranslationMemory | None = None,
        names: NameFinder | None = None,
        batch_size: int = 16,
        max_input_tokens: int = 256,
    ):
        self.backend = backend
        self.model_id = model_id
        self.memory = memory if memory is not None else TranslationMemory()
        self.names = names
        self.batch_size = batch_size
        self.max_tokens = min(max_input_tokens, backend.max_input_tokens)
        self._lock = threading.Lock()  # one translation at a time: a model and SQLite handle each

    def translate(self, text: str) -> str:
        [result], _ = self.translate_each([text])
        if isinstance(result, Failure):
            raise RuntimeError(result.reason)
        return result

    def translate_each(self, texts: Sequence[str]) -> tuple[list[str | Failure], TranslationStats]:
        """Each text's English translation (or why not), in order, with what it took."""
        with self._lock:
            stats = TranslationStats()
            plans = [self._plan(text) for text in texts]
            segments = [s for plan in plans for line in plan for s in line if s.translatable]
            stats.names_protected = sum(len(s.names) for s in segments)
            first = self._translate_all({s.source for s in segments if self._needs_model(s)}, stats)
            pieces = {
                piece
                for s in segments
                if s.names and self._whole(s, first) is None
                for piece in between_names(s.text, s.names)
                if isinstance(piece, str) and HAN.search(piece)
            }
            second = self._translate_all(pieces, stats)
            done = {**first, **second}
            results: list[str | Failure] = []
            for plan in plans:
                try:
                    results.append("\n".join(" ".join(self._english(s, done, stats) for s in line) for line in plan))
                except _Untranslated as failure:
                    stats.failed += 1
                    results.append(Failure(str(failure)))
            return results, stats

    # -- planning ----------------------------------------------------------------------

    def _plan(self, text: str) -> list[list[Segment]]:
        return segment_lines(text, find_names(self.names, text), self._fits)

    def _fits(self, segment: Segment) -> bool:
        return self.backend.count_tokens([normalise(segment.source)])[0] <= self.max_tokens

    # -- the model, through the memory ---------------------------------------------------

    @staticmethod
    def _needs_model(segment: Segment) -> bool:
        """Whether the segment goes to the model whole (else: only the pieces between its names,
        or nothing when it holds no Chinese besides its names)."""
        return (not segment.names or segment.masked is not None) and bool(HAN.search(segment.source))

    def _translate_all(self, sources: Iterable[str], stats: TranslationStats) -> dict[str, str | Failure]:
        """Translations of the distinct normalised sources: remembered ones first, the rest by
        the model in batches of similar token length."""
        wanted = {normalise(source) for source in sources}
        stats.segments += len(wanted)
        done: dict[str, str | Failure] = dict(self.memory.lookup(self.model_id, wanted))
        stats.from_memory += len(done)
        missing = sorted(wanted - done.keys())
        lengths = dict(zip(missing, self.backend.count_tokens(missing), strict=True)) if missing else {}
        missing.sort(key=lambda source: lengths[source])
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            outputs = self._run_model(batch, stats)
            self.memory.remember(self.model_id, {s: o.text for s, o in outputs.items() if isinstance(o, Hypothesis)})
            done.update((s, o.text if isinstance(o, Hypothesis) else o) for s, o in outputs.items())
        return done

    def _run_model(self, batch: list[str], stats: TranslationStats) -> dict[str, Hypothesis | Failure]:
        try:
            stats.model_batches += 1
            stats.model_inputs += len(batch)
            hypotheses: list[Hypothesis | Failure] = list(self.backend.translate(batch))
        except Exception as problem:  # noqa: BLE001 - retried one by one to find the culprit
            if len(batch) == 1:
                return {batch[0]: Failure(f"{type(problem).__name__}: {problem}".splitlines()[0])}
            stats.model_inputs -= len(batch)
            results: dict[str, Hypothesis | Failure] = {}
            for source in batch:
                results.update(self._run_model([source], stats))
            return results
        stats.unfinished += sum(1 for h in hypotheses if isinstance(h, Hypothesis) and not h.finished)
        return dict(zip(batch, hypotheses, strict=True))

    # -- putting it back together ----------------------------------------------------------

    def _whole(self, segment: Segment, done: dict[str, str | Failure]) -> str | Failure | None:
        """The segment's translation in one piece, or why the model failed on it; None when it
        must be translated around its names (they could not be masked, or did not come back)."""
        if segment.names and segment.masked is None:
            return None
        if not HAN.search(segment.source):  # nothing Chinese but the names: no model needed
            return unmask(_as_english_text(segment.source), segment.names)
        translation = done.get(normalise(segment.source))
        if translation is None or isinstance(translation, Failure) or not segment.names:
            return translation
        return unmask(translation, segment.names)

    def _english(self, segment: Segment, done: dict[str, str | Failure], stats: TranslationStats) -> str:
        if not segment.translatable:
            return _as_english_text(segment.text)
        whole = self._whole(segment, done)
        if isinstance(whole, Failure):
            raise _Untranslated(whole.reason)
        if whole is not None:
            return whole
        stats.names_piecewise += 1
        parts = []
        for piece in between_names(segment.text, segment.names):
            if isinstance(piece, Name):
                parts.append(piece.english)
            elif HAN.search(piece):
                translation = done[normalise(piece)]
                if isinstance(translation, Failure):
                    raise _Untranslated(translation.reason)
                parts.append(translation)
            else:
                parts.append(_as_english_text(piece))
        return _SPACE_BEFORE_PUNCTUATION.sub("", " ".join(part.strip() for part in parts if part.strip()))


class _Untranslated(Exception):
    pass


def _as_english_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_PUNCTUATION).strip()


def build_translator(config: TranslatorConfig, names: NameFinder | None = None) -> Translator:
    """A translator for ``config``, its model loaded now (TranslatorUnavailable if it cannot be)."""
    return Translator(
        load_backend(config),
        model_id=config.model,
        memory=TranslationMemory(config.memory_path),
        names=names,
        batch_size=config.batch_size,
        max_input_tokens=config.max_input_tokens,
    )
