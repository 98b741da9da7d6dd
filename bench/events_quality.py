"""Event classification quality on the team's labelled leads (see bench/data/leads.md).

Two sets. The development set (leads.jsonl) is the one the supervised head is trained on and
whose errors were read while the triggers were revised; the held-out set
(leads-holdout.jsonl) was written after the last trigger change and is only ever scored.

For each layer that can be measured here, and for the combination: per-label precision,
recall and F1, and macro-F1, overall and per language. On the development set the
supervised head (real all-MiniLM-L6-v2 embeddings) is evaluated by k-fold cross-validation:
for each fold it is trained, with train-classifier's own code (thresholds chosen on a
validation split of the training part), on the other folds and tested on this one. On the
held-out set, the head is trained the same way on the whole development set. The zero-shot
layer cannot be measured: its weights cannot be downloaded on this machine. Also measured on
the rules path (the configuration a fresh install runs): status accuracy, party
precision/recall and deal-amount accuracy against the leads' gold annotations.

Run:  .venv/bin/python bench/events_quality.py [--folds 5] [--out bench/results/events_quality.md]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from enrich.amounts import FxRates  # noqa: E402
from enrich.analyser import AnalyserConfig, ArticleAnalyser, build_analyser  # noqa: E402
from enrich.classifier import ArticleText, EventClassifier, model_input  # noqa: E402
from enrich.head import HeadLayer, LabelledExample, assign_folds, load_embedder, split_examples, train_head  # noqa: E402
from enrich.rules import Sentences  # noqa: E402
from pipeline.config import FxSettings  # noqa: E402

LEADS = REPO / "bench" / "data" / "leads.jsonl"
HOLDOUT = REPO / "bench" / "data" / "leads-holdout.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "events_quality.md")
    args = parser.parse_args()

    leads, holdout = read_leads(LEADS), read_leads(HOLDOUT)
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
    predictions[f"head ({args.folds}-fold cross-validation)"] = head_rows
    predictions["rules + head combined (cross-validation)"] = combined_rows

    holdout_texts = [ArticleText(lead["title"], lead["text"], lead["lang"]) for lead in holdout]
    holdout_mentions = analyser.analyse(holdout_texts)
    head_rows, combined_rows = train_and_test(leads, texts, holdout_texts, analyser, labels, args.seed)
    holdout_predictions = {
        "rules": [{m.type for m in mentions} for mentions in holdout_mentions],
        "head (trained on the development set)": head_rows,
        "rules + head combined": combined_rows,
    }

    lines = [
        "# Event classification quality",
        "",
        f"Command: `.venv/bin/python bench/events_quality.py --folds {args.folds} --seed {args.seed}`",
        "",
        describe("Development set", leads, "bench/data/leads.jsonl"),
        describe("Held-out set", holdout, "bench/data/leads-holdout.jsonl"),
        "",
        "# Held-out set (written after the last trigger change, never used for tuning)",
        "",
    ]
    for layer, predicted in holdout_predictions.items():
        lines += report(f"held-out: {layer}", labels, [set(l["labels"]) for l in holdout], predicted,
                        [l["lang"] for l in holdout])
    lines += extraction_report("held-out", holdout, holdout_mentions)
    lines += ["# Development set", ""]
    for layer, predicted in predictions.items():
        lines += report(f"development: {layer}", labels, gold, predicted, [lead["lang"] for lead in leads])
    lines += extraction_report("development", leads, rules_mentions)
    lines += [
        "## zero_shot (not measured)",
        "",
        "The zero-shot layer (default `MoritzLaurer/mDeBERTa-v3-base-mnli-xnli`) could not be",
        "measured: no model weights can be downloaded on this machine. Its code path is tested",
        "with a tiny random-weight NLI model built locally, which says nothing about quality.",
        "",
        "## Speed of this evaluation",
        "",
        f"Rules path (classification, status, parties, amounts) over the {len(leads)} development leads: "
        f"{rules_seconds:.2f} s, first call included. Throughput on full articles is in `events_speed.md`.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def read_leads(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def describe(name: str, leads: list[dict], path: str) -> str:
    english = sum(1 for lead in leads if lead["lang"] == "en")
    none = sum(1 for lead in leads if not lead["labels"])
    return (f"- {name}: `{path}`, {len(leads)} leads ({english} English, {len(leads) - english} Chinese; "
            f"{none} report no event).")


def train_and_test(
    leads: list[dict], texts: list[ArticleText], test: list[ArticleText], analyser: ArticleAnalyser,
    labels: list[str], seed: int,
) -> tuple[list[set[str]], list[set[str]]]:
    """A head trained on every development lead as train-classifier does, scored on ``test``."""
    examples = labelled_examples(leads, texts)
    head = fit_head(examples, dict(zip((l["id"] for l in leads), texts, strict=True)), analyser, labels, seed)
    return predict(head, analyser, test)


def cross_validate(
    leads: list[dict], texts: list[ArticleText], analyser: ArticleAnalyser, labels: list[str], folds: int, seed: int
) -> tuple[list[set[str]], list[set[str]]]:
    """Head-alone and rules+head predictions for every lead, each from a head trained
    without it (k folds by a deterministic shuffle, stratified like train-classifier)."""
    examples = labelled_examples(leads, texts)
    by_id = dict(zip((lead["id"] for lead in leads), texts, strict=True))
    fold_of = assign_folds(examples, folds, seed)
    head_rows: dict[str, set[str]] = {}
    combined_rows: dict[str, set[str]] = {}
    for fold in range(folds):
        head = fit_head([e for e in examples if fold_of[e.id] != fold], by_id, analyser, labels, seed)
        test = [e.id for e in examples if fold_of[e.id] == fold]
        for id_, alone, combined in zip(test, *predict(head, analyser, [by_id[i] for i in test]), strict=True):
            head_rows[id_], combined_rows[id_] = alone, combined
    return [head_rows[lead["id"]] for lead in leads], [combined_rows[lead["id"]] for lead in leads]


def labelled_examples(leads: list[dict], texts: list[ArticleText]) -> list[LabelledExample]:
    return [
        LabelledExample(lead["id"], model_input(Sentences.of(t.title, t.text)), t.lang, frozenset(lead["labels"]))
        for lead, t in zip(leads, texts, strict=True)
    ]


def fit_head(
    examples: list[LabelledExample], texts: dict[str, ArticleText], analyser: ArticleAnalyser, labels: list[str],
    seed: int,
) -> HeadLayer:
    """What train-classifier does: a validation split, the head, its thresholds."""
    embedder = load_embedder(None, "cpu")
    split = split_examples(examples, 0.25, seed)
    other = [s.layers for s in analyser.classifier.score([texts[e.id] for e in split.validation])]
    return HeadLayer(train_head(split, labels, embedder, other), embedder)


def predict(head: HeadLayer, analyser: ArticleAnalyser, test: list[ArticleText]) -> tuple[list[set[str]], list[set[str]]]:
    """The head's own decisions, and the decisions of the rules and head combined."""
    scores = head.scores([model_input(Sentences.of(t.title, t.text)) for t in test], [t.lang for t in test])
    alone = [{label for label, score in row.items() if score >= head.threshold(label)} for row in scores]
    combined = EventClassifier(analyser.classifier.rules, [head], head.model.combined_thresholds)
    return alone, [{d.type for d in decisions} for decisions in combined.classify(test)]


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


def extraction_report(name: str, leads: list[dict], mentions: list[list]) -> list[str]:
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
        f"## {name}: status, parties and amounts (rules path)",
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
