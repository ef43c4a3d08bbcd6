"""The Chinese text encoder: bge-small-zh-v1.5 converted from the pinned Maven Central jar.

The first test run converts it (``make models`` does it beforehand: ``interestgraph nlp
fetch-encoder``); every other test reads the converted directory and never the network.
"""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import numpy as np
import pytest

from interestgraph.errors import ConfigError
from textenc import bge
from textenc.encoders import (
    HFEncoder,
    bge_dir,
    default_model_dir,
    model_dim,
    packaged_minilm_dir,
    pooling,
    text_model_dir,
)
from textenc.reviews import split
from textenc.triples import load_triples, triple_accuracy, triple_margins


@pytest.fixture(scope="module")
def bge_model_dir() -> Path:
    model_dir, _ = bge.ensure(bge_dir())
    return model_dir


@pytest.fixture(scope="module")
def encoder(bge_model_dir) -> HFEncoder:
    return HFEncoder(bge_model_dir, device="cpu")


def test_the_converted_directory_matches_the_onnx_graph(bge_model_dir):
    card = json.loads((bge_model_dir / "card.json").read_text(encoding="utf-8"))
    assert card["jar_sha256"] == bge.JAR_SHA256 and card["conversion_version"] == bge.CONVERSION_VERSION
    assert card["max_abs_diff_vs_onnx"] is not None and card["max_abs_diff_vs_onnx"] <= bge.MAX_ABS_DIFF
    assert bge.is_current(bge_model_dir)
    config = json.loads((bge_model_dir / "config.json").read_text(encoding="utf-8"))
    assert (config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]) == (512, 4, 21128)
    assert model_dim(bge_model_dir) == 512 and pooling(bge_model_dir) == "cls"


def test_every_weight_of_a_pooler_free_bert_comes_from_the_graph(bge_model_dir):
    import torch
    from safetensors.numpy import load_file
    from transformers import BertConfig, BertModel

    saved = load_file(str(bge_model_dir / "model.safetensors"))
    model = BertModel(BertConfig.from_pretrained(bge_model_dir), add_pooling_layer=False)
    want = {k: tuple(v.shape) for k, v in model.state_dict().items() if k != "embeddings.position_ids"}
    assert {k: v.shape for k, v in saved.items()} == want
    assert all(v.dtype == np.float32 for v in saved.values())
    # A projection's ONNX MatMul operand is the transpose of nn.Linear's weight.
    q = saved["encoder.layer.0.attention.self.query.weight"]
    assert not torch.allclose(torch.from_numpy(q), torch.from_numpy(q.T))


def test_onnx_weights_are_named_by_the_bias_that_follows_them():
    import onnx
    from onnx import helper, numpy_helper

    w = np.arange(6, dtype=np.float32).reshape(2, 3)  # x @ w: in 2, out 3
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "onnx::MatMul_7"], ["mm"]),
         helper.make_node("Add", ["encoder.layer.0.output.dense.bias", "mm"], ["y"])],
        "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(w, "onnx::MatMul_7"),
         numpy_helper.from_array(np.zeros(3, np.float32), "encoder.layer.0.output.dense.bias")])
    state = bge.onnx_state_dict(graph)
    assert set(state) == {"encoder.layer.0.output.dense.weight", "encoder.layer.0.output.dense.bias"}
    assert np.array_equal(state["encoder.layer.0.output.dense.weight"], w.T)


def test_a_jar_with_other_content_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(bge.shutil, "which", lambda name: None)  # the direct-download path

    monkeypatch.setattr(bge.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"not the jar"))
    with pytest.raises(ConfigError, match="sha256"):
        bge.fetch_jar(tmp_path)
    assert not (tmp_path / bge.jar_name()).exists()


