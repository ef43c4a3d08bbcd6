"""Text encoders, the vector cache, the review corpus and the review model's heads, on real texts
(MiniLM, the packaged English encoder that stays selectable; the Chinese default is in test_bge.py)."""

from __future__ import annotations

import importlib
import math
import os
import socket

import numpy as np
import pytest

import textenc
from textenc.cache import CachedEncoder, VectorCache
from textenc.encoders import HFEncoder, model_dim, packaged_minilm_dir
from textenc.reviews import load_reviews, split
from textenc.sentiment import AttentionHead, NgramHead, Recipe, TokenStates, cjk_share


@pytest.fixture(scope="module")
def minilm() -> HFEncoder:
    return HFEncoder(packaged_minilm_dir(), device="cpu")


def test_offline_switches_are_set_on_import(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    importlib.reload(textenc)  # importing textenc overrides them: the environment cannot turn the hub on
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_loading_and_encoding_never_touch_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    enc = HFEncoder(packaged_minilm_dir(), device="cpu")  # a fresh load, not the module fixture
    assert enc.encode(["offline please"]).shape == (1, 384)


def test_vectors_are_unit_length_and_ordered_by_meaning(minilm):
    texts = ["wireless bluetooth headphones", "bluetooth earbuds with noise cancelling",
             "garden hose 20 metres", "stainless steel kitchen knife"]
    v = minilm.encode(texts)
    assert v.shape == (4, model_dim(packaged_minilm_dir()))
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] + 0.2
    assert sims[0, 1] > sims[0, 3] + 0.2
    # Batching and length-sorting do not change a text's vector.
    assert np.allclose(minilm.encode([texts[2]])[0], v[2], atol=1e-5)


def test_minilm_cannot_read_most_chinese(minilm):
    _, test = split()
    assert minilm.unknown_token_rate([r.text for r in test[:200]]) > 0.4
    assert minilm.unknown_token_rate(["wireless bluetooth headphones"]) == 0.0


class Counting:
    def __init__(self, inner: HFEncoder) -> None:
        self.inner = inner
        self.seen: list[str] = []
        self.model_id = inner.model_id
        self.dim = inner.dim

    def encode(self, texts):
        self.seen.extend(texts)
        return self.inner.encode(texts)


def test_cache_encodes_each_text_once_and_is_keyed_by_model(minilm, tmp_path):
    counting = Counting(minilm)
    cached = CachedEncoder(counting, VectorCache(tmp_path / "v.sqlite"))
    first = cached.encode(["red shoes", "blue shoes", "red shoes"])
    assert counting.seen == ["red shoes", "blue shoes"]
    assert (cached.hits, cached.misses) == (1, 2)
    again = CachedEncoder(counting, VectorCache(tmp_path / "v.sqlite")).encode(["blue shoes", "red shoes"])
    assert counting.seen == ["red shoes", "blue shoes"]  # a new process reads the file, encodes nothing
    assert np.allclose(again, first[[1, 0]])
    counting.model_id = "another-model@0"
    CachedEncoder(counting, VectorCache(tmp_path / "v.sqlite")).encode(["red shoes"])
    assert counting.seen[-1] == "red shoes"


def test_review_split_is_fixed_deduplicated_and_disjoint():
    rows = load_reviews()
    texts = [r.text for r in rows]
    assert len(texts) == len(set(texts)) > 15_000
    train_a, test_a = split()
    train_b, test_b = split()
    assert test_a == test_b and train_a == train_b and len(test_a) == 2000
    assert not {r.text for r in test_a} & {r.text for r in train_a}
    assert 0.4 < sum(r.label for r in test_a) / len(test_a) < 0.6


