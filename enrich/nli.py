"""The zero-shot layer: a multilingual natural-language-inference model asked, for each event
type, whether the article entails that type's hypothesis (``hypothesis`` in
``data/event_types.yaml``, in the article's language). Each type is scored on its own
(entailment against contradiction), so an article can have several types or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from enrich.events import EventType
from enrich.models import ModelUnavailable, resolve_model

ZERO_SHOT_LAYER = "zero_shot"


class ZeroShotLayer:
    name = ZERO_SHOT_LAYER

    def __init__(self, pipe, event_types: dict[str, EventType], threshold: float, batch_size: int = 8):
        self.pipe = pipe
        self.event_types = event_types
        self.default_threshold = threshold
        self.batch_size = batch_size

    def threshold(self, label: str) -> float:
        return self.default_threshold

    def scores(self, texts: Sequence[str], langs: Sequence[str]) -> list[dict[str, float]]:
        """Entailment probability of each event type's hypothesis, per text."""
        results: list[dict[str, float]] = [{} for _ in texts]
        for lang in sorted(set(langs)):
            indexes = [i for i, text_lang in enumerate(langs) if text_lang == lang]
            hypotheses = {
                (t.hypothesis_zh if lang == "zh" else t.hypothesis_en): name for name, t in self.event_types.items()
            }
            outputs = self.pipe(
                [texts[i] for i in indexes],
                candidate_labels=list(hypotheses),
                hypothesis_template="{}",
                multi_label=True,
                batch_size=self.batch_size,
            )
            if isinstance(outputs, dict):
                outputs = [outputs]
            for index, output in zip(indexes, outputs, strict=True):
                results[index] = {
                    hypotheses[hypothesis]: float(score)
                    for hypothesis, score in zip(output["labels"], output["scores"], strict=True)
                }
        return results


@lru_cache(maxsize=4)
def load_zero_shot_pipeline(model: str, device: str, max_length: int):
    """The transformers zero-shot pipeline for ``model`` (Hub id or local directory), loaded
    once per process. ModelUnavailable when it cannot be found or is not an NLI model."""
    path = resolve_model(model)
    from transformers import pipeline

    try:
        pipe = pipeline("zero-shot-classification", model=path, device=device)
    except Exception as problem:  # noqa: BLE001 - corrupt files, unknown architecture...
        raise ModelUnavailable(f"{model}: cannot be loaded ({type(problem).__name__}: {problem})") from None
    if pipe.entailment_id < 0:
        raise ModelUnavailable(f"{model}: its config has no 'entailment' label: not an NLI model")
    pipe.tokenizer.model_max_length = max_length
    return pipe
