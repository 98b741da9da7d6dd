"""The engines that run a MarianMT model: transformers (PyTorch) or CTranslate2 (int8 on CPU).

Both take the same model (a Hugging Face id or a local directory) and its SentencePiece
tokenizer, and answer the same two questions: how many tokens is this text, and what is its
translation. Loading is where things go wrong (no network, no such directory, no GPU): every
such problem is a ``TranslatorUnavailable`` with a one-line reason.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from enrich.translation.config import TranslatorConfig

# What a Marian checkout holds besides weights; copied into a CTranslate2 conversion so that
# directory alone is enough to translate.
TOKENIZER_FILES = ("source.spm", "target.spm", "vocab.json", "target_vocab.json", "tokenizer_config.json")
_HUB_FILES = (*TOKENIZER_FILES, "config.json", "generation_config.json", "special_tokens_map.json")


class TranslatorUnavailable(Exception):
    """The translation model cannot be loaded; the message says which and why, in one line."""


@dataclass(frozen=True)
class Hypothesis:
    text: str
    finished: bool = True  # False: generation stopped at the length cap, not at end of sentence


class Backend(Protocol):
    """A loaded model: the only part of translation that runs a neural network."""

    name: str
    max_input_tokens: int  # the model's own limit, end-of-sentence token included

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def translate(self, texts: Sequence[str]) -> list[Hypothesis]:
        """One batch, translated in order, deterministically."""


def load_backend(config: TranslatorConfig) -> Backend:
    """The configured backend, loaded, or TranslatorUnavailable."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar per load would interleave with the CLI's own output
    try:
        if config.backend == "ctranslate2":
            return CTranslate2Backend(config)
        return TransformersBackend(resolve_model_dir(config.model), config)
    except TranslatorUnavailable:
        raise
    except Exception as problem:  # noqa: BLE001 - corrupt weights, wrong architecture, out of memory
        raise TranslatorUnavailable(f"{config.model}: cannot be loaded: {_one_line(problem)}") from None


class TransformersBackend:
    name = "transformers"

    def __init__(self, model_dir: Path, config: TranslatorConfig):
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        if config.device != "cpu" and not torch.cuda.is_available():
            raise TranslatorUnavailable(f"device {config.device} requested, but PyTorch sees no CUDA device")
        if config.threads:
            torch.set_num_threads(config.threads)  # process-wide: PyTorch has one CPU thread pool
        self.config = config
        self.tokenizer = MarianTokenizer.from_pretrained(model_dir)
        self.model = MarianMTModel.from_pretrained(model_dir).to(config.device).eval()
        self.max_input_tokens = min(self.tokenizer.model_max_length, self.model.config.max_position_embeddings)
        self._torch = torch

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.tokenizer(list(texts)).input_ids]

    def translate(self, texts: Sequence[str]) -> list[Hypothesis]:
        batch = self.tokenizer(list(texts), return_tensors="pt", padding=True).to(self.config.device)
        with self._torch.inference_mode():
            output = self.model.generate(
                **batch,
                num_beams=self.config.beams,
                do_sample=False,
                max_new_tokens=output_cap(batch["input_ids"].shape[1], self.max_input_tokens),
            )
        eos = self.model.generation_config.eos_token_id
        texts_out = self.tokenizer.batch_decode(output, skip_special_tokens=True)
        return [
            Hypothesis(text.strip(), finished=bool((sequence[1:] == eos).any()))
            for text, sequence in zip(texts_out, output, strict=True)
        ]


