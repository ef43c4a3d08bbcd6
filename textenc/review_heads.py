"""The review model's parts: the frozen encoder's token states and the two heads read from them.

:mod:`textenc.sentiment` builds them into a model directory (``train``) and scores with them
(``SentimentModel``); they live here so each module stays small enough to read at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

import textenc  # noqa: F401  (offline switches)
from interestgraph.device import pick_device

RECIPE_VERSION = "zh-review-bge-v2"  # v2: the token dropout draws its masks from numpy (faster; same recipe)


@dataclass(frozen=True)
class Recipe:
    """The review model's hyper-parameters: encoding, the attention head, the n-gram head and the blend."""

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
        """The recipe's version, written into the model card."""
        return RECIPE_VERSION


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
        """The number of tokens of each text."""
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
        """The encoder's tokenizer (loading the model on first use)."""
        return self._loaded[0]

    @property
    def dim(self) -> int:
        """The encoder's hidden size."""
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


def _token_dropout(p: float, seed: int) -> Callable[[Any], Any]:
    """Dropout for the token states, its masks drawn from numpy's generator as bytes.

    torch's CPU dropout draws one Bernoulli sample per element and took a third of the
    head's training time (a batch holds ~3M token-state values); random bytes compared with a
    threshold give the same kind of mask about five times faster. ``p`` is rounded to 1/256.
    """
    import torch

    rng = np.random.default_rng(seed)
    drop = round(p * 256)
    scale = 256 / (256 - drop)

    def apply(x: Any) -> Any:
        if not drop:
            return x
        keep = np.frombuffer(rng.bytes(x.numel()), dtype=np.uint8).reshape(tuple(x.shape)) >= drop
        return x * torch.from_numpy(keep) * scale

    return apply


def _attention_module(dim: int, queries: int, hidden: int, dropout: float, seed: int = 0) -> Any:
    import torch

    class Attention(torch.nn.Module):
        """Learned attention poolings + mean + ``[CLS]`` of normalised token states, then an MLP: a logit."""

        def __init__(self) -> None:
            super().__init__()
            self.norm = torch.nn.LayerNorm(dim)
            self.query = torch.nn.Linear(dim, queries)
            self.drop = _token_dropout(dropout, seed)
            self.mlp = torch.nn.Sequential(torch.nn.Linear(dim * (queries + 2), hidden), torch.nn.GELU(),
                                           torch.nn.Dropout(dropout), torch.nn.Linear(hidden, 1))

        def forward(self, x: Any, mask: Any) -> Any:
            x = self.norm(x)
            if self.training:
                x = self.drop(x)
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
        module = _attention_module(**config, seed=recipe.seed)
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
        """Write the head's weights to a safetensors file, its config in the metadata."""
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in self.module.state_dict().items()}, str(path),
                  metadata={"config": json.dumps(self.config)})

    @classmethod
    def load(cls, path: Path) -> AttentionHead:
        """The head saved at ``path`` by :meth:`save`."""
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
        """Fit TF-IDF and a logistic regression on ``texts``; ``nb`` scales the features by naive-Bayes ratios."""
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
        """TF-IDF rows for ``texts`` from the stored vocabulary and idf, as the fit computed them."""
        from sklearn.preprocessing import normalize

        x = self._counter.transform(list(texts)).astype(np.float64)
        x.data = 1.0 + np.log(x.data)  # sublinear tf
        return normalize(x.multiply(self.idf).tocsr())

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """``P(positive)`` per text."""
        if not len(texts):
            return np.zeros(0)
        return _sigmoid(self.transform(texts) @ self.coef + self.intercept)

    def save(self, path: Path) -> None:
        """Write the head's arrays to a compressed ``.npz`` (no pickles)."""
        np.savez_compressed(path, terms=self.terms, idf=self.idf, coef=self.coef,
                            intercept=np.array([self.intercept]), ngram_max=np.array([self.ngram_max]))

    @classmethod
    def load(cls, path: Path) -> NgramHead:
        """The head saved at ``path`` by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            return cls(z["terms"], z["idf"], z["coef"], float(z["intercept"][0]), int(z["ngram_max"][0]))
