"""How extracted text is scored against ground truth.

Token level (bag of tokens, as the Article Extraction Benchmark scores): lower-cased words
for space-delimited languages; single characters for Chinese and Japanese, which have no
spaces (punctuation and whitespace are never tokens). trafilatura's own set has snippets
instead of a full text: a must-contain snippet found is a true positive, one missing a false
negative, a must-not-contain snippet found a false positive (its own evaluation's rules).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

CHARACTER_LEVEL = {"zh", "ja"}
_WORD = re.compile(r"\w+")


def tokens(text: str, lang: str | None) -> Counter[str]:
    text = unicodedata.normalize("NFKC", text or "").lower()
    if lang in CHARACTER_LEVEL:
        return Counter(char for char in text if char.isalnum())
    return Counter(_WORD.findall(text))


@dataclass
class Counts:
    """True positives, false positives and false negatives, summed over pages."""

    tp: float = 0.0
    fp: float = 0.0
    fn: float = 0.0

    def __iadd__(self, other: Counts) -> Counts:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def text_counts(predicted: str, truth: str, lang: str | None) -> Counts:
    got, want = tokens(predicted, lang), tokens(truth, lang)
    common = sum((got & want).values())
    return Counts(tp=common, fp=sum(got.values()) - common, fn=sum(want.values()) - common)


def snippet_counts(predicted: str, must_have: tuple[str, ...], must_not_have: tuple[str, ...]) -> Counts:
    flat = " ".join((predicted or "").split())
    found = sum(1 for snippet in must_have if " ".join(snippet.split()) in flat)
    leaked = sum(1 for snippet in must_not_have if " ".join(snippet.split()) in flat)
    return Counts(tp=found, fp=leaked, fn=len(must_have) - found)


@dataclass
class PageScore:
    """Per-page precision/recall/F1, for macro averages (each page counts once)."""

    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, counts: Counts) -> PageScore:
        return cls(counts.precision, counts.recall, counts.f1)
