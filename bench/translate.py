"""Translation speed and memory: transformers vs CTranslate2 int8, batch sizes 1, 8 and 32.

The model is the full-size opus-mt-zh-en architecture (the real config and tokenizer from
``../shared/models/opus-mt-zh-en``) with random weights: the same compute as the real model,
but random weights never stop on their own, so every sentence is made to generate exactly
``--new-tokens`` tokens (min = max length), which makes the engines' work identical and the
figures comparable. The inputs are real Chinese sentences from the sample site's articles and seeds.

Each (backend, threads, batch size) is measured ``--repeats`` times, each time in a fresh
process: it loads the model, warms up on one batch, then translates max(8, batch size)
sentences in batches, sorted by length as the translator does. Runs are short and
interleaved (every configuration once, then again...) because other work shares the machine
and comes and goes: the 1-minute load average is sampled before every run. Reported:
sentences per second (median of the repeats, the translation loop only), model load time, and
the process's peak resident memory (its VmHWM: interpreter, libraries, model, inference).

Usage: .venv/bin/python bench/translate.py [--new-tokens 32] [--beams 4] [--threads 2 1]
       [--repeats 3] [--batch-sizes 1 8 32] [--out bench/results/translate.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

SHARED_MODEL = REPO_ROOT.parent / "shared" / "models" / "opus-mt-zh-en"
BACKENDS = ("transformers", "ctranslate2")


def sentences(count: int) -> list[str]:
    from enrich.sentences import split_sentences
    from enrich.translation.segments import HAN

    found: list[str] = []
    site = REPO_ROOT / "pipeline" / "sample_site"
    for path in sorted(site.glob("bodies/*-zh.txt")) + sorted(site.glob("seeds/*.txt")):
        found += [s for s in split_sentences(path.read_text(encoding="utf-8")) if len(HAN.findall(s)) >= 8]
    if len(found) < count:
        raise SystemExit(f"only {len(found)} Chinese sentences in the sample site, {count} asked for")
    return found[:count]


def build_models(directory: Path) -> tuple[Path, Path]:
    """The full-size random-weight model (transformers) and its CTranslate2 int8 conversion."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    from enrich.translation import convert_to_ctranslate2

    model_dir = directory / "opus-mt-zh-en-random"
    torch.manual_seed(0)
    MarianMTModel(MarianConfig.from_pretrained(SHARED_MODEL)).save_pretrained(model_dir)
    MarianTokenizer.from_pretrained(SHARED_MODEL).save_pretrained(model_dir)
    ct2_dir = convert_to_ctranslate2(model_dir, directory / "opus-mt-zh-en-random-ct2-int8", "int8")
    return model_dir, ct2_dir


def worker(args: argparse.Namespace) -> None:
    """One measurement, in its own process; prints one JSON line."""
    from transformers import MarianTokenizer

    texts = sentences(args.sentences)
    threads = args.threads[0]
    started = perf_counter()
    tokenizer = MarianTokenizer.from_pretrained(args.model_dir)
    if args.backend == "transformers":
        import torch
        from transformers import MarianMTModel

        torch.set_num_threads(threads)
        model = MarianMTModel.from_pretrained(args.model_dir).eval()

        def translate(batch: list[str]) -> None:
            inputs = tokenizer(batch, return_tensors="pt", padding=True)
            with torch.inference_mode():
                out = model.generate(
                    **inputs, num_beams=args.beams, do_sample=False,
                    min_new_tokens=args.new_tokens, max_new_tokens=args.new_tokens,
                )
            assert out.shape[1] == args.new_tokens + 1  # the decoder start token, then exactly N
    else:
        import ctranslate2

        model = ctranslate2.Translator(args.ct2_dir, device="cpu", compute_type="int8", intra_threads=threads)

        def translate(batch: list[str]) -> None:
            tokens = [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(batch).input_ids]
            results = model.translate_batch(
                tokens, beam_size=args.beams, max_input_length=0,
                min_decoding_length=args.new_tokens, max_decoding_length=args.new_tokens,
            )
            assert all(len(r.hypotheses[0]) == args.new_tokens for r in results)

    load_seconds = perf_counter() - started
    lengths = tokenizer(texts).input_ids
    ordered = [text for _, text in sorted(zip(map(len, lengths), texts, strict=True))]
    batches = [ordered[i : i + args.batch_size] for i in range(0, len(ordered), args.batch_size)]
    translate(batches[0][:1])  # warm-up
    started = perf_counter()
    for batch in batches:
        translate(batch)
    seconds = perf_counter() - started
    # This process's own peak: the high-water mark of its memory since exec (rusage's ru_maxrss
    # would also count the parent's pages it was forked from).
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    print(json.dumps({"seconds": seconds, "load_seconds": load_seconds, "sentences": len(texts),
                      "input_tokens": sum(map(len, lengths)), "peak_rss_mb": peak_kb / 1024}))


