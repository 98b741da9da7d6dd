"""Event classification quality on the team's labelled leads (bench/data/leads.jsonl).

For each layer that can be measured here, and for the combination: per-label precision,
recall and F1, and macro-F1, overall and per language. The rules layer is evaluated on every
lead. The supervised head (real all-MiniLM-L6-v2 embeddings) is evaluated by k-fold
cross-validation: for each fold it is trained, with train-classifier's own code (thresholds
chosen on a validation split of the training part), on the other folds and tested on this
one, so every lead is predicted by a head that never saw it. The zero-shot layer cannot be
measured: its weights cannot be downloaded on this machine. Also measured on the rules path
(the configuration a fresh install runs): status accuracy, party precision/recall and
deal-amount accuracy against the leads' gold annotations.

Run:  .venv/bin/python bench/events_quality.py [--folds 5] [--out bench/results/events_quality.md]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from enrich.amounts import FxRates  # noqa: E402
from enrich.analyser import AnalyserConfig, ArticleAnalyser, build_analyser  # noqa: E402
from enrich.classifier import ArticleText, EventClassifier, model_input  # noqa: E402
from enrich.head import HEAD_LAYER, HeadLayer, LabelledExample, load_embedder, split_examples, train_head  # noqa: E402
from enrich.rules import Sentences  # noqa: E402
from pipeline.config import FxSettings  # noqa: E402

LEADS = REPO / "bench" / "data" / "leads.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "events_quality.md")
    args = parser.parse_args()

    leads = [json.loads(line) for line in LEADS.read_text(encoding="utf-8").splitlines() if line.strip()]
    fx = FxSettings()
    analyser = build_analyser(AnalyserConfig(fx=FxRates.of(fx.usd_per_unit, fx.as_of)))  # rules only
    labels = list(analyser.classifier.rules.event_types)
    texts = [ArticleText(lead["title"], lead["text"], lead["lang"]) for lead in leads]
    gold = [set(lead["labels"]) for lead in leads]

    started = time.perf_counter()
    rules_mentions = analyser.analyse(texts)
    rules_seconds = time.perf_counter() - started
    predictions = {"rules": [{m.type for m in mentions} for mentions in rules_mentions]}

    head_rows, combined_rows = cross_validate(leads, texts, analyser, labels, args.folds, args.seed)
    predictions["head (5-fold CV)" if args.folds == 5 else f"head ({args.folds}-fold CV)"] = head_rows
    predictions["rules + head (combined, CV)"] = combined_rows

    lines = [
        "# Event classification quality",
        "",
        f"Command: `.venv/bin/python bench/events_quality.py --folds {args.folds} --seed {args.seed}`",
        "",
        f"Data: `bench/data/leads.jsonl`, {len(leads)} news leads written by the team "
        f"({sum(1 for lead in leads if lead['lang'] == 'en')} English, "
        f"{sum(1 for lead in leads if lead['lang'] == 'zh')} Chinese; "
        f"{sum(1 for g in gold if not g)} with no event). See `bench/data/leads.md`.",
        "",
    ]
    for layer, predicted in predictions.items():
        lines += report(layer, labels, gold, predicted, [lead["lang"] for lead in leads])
    lines += [
        "## zero_shot (not measured)",
        "",
        "The zero-shot layer (default `MoritzLaurer/mDeBERTa-v3-base-mnli-xnli`) could not be",
        "measured: no model weights can be downloaded on this machine. Its code path is tested",
        "with a tiny random-weight NLI model built locally, which says nothing about quality.",
        "",
    ]
    lines += extraction_report(leads, rules_mentions)
    lines += [
        "## Speed of this evaluation",
        "",
        f"Rules path (classification, status, parties, amounts) over the {len(leads)} leads: "
        f"{rules_seconds:.2f} s. Throughput on full articles is in `events_speed.md`.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def cross_validate(
    leads: list[dict], texts: list[ArticleText], analyser: ArticleAnalyser, labels: list[str], folds: int, seed: int
) -> tuple[list[set[str]], list[set[str]]]:
    """Head-alone and rules+head predictions for every lead, each from a head trained
    without it (k folds by a deterministic shuffle, stratified like train-classifier)."""
    embedder = load_embedder(None, "cpu")
    examples = [
        LabelledExample(lead["id"], model_input(Sentences.of(t.title, t.text)), t.lang, frozenset(lead["labels"]))
        for lead, t in zip(leads, texts, strict=True)
    ]
    index = {lead["id"]: i for i, lead in enumerate(leads)}
    fold_of = assign_folds(examples, folds, seed)
    head_rows: list[set[str]] = [set() for _ in leads]
    combined_rows: list[set[str]] = [set() for _ in leads]
    for fold in range(folds):
        train = [e for e in examples if fold_of[e.id] != fold]
        test = [e for e in examples if fold_of[e.id] == fold]
        split = split_examples(train, 0.25, seed)
        held = [texts[index[e.id]] for e in split.validation]
        other = [s.layers for s in analyser.classifier.score(held)]
        head = train_head(split, labels, embedder, other)
        layer = HeadLayer(head, embedder)
        combined = EventClassifier(analyser.classifier.rules, [layer], head.combined_thresholds)
        test_texts = [texts[index[e.id]] for e in test]
        head_scores = layer.scores([e.text for e in test], [e.lang for e in test])
        for example, scores, decisions in zip(test, head_scores, combined.classify(test_texts), strict=True):
            i = index[example.id]
            head_rows[i] = {label for label, score in scores.items() if score >= layer.threshold(label)}
            combined_rows[i] = {d.type for d in decisions}
    return head_rows, combined_rows


def assign_folds(examples: list[LabelledExample], folds: int, seed: int) -> dict[str, int]:
    """Every example's fold, so that each (language, first label) group is spread evenly."""
    import random

    groups: dict[tuple[str, str], list[LabelledExample]] = defaultdict(list)
    for example in sorted(examples, key=lambda e: e.id):
        groups[(example.lang, min(example.labels, default=""))].append(example)
    rng = random.Random(seed)
    fold_of, position = {}, 0
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        for member in members:
            fold_of[member.id] = position % folds
            position += 1
    return fold_of


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def report(layer: str, labels: list[str], gold: list[set[str]], predicted: list[set[str]], langs: list[str]) -> list[str]:
    lines = [f"## {layer}", "", "| label | support | precision | recall | F1 |", "| --- | ---: | ---: | ---: | ---: |"]
    f1s = []
    for label in labels:
        tp = sum(label in g and label in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(label not in g and label in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(label in g and label not in p for g, p in zip(gold, predicted, strict=True))
        precision, recall, f1 = prf(tp, fp, fn)
        f1s.append(f1)
        lines.append(f"| {label} | {tp + fn} | {precision:.2f} | {recall:.2f} | {f1:.2f} |")
    lines.append(f"| **macro** | | | | **{sum(f1s) / len(f1s):.2f}** |")
    by_lang = []
    for lang in sorted(set(langs)):
        keep = [i for i, code in enumerate(langs) if code == lang]
        f1s_lang = []
        for label in labels:
            tp = sum(label in gold[i] and label in predicted[i] for i in keep)
            fp = sum(label not in gold[i] and label in predicted[i] for i in keep)
            fn = sum(label in gold[i] and label not in predicted[i] for i in keep)
            f1s_lang.append(prf(tp, fp, fn)[2])
        none_right = sum(not gold[i] and not predicted[i] for i in keep)
        none_total = sum(not gold[i] for i in keep)
        by_lang.append(f"{lang}: macro-F1 {sum(f1s_lang) / len(f1s_lang):.2f}, no-event leads left unlabelled "
                       f"{none_right}/{none_total}")
    exact = sum(g == p for g, p in zip(gold, predicted, strict=True))
    lines += ["", f"Exact label sets: {exact}/{len(gold)}. " + "; ".join(by_lang) + ".", ""]
    return lines


def extraction_report(leads: list[dict], mentions: list[list]) -> list[str]:
    status_right = status_total = 0
    party_tp = party_fp = party_fn = 0
    amount_right = amount_total = amount_spurious = 0
    for lead, found in zip(leads, mentions, strict=True):
        if not lead["labels"]:
            continue
        primary = next((m for m in found if m.type == lead["labels"][0]), None)
        if primary is not None:
            status_total += 1
            status_right += primary.status == lead["status"]
        gold_parties = {name.casefold() for name in lead.get("parties", [])}
        found_parties = {p.name.casefold() for m in found for p in m.parties if p.role != "regulator"}
        if gold_parties:
            party_tp += len(gold_parties & found_parties)
            party_fp += len(found_parties - gold_parties)
            party_fn += len(gold_parties - found_parties)
        amount = next((m.amount for m in found if m.amount is not None), None)
        if lead.get("amount"):
            amount_total += 1
            want = lead["amount"]
            amount_right += bool(
                amount and amount.currency == want["currency"] and abs(amount.value - want["value"]) <= 0.02 * want["value"]
            )
        elif amount is not None and found:
            amount_spurious += 1
    precision, recall, f1 = prf(party_tp, party_fp, party_fn)
    return [
        "## Status, parties and amounts (rules path)",
        "",
        f"- Status of the lead's main event, where the rules found that event: {status_right}/{status_total} "
        f"({status_right / max(status_total, 1):.0%}) right.",
        f"- Parties (canonical names, regulators aside) on leads with gold parties: precision {precision:.2f}, "
        f"recall {recall:.2f}, F1 {f1:.2f} ({party_tp} right, {party_fp} extra, {party_fn} missed).",
        f"- Deal amount, where the lead states one: {amount_right}/{amount_total} right (currency and value "
        f"within 2%); an amount reported on a lead whose gold has none: {amount_spurious}.",
        "",
    ]


if __name__ == "__main__":
    main()
