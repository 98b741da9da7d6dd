"""Duplicate-detection benchmark: which shingle size and threshold tell copies from
look-alikes, measured on the labelled texts of ``tests/enrich/labelled_pairs.py``.

For every pair of labelled texts, the MinHash estimate of the Jaccard similarity of their
shingle sets (``enrich.dedupe.similarity``) is compared with each threshold; a pair at or
above it is called a copy. Precision and recall are over pairs.

Usage (from the repository root):

    .venv/bin/python -m bench.duplicates     # writes bench/results/duplicates.md
"""

from __future__ import annotations

import itertools
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from datasketch import LeanMinHash, MinHashLSH

from bench.corpora import load_all
from enrich.dedupe import DedupeParams, minhash
from pipeline.config import DedupeSettings
from tests.enrich.labelled_pairs import LabelledText, labelled_texts

RESULTS = Path(__file__).parent / "results" / "duplicates.md"
COMMAND = ".venv/bin/python -m bench.duplicates"
THRESHOLDS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
SHINGLE_SIZES = [1, 2, 3, 4, 5]


def similarities(texts: list[LabelledText], params: DedupeParams) -> dict[tuple[int, int], float]:
    sketches: list[LeanMinHash] = [minhash(text.text, params) for text in texts]
    return {(i, j): sketches[i].jaccard(sketches[j]) for i, j in itertools.combinations(range(len(texts)), 2)}


def sweep(texts: list[LabelledText], scores: dict[tuple[int, int], float], threshold: float) -> tuple[float, float, list[str]]:
    tp = fp = fn = 0
    false_positives = []
    for (i, j), score in scores.items():
        same = texts[i].group == texts[j].group
        called = score >= threshold
        tp += same and called
        fp += called and not same
        fn += same and not called
        if called and not same:
            false_positives.append(f"{texts[i].name} ~ {texts[j].name} ({score:.2f})")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, false_positives


def corpus_scan(params: DedupeParams) -> list[str]:
    """Every pair of real article texts in the corpora that the configured detector calls
    copies: the precision check at scale (a pair of different articles here is an error)."""
    pages = [page for page in load_all() if page.is_article and page.truth_text and len(page.truth_text) >= 300]
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm)
    sketches = {}
    for index, page in enumerate(pages):
        sketches[index] = minhash(page.truth_text or "", params)
        lsh.insert(index, sketches[index])
    found = []
    for index, sketch in sketches.items():
        for other in lsh.query(sketch):
            score = sketch.jaccard(sketches[other])
            if other > index and score >= params.threshold:
                first, second = pages[index], pages[other]
                found.append(f"| {score:.2f} | {first.corpus} {first.url or first.id} | {second.corpus} {second.url or second.id} |")
    pairs = len(pages) * (len(pages) - 1) // 2
    return [
        "## Real corpora: every pair called a copy at the configured settings",
        "",
        f"{len(pages)} article texts of the corpora (ground truth, 300 characters or more), {pairs:,} pairs.",
        "Each pair listed is one article saved twice: at the same address (another crawl or",
        "benchmark), or one Spiegel story re-headlined under a new address. Any other pair would be",
        "a false positive.",
        "",
        "| similarity | one | other |",
        "| ---: | --- | --- |",
        *sorted(found, reverse=True),
    ]


def main() -> int:
    started = time.perf_counter()
    texts = labelled_texts()
    configured = DedupeSettings()
    positives = sum(1 for a, b in itertools.combinations(texts, 2) if a.group == b.group)
    lines = [
        "# Duplicate detection: shingles and threshold",
        "",
        f"Reproduce: `{COMMAND}` (from the repository root). Run on {datetime.now(UTC):%Y-%m-%d}.",
        "",
        f"{len(texts)} labelled texts (see `tests/enrich/labelled_pairs.py`), {positives} copy pairs among "
        f"{len(texts) * (len(texts) - 1) // 2} pairs. MinHash with {configured.num_perm} permutations.",
        f"Configured: shingles of {configured.shingle_size} tokens, threshold {configured.threshold}.",
        "",
        "| shingle tokens | threshold | precision | recall | F1 |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    notes = []
    for size in SHINGLE_SIZES:
        params = DedupeParams(threshold=0.5, num_perm=configured.num_perm, shingle_size=size)
        scores = similarities(texts, params)
        for threshold in THRESHOLDS:
            precision, recall, false_positives = sweep(texts, scores, threshold)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            mark = " **configured**" if (size, threshold) == (configured.shingle_size, configured.threshold) else ""
            lines.append(f"| {size} | {threshold} | {precision:.3f} | {recall:.3f} | {f1:.3f}{mark} |")
        by_name = {text.name: index for index, text in enumerate(texts)}
        seed = scores[(by_name["seed003/line7"], by_name["seed003/line10"])]
        look_alikes = [
            scores[tuple(sorted((i, j)))]  # type: ignore[index]
            for i, a in enumerate(texts)
            for j, b in enumerate(texts)
            if i < j and a.name.startswith("aeb/") and b.name.startswith("aeb/") and a.group != b.group
            and a.group.startswith("aeb/") and b.group.startswith("aeb/")
        ]
        copies = [score for (i, j), score in scores.items() if texts[i].group == texts[j].group and texts[i].group != "seed003"]
        notes.append(
            f"- {size}-token shingles: seed 003's pair {seed:.2f}; same story, independent write-ups up to "
            f"{max(look_alikes):.2f}; copies from {min(copies):.2f}"
        )
    lines += ["", "Similarities of the hard cases:", "", *notes, ""]
    lines += [*corpus_scan(configured.params()), "", f"({time.perf_counter() - started:.0f} s)", ""]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    sys.stdout.write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