def measure(args: argparse.Namespace, config: tuple[str, int, int], model_dir: Path, ct2_dir: Path) -> dict:
    backend, threads, batch_size = config
    load = os.getloadavg()[0]
    command = [
        sys.executable, __file__, "--worker", "--backend", backend, "--batch-size", str(batch_size),
        "--model-dir", str(model_dir), "--ct2-dir", str(ct2_dir), "--sentences", str(max(8, batch_size)),
        "--new-tokens", str(args.new_tokens), "--beams", str(args.beams), "--threads", str(threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{backend} batch {batch_size} failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_average"] = load
    result["rate"] = max(8, batch_size) / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--beams", type=int, default=4, help="the translate.beams default")
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results" / "translate.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    parser.add_argument("--ct2-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        print("building the full-size random-weight model and its CTranslate2 int8 conversion…", flush=True)
        model_dir, ct2_dir = build_models(Path(tmp))
        sizes = {
            "transformers": sum(f.stat().st_size for f in model_dir.glob("*.safetensors")) / 2**20,
            "ctranslate2": (ct2_dir / "model.bin").stat().st_size / 2**20,
        }
        configs = [(b, t, s) for t in args.threads for s in args.batch_sizes for b in BACKENDS]
        runs: dict[tuple[str, int, int], list[dict]] = {config: [] for config in configs}
        for repeat in range(args.repeats):
            for config in configs:
                run = measure(args, config, model_dir, ct2_dir)
                runs[config].append(run)
                print(f"run {repeat + 1}: {config[0]:<12} {config[1]} thread(s) batch {config[2]:>2}: "
                      f"{run['rate']:6.2f} sentences/s, peak {run['peak_rss_mb']:.0f} MB, "
                      f"load average {run['load_average']:.2f}", flush=True)
    write_results(args, runs, sizes)


def write_results(args: argparse.Namespace, runs: dict[tuple[str, int, int], list[dict]], sizes: dict) -> None:
    def rate(config: tuple[str, int, int]) -> float:
        return statistics.median(run["rate"] for run in runs[config])

    def peak(config: tuple[str, int, int]) -> float:
        return max(run["peak_rss_mb"] for run in runs[config])

    loads = [run["load_average"] for config_runs in runs.values() for run in config_runs]
    largest = max(runs, key=lambda config: config[2])
    tokens = runs[largest][0]["input_tokens"] / runs[largest][0]["sentences"]
    lines = [
        "# Translation benchmark: transformers vs CTranslate2 int8",
        "",
        f"Command: `.venv/bin/python bench/translate.py --new-tokens {args.new_tokens} --beams {args.beams} "
        f"--threads {' '.join(map(str, args.threads))} --repeats {args.repeats} "
        f"--batch-sizes {' '.join(map(str, args.batch_sizes))}`  ",
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}), shared with other work: 1-minute load average "
        f"{min(loads):.2f}–{max(loads):.2f} (median {statistics.median(loads):.2f}) before the runs.",
        "",
        "Model: the full-size opus-mt-zh-en architecture (6+6 layers, d_model 512, vocabulary 65001) with random "
        f"weights; {sizes['transformers']:.0f} MB of float32 weights, {sizes['ctranslate2']:.0f} MB converted to "
        f"int8. Input: real Chinese sentences from the sample site ({tokens:.0f} tokens on average), max(8, batch) "
        f"per run, sorted by length into batches; each sentence generates exactly {args.new_tokens} tokens with "
        f"beam search of width {args.beams}. Sentences/s: median of {args.repeats} fresh processes (translation "
        "loop only, after a warm-up batch), runs interleaved across configurations. Peak RSS: the largest of the "
        "runs, whole process (Python, libraries, model, inference).",
        "",
        "| backend | threads | batch | sentences/s | vs transformers | runs (sentences/s) | load s | peak RSS MB "
        "| vs transformers |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for config in runs:
        backend, threads, size = config
        baseline = ("transformers", threads, size)
        each = ", ".join(f"{run['rate']:.2f}" for run in runs[config])
        load = statistics.median(run["load_seconds"] for run in runs[config])
        lines.append(
            f"| {backend} | {threads} | {size} | {rate(config):.2f} | {rate(config) / rate(baseline):.2f}× | {each} "
            f"| {load:.1f} | {peak(config):.0f} | {peak(config) / peak(baseline):.2f}× |"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
