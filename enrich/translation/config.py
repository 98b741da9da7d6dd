"""What a translator is built from: the model, the backend that runs it, and how it decodes."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MODEL = "Helsinki-NLP/opus-mt-zh-en"


class TranslatorConfig(BaseModel):
    """Chinese → English translation settings (the ``translate`` section of medradar.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(
        default=DEFAULT_MODEL,
        description="a MarianMT-style seq2seq model: Hugging Face id or local directory",
    )
    backend: Literal["transformers", "ctranslate2"] = Field(
        default="transformers", description="ctranslate2: the same model converted, int8 on CPU (faster)"
    )
    ct2_dir: Path | None = Field(
        default=None,
        description="a CTranslate2 conversion of `model`; converted there on first use when missing",
    )
    quantization: Literal["int8", "int8_float32", "int8_float16", "float16", "float32"] = Field(
        default="int8", description="CTranslate2 weights and compute type"
    )
    device: str = Field(default="cpu", pattern=r"^(cpu|cuda(:\d+)?)$", description="cpu, cuda or cuda:N")
    threads: int = Field(default=0, ge=0, description="CPU threads for the model; 0: the library's default")
    batch_size: int = Field(default=16, ge=1, description="sentences per model call")
    max_input_tokens: int = Field(
        default=256, ge=16, description="longer sentences are split into chunks this long at most (and never "
        "longer than the model's own limit)"
    )
    beams: int = Field(default=4, ge=1, description="beam search width; decoding is deterministic (no sampling)")
    scope: Literal["full", "title_lead"] = Field(
        default="full", description="translate the whole text, or the title and the first lead_sentences"
    )
    lead_sentences: int = Field(default=3, ge=1, description="sentences of the text translated with scope title_lead")
    memory_path: Path | None = Field(
        default=None, description="the translation memory (SQLite); none: kept in memory for this process only"
    )
