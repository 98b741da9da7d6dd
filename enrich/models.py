"""Finding model weights: a local directory, the Hugging Face cache, or the Hub.

Loading by Hub id from a machine without internet would otherwise spend half a minute in
retries before failing; one quick metadata request tells first whether the Hub can be
reached, so a missing model costs one clear warning and nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path


_MODEL_FILES = ["*.json", "*.safetensors", "*.model", "*.txt", "*.spm"]


class ModelUnavailable(Exception):
    """A model that cannot be loaded; the message says which and why, in one line."""


def resolve_model(model: str) -> str:
    """A local directory holding ``model``: the path itself, or its Hugging Face cache
    snapshot, downloading it first when the Hub can be reached. ModelUnavailable if none."""
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path)
    if path.is_absolute() or model.startswith((".", "~")):
        raise ModelUnavailable(f"{model}: no such directory")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(model, local_files_only=True)
    except LocalEntryNotFoundError:
        pass
    except Exception as problem:  # noqa: BLE001 - a malformed id, a broken cache
        raise ModelUnavailable(f"{model}: {_one_line(problem)}") from None
    if os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE"):
        raise ModelUnavailable(f"{model}: not in the Hugging Face cache, and HF_HUB_OFFLINE is set")
    from huggingface_hub import HfApi

    try:
        HfApi().model_info(model, timeout=10)
    except Exception as problem:  # noqa: BLE001 - no network, no such repository, no access
        raise ModelUnavailable(
            f"{model}: not in the Hugging Face cache and cannot be downloaded ({_one_line(problem)})"
        ) from None
    try:
        # safetensors only: repositories often carry the same weights in three formats.
        return snapshot_download(model, allow_patterns=_MODEL_FILES)
    except Exception as problem:  # noqa: BLE001
        raise ModelUnavailable(f"{model}: download failed ({_one_line(problem)})") from None


def _one_line(problem: Exception) -> str:
    text = str(problem).strip().splitlines()
    return f"{type(problem).__name__}: {text[0] if text else ''}".strip(": ")