def test_a_current_conversion_is_reused_without_the_network(bge_model_dir, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("fetch attempted")

    monkeypatch.setattr(bge, "fetch_jar", refuse)
    assert bge.ensure(bge_model_dir) == (bge_model_dir, False)


def test_the_default_is_bge_and_minilm_stays_selectable(tmp_path):
    env = {"INTERESTGRAPH_MODELS": str(tmp_path)}
    assert default_model_dir(env) == tmp_path / bge.MODEL_NAME == bge_dir(env)
    assert default_model_dir({**env, "INTERESTGRAPH_TEXT_MODEL": "bge"}) == tmp_path / bge.MODEL_NAME
    assert default_model_dir({**env, "INTERESTGRAPH_TEXT_MODEL": "minilm"}) == packaged_minilm_dir()
    assert default_model_dir({**env, "INTERESTGRAPH_TEXT_MODEL": "/models/x"}) == Path("/models/x")
    # Only the BGE choice is converted on demand; a named directory is used as it is.
    assert text_model_dir({**env, "INTERESTGRAPH_TEXT_MODEL": "minilm"}) == packaged_minilm_dir()
    assert not (tmp_path / bge.MODEL_NAME).exists()
    assert pooling(packaged_minilm_dir()) == "mean"


def test_loading_and_encoding_never_touch_the_network(bge_model_dir, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    enc = HFEncoder(bge_model_dir, device="cpu")  # a fresh load, not the module fixture
    assert enc.encode(["离线编码"]).shape == (1, 512)


def test_vectors_are_unit_length_cls_pooled_and_batch_invariant(encoder, bge_model_dir):
    import torch
    from transformers import AutoModel, AutoTokenizer

    texts = ["蓝牙耳机", "无线耳机 主动降噪", "跑步鞋 男 透气", "Apple iPhone 15 Pro 手机壳 磁吸"]
    v = encoder.encode(texts)
    assert v.shape == (4, 512) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.allclose(encoder.encode([texts[3]])[0], v[3], atol=1e-5)  # padding and order change nothing
    # BGE's recipe: the [CLS] state of the last layer, normalised.
    tok = AutoTokenizer.from_pretrained(bge_model_dir)
    model = AutoModel.from_pretrained(bge_model_dir, add_pooling_layer=False).eval()
    with torch.inference_mode():
        cls = model(**tok(texts[:1], return_tensors="pt")).last_hidden_state[0, 0].numpy()
    assert np.allclose(v[0], cls / np.linalg.norm(cls), atol=1e-5)


def test_similar_products_are_close_in_chinese_and_mixed_titles(encoder):
    v = encoder.encode(["蓝牙耳机", "无线耳机", "跑步鞋",
                        "Apple AirPods Pro 2 无线耳机", "华为 FreeBuds 降噪蓝牙耳机", "Nike 跑步鞋 男款"])
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] + 0.2
    assert sims[3, 4] > sims[3, 5] + 0.1
    # English-only titles still work.
    e = encoder.encode(["wireless bluetooth headphones", "bluetooth earbuds", "garden hose 20 metres"])
    assert (e @ e.T)[0, 1] > (e @ e.T)[0, 2]


def test_the_encoder_reads_chinese_and_mixed_titles(encoder):
    _, test = split()
    assert encoder.unknown_token_rate([r.text for r in test[:500]]) < 0.02
    # The vocabulary is lower case: the converted tokenizer lower-cases, so brands are not [UNK].
    assert encoder.unknown_token_rate(["Apple iPhone USB-C AirPods 华为 Mate 60 Pro"]) == 0.0
    assert encoder.tokenizer.tokenize("iPhone 手机壳") == ["iphone", "手", "机", "壳"]


def test_the_triples_are_ranked_by_meaning(encoder):
    triples = load_triples()
    assert len(triples) >= 50 and len(set(triples)) == len(triples)
    assert triple_accuracy(encoder, triples) >= 0.9
    assert triple_margins(encoder, triples).mean() > 0.1


def test_minilm_fails_the_triples_it_cannot_read():
    minilm = HFEncoder(packaged_minilm_dir(), device="cpu")
    assert triple_accuracy(minilm) < 0.85  # the set separates an encoder that reads Chinese from one that does not
