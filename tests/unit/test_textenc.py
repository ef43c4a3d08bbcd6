"""Text encoders, the vector cache and the review corpus, on real texts with the packaged model."""

from __future__ import annotations

import math
import os
import socket

import numpy as np
import pytest

import textenc
from textenc.cache import CachedEncoder, VectorCache
from textenc.encoders import HFEncoder, model_dim, packaged_minilm_dir, unknown_rate
from textenc.reviews import load_reviews, split
from textenc.sentiment import build_vocab, cjk_share, make_tokenizer


@pytest.fixture(scope="module")
def minilm() -> HFEncoder:
    return HFEncoder(packaged_minilm_dir(), device="cpu")


def test_offline_switches_are_set_on_import():
    assert textenc.__name__ == "textenc"
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


def test_vocab_spells_ascii_and_keeps_frequent_chars():
    vocab = build_vocab(["好好好", "差差", "一"], min_count=2)
    assert vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert "好" in vocab and "差" in vocab and "一" not in vocab
    assert "a" in vocab and "##z" in vocab and "7" in vocab


def test_review_tokenizer_reads_the_corpus_character_by_character():
    train, test = split()
    tok = make_tokenizer(build_vocab([r.text for r in train], min_count=2), max_length=128)
    assert tok.tokenize("质量很好，iPhone") == ["质", "量", "很", "好", "，", "i", "##p", "##h", "##o", "##n", "##e"]
    assert unknown_rate(tok, [r.text for r in test[:300]]) < 0.01


def test_cjk_share():
    assert cjk_share("质量很好") == 1.0
    assert cjk_share("great phone") == 0.0
    assert 0.3 < cjk_share("iPhone 质量很好") < 0.5


def test_cli_encode_prints_cosines_and_rejects_blank_texts(capsys, tmp_path, monkeypatch):
    import json

    from interestgraph import cli

    monkeypatch.setenv("INTERESTGRAPH_HOME", str(tmp_path))
    assert cli.main(["nlp", "encode", "running shoes", "trail running sneakers", "olive oil", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cos = out["cosine"]
    assert out["dim"] == 384 and len(out["vectors"]) == 3
    assert cos[0][1] > cos[0][2] and math.isclose(cos[0][0], 1.0, abs_tol=1e-4)
    assert cli.main(["nlp", "encode", "ok", "  "]) == 2
    assert "text 2 is blank" in capsys.readouterr().err