class CTranslate2Backend:
    name = "ctranslate2"

    def __init__(self, config: TranslatorConfig):
        import ctranslate2
        from transformers import MarianTokenizer

        ct2_dir = config.ct2_dir
        if ct2_dir is None:
            raise TranslatorUnavailable("the ctranslate2 backend needs translate.ct2_dir")
        device, _, index = config.device.partition(":")
        if device == "cuda" and ctranslate2.get_cuda_device_count() <= int(index or 0):
            raise TranslatorUnavailable(f"device {config.device} requested, but CTranslate2 sees no such CUDA device")
        if not (ct2_dir / "model.bin").is_file():
            convert_to_ctranslate2(resolve_model_dir(config.model), ct2_dir, config.quantization)
        # A conversion made without --copy_files has no tokenizer: the model's own then.
        tokenizer_dir = ct2_dir if (ct2_dir / "source.spm").is_file() else resolve_model_dir(config.model)
        self.config = config
        self.tokenizer = MarianTokenizer.from_pretrained(tokenizer_dir)
        self.translator = ctranslate2.Translator(
            str(ct2_dir),
            device=device,
            device_index=int(index or 0),
            compute_type=config.quantization,
            intra_threads=config.threads,
        )
        self.max_input_tokens = self.tokenizer.model_max_length

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in self.tokenizer(list(texts)).input_ids]

    def translate(self, texts: Sequence[str]) -> list[Hypothesis]:
        tokenizer = self.tokenizer
        sources = [tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(list(texts)).input_ids]
        results = self.translator.translate_batch(
            sources,
            beam_size=self.config.beams,
            max_input_length=0,  # inputs are chunked under the limit already; never cut here
            max_decoding_length=output_cap(max(map(len, sources)), self.max_input_tokens),
            return_end_token=True,
        )
        hypotheses = []
        for result in results:
            tokens = result.hypotheses[0]
            finished = bool(tokens) and tokens[-1] == tokenizer.eos_token
            ids = tokenizer.convert_tokens_to_ids(tokens)
            hypotheses.append(Hypothesis(tokenizer.decode(ids, skip_special_tokens=True).strip(), finished))
        return hypotheses


def output_cap(input_tokens: int, limit: int) -> int:
    """Generated tokens allowed for an input this long: far more than any real translation
    needs (so a translation is never cut short), little enough to stop a degenerate loop."""
    return min(limit, 3 * input_tokens + 16)


def convert_to_ctranslate2(model_dir: Path, output_dir: Path, quantization: str) -> Path:
    """The CTranslate2 conversion of a Marian model directory, tokenizer files included; the
    same as ``ct2-transformers-converter --model MODEL --output_dir OUT --quantization Q
    --copy_files source.spm target.spm vocab.json tokenizer_config.json``."""
    from ctranslate2.converters import TransformersConverter

    partial = output_dir.with_name(output_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    copy = [name for name in TOKENIZER_FILES if (model_dir / name).is_file()]
    TransformersConverter(str(model_dir), copy_files=copy).convert(str(partial), quantization=quantization)
    shutil.rmtree(output_dir, ignore_errors=True)
    os.replace(partial, output_dir)  # a conversion killed halfway is never mistaken for a model
    return output_dir


def resolve_model_dir(model: str) -> Path:
    """A local directory holding ``model``: the directory itself, or its Hugging Face cache
    snapshot, downloaded first when the Hub can be reached. Loading by id without a network
    would otherwise spend half a minute in retries: one quick request tells first."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    if path.is_absolute() or model.startswith((".", "~")) or not re.fullmatch(r"([\w.-]+/)?[\w.-]+", model):
        raise TranslatorUnavailable(f"{model}: no such model directory")
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model, local_files_only=True))
    except LocalEntryNotFoundError:
        pass
    except Exception as problem:  # noqa: BLE001 - a broken cache
        raise TranslatorUnavailable(f"{model}: {_one_line(problem)}") from None
    if os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE"):
        raise TranslatorUnavailable(f"{model}: not in the Hugging Face cache, and HF_HUB_OFFLINE is set")
    try:
        info = HfApi().model_info(model, timeout=10)
    except Exception as problem:  # noqa: BLE001 - no network, no such repository, no access
        raise TranslatorUnavailable(
            f"{model}: not in the Hugging Face cache and cannot be downloaded ({_one_line(problem)})"
        ) from None
    files = {sibling.rfilename for sibling in info.siblings or ()}
    # One copy of the weights: the repositories also carry TensorFlow, Flax and Rust ones.
    weights = "model.safetensors" if "model.safetensors" in files else "pytorch_model.bin"
    try:
        return Path(snapshot_download(model, revision=info.sha, allow_patterns=[*_HUB_FILES, weights]))
    except Exception as problem:  # noqa: BLE001
        raise TranslatorUnavailable(f"{model}: download failed ({_one_line(problem)})") from None


def _one_line(problem: Exception) -> str:
    lines = str(problem).strip().splitlines()
    return f"{type(problem).__name__}: {lines[0] if lines else ''}".strip(": ")