def test_ngram_head_is_plain_arrays_and_scores_as_scikit_learn_does(tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train, test = split()
    texts, labels = [r.text for r in train[:1500]], [r.label for r in train[:1500]]
    head = NgramHead.fit(texts, labels, ngram_max=3, c=3.0)
    head.save(tmp_path / "ngram.npz")
    back = NgramHead.load(tmp_path / "ngram.npz")  # allow_pickle=False: data only
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    ref = LogisticRegression(C=3.0, max_iter=3000, random_state=0).fit(vec.fit_transform(texts), labels)
    probe = [r.text for r in test[:200]] + ["iPhone 质量很好", ""]
    assert np.allclose(back.scores(probe), ref.predict_proba(vec.transform(probe))[:, 1], atol=1e-9)
    with np.load(tmp_path / "ngram.npz", allow_pickle=False) as z:
        assert z["terms"].dtype.kind == "U"


def test_ngram_head_with_naive_bayes_ratios_round_trips(tmp_path):
    train, test = split()
    texts, labels = [r.text for r in train[:1500]], [r.label for r in train[:1500]]
    head = NgramHead.fit(texts, labels, ngram_max=4, c=3.0, min_df=2, nb=True)
    head.save(tmp_path / "ngram.npz")
    back = NgramHead.load(tmp_path / "ngram.npz")
    probe = [r.text for r in test[:300]]
    assert np.allclose(back.scores(probe), head.scores(probe))
    assert np.mean((back.scores(probe) >= 0.5) == np.array([r.label for r in test[:300]], dtype=bool)) > 0.75


def test_attention_head_learns_from_token_states_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    lens = rng.integers(2, 12, size=600)
    offsets = np.concatenate([[0], np.cumsum(lens)])
    flat = rng.normal(size=(int(offsets[-1]), 16)).astype(np.float16)
    labels = rng.integers(0, 2, size=600)
    for i, y in enumerate(labels):  # one token somewhere in the text carries the label
        flat[offsets[i] + rng.integers(0, lens[i]), 3] = 8.0 if y else -8.0
    states = TokenStates(flat, offsets)
    recipe = Recipe(epochs=30, lr=5e-3, hidden=32, queries=2, dropout=0.0, batch_size=32)
    head = AttentionHead.fit(states, list(range(400)), labels[:400].tolist(), recipe)
    held = list(range(400, 600))
    assert np.mean((head.scores(states, held) >= 0.5) == labels[400:].astype(bool)) > 0.9
    head.save(tmp_path / "att.safetensors")
    back = AttentionHead.load(tmp_path / "att.safetensors")
    assert np.allclose(back.scores(states, held), head.scores(states, held), atol=1e-6)
    x, m = states.padded([0, 1])
    assert x.shape == (2, max(lens[0], lens[1]), 16) and m.sum().item() == lens[0] + lens[1]


def test_token_dropout_drops_the_share_asked_and_keeps_the_mean():
    import torch

    from textenc.review_heads import _token_dropout

    x = torch.ones(8, 50, 256)
    out = _token_dropout(0.2, seed=0)(x)
    dropped = (out == 0).float().mean().item()
    assert abs(dropped - 51 / 256) < 0.01  # p rounds to 1/256: 51/256 = 0.1992
    assert abs(out.mean().item() - 1.0) < 0.02  # survivors are scaled up by 256/205
    assert torch.allclose(torch.unique(out), torch.tensor([0.0, 256 / 205]))
    again = _token_dropout(0.2, seed=0)(x)
    assert torch.equal(out, again)  # seeded: a rebuild draws the same masks
    assert torch.equal(_token_dropout(0.0, seed=0)(x), x)


def test_cjk_share():
    assert cjk_share("质量很好") == 1.0
    assert cjk_share("great phone") == 0.0
    assert 0.3 < cjk_share("iPhone 质量很好") < 0.5


def test_cli_encode_prints_cosines_and_rejects_blank_texts(capsys, tmp_path, monkeypatch):
    import json

    from cli.app import main

    monkeypatch.setenv("INTERESTGRAPH_HOME", str(tmp_path))
    assert main(["nlp", "encode", "跑步鞋", "运动鞋 男款 轻便 跑鞋", "橄榄油", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cos = out["cosine"]
    assert out["dim"] == 512 and out["model"].startswith("bge-small-zh-v1.5@") and len(out["vectors"]) == 3
    assert cos[0][1] > cos[0][2] and math.isclose(cos[0][0], 1.0, abs_tol=1e-4)
    assert main(["nlp", "encode", "ok", "  "]) == 2
    assert "text 2 is blank" in capsys.readouterr().err


def test_the_vector_cache_is_readable_by_its_owner_only(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        VectorCache(tmp_path / "new.sqlite")
        (tmp_path / "old.sqlite").touch(mode=0o644)  # made by an older version
        VectorCache(tmp_path / "old.sqlite")
    finally:
        os.umask(old)
    for name in ("new.sqlite", "new.sqlite-wal", "old.sqlite"):
        if (tmp_path / name).exists():
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o600, name
