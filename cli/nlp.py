"""``nlp``: the text encoders, the review-sentiment model and the text pass."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import Command, driver, optional_settings
from cli.output import JsonFlag, emit, table
from interestgraph.errors import InputError

if TYPE_CHECKING:
    from interestgraph.settings import Settings


class NlpAction(StrEnum):
    """What ``nlp`` can do."""

    ENCODE = "encode"
    SENTIMENT = "sentiment"
    TRAIN = "train"
    PASS = "pass"
    FETCH_ENCODER = "fetch-encoder"


ACTION_HELP = ("encode: vectors + cosine table; sentiment: P(positive) per text; train: build the sentiment model; "
               "pass: encode/score what is pending in the graph now; fetch-encoder: fetch bge-small-zh-v1.5 from "
               "Maven Central and convert it (once)")


def nlp(action: Annotated[NlpAction, typer.Argument(metavar="ACTION", help=ACTION_HELP)],
        texts: Annotated[list[str] | None, typer.Argument(
            metavar="TEXT", help="encode/sentiment: texts (default: lines on stdin)")] = None,
        out: Annotated[str | None, typer.Option(
            "--out", help="train: model directory (default ~/.cache/interestgraph/models/...)")] = None,
        force: Annotated[bool, typer.Option("--force", help="train, fetch-encoder: rebuild even if built")] = False,
        all_texts: Annotated[bool, typer.Option(
            "--all", help="pass: re-encode every text (after changing a model)")] = False,
        as_json: JsonFlag = False) -> None:
    """Dispatch an ``nlp`` action; only ``pass`` needs Neo4j."""
    from interestgraph.settings import Settings

    s = optional_settings()
    if s is None:
        if action is NlpAction.PASS:
            Settings.from_env()  # raises the clear error about what is missing
        # Encoding, scoring and training need no Neo4j: only the device and the cache's home.
        s = Settings.without_graph()
    if action is NlpAction.FETCH_ENCODER:
        fetch_encoder(s, force, as_json)
    elif action is NlpAction.TRAIN:
        train(s, out, force, as_json)
    elif action is NlpAction.PASS:
        from ingest.runner import text_pass

        with driver(s) as d:
            done = text_pass(d, s, progress=not as_json, everything=all_texts, after_ingest=False)
        emit(as_json, done, lambda p: ", ".join(f"{k} {v}" for k, v in p.items()))
    elif action is NlpAction.ENCODE:
        encode(s, read_texts(texts), as_json)
    else:
        sentiment(s, read_texts(texts), as_json)


def read_texts(given: list[str] | None) -> list[str]:
    """The given texts, else the non-blank lines on stdin; a blank text is an input error."""
    texts = list(given) if given else [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not texts:
        raise InputError("give one or more TEXT arguments (or lines on standard input)")
    blank = [i + 1 for i, t in enumerate(texts) if not t.strip()]
    if blank:
        raise InputError(f"text {blank[0]} is blank; every TEXT must have content")
    return texts


def fetch_encoder(s: Settings, force: bool, as_json: bool) -> None:
    """Fetch and convert the BGE text encoder (once, unless ``force``) and print its card."""
    from textenc.bge import ensure
    from textenc.encoders import bge_dir

    model_dir, built = ensure(bge_dir(s), force=force)
    card = json.loads((model_dir / "card.json").read_text(encoding="utf-8"))
    emit(as_json, {"model_dir": str(model_dir), "built": built, **card},
         lambda p: f"text encoder {p['model']} {'converted into' if built else 'already at'} {p['model_dir']}"
                   + ("" if built else " (--force converts it again)"))


def train(s: Settings, out: str | None, force: bool, as_json: bool) -> None:
    """Build the review-sentiment model, unless one is built already and ``force`` is off."""
    from tqdm import tqdm

    from textenc.sentiment import default_sentiment_dir
    from textenc.sentiment import train as build

    out_dir = Path(out) if out else default_sentiment_dir(s)
    if (out_dir / "card.json").exists() and not force:
        card = json.loads((out_dir / "card.json").read_text(encoding="utf-8"))
        emit(as_json, {"model_dir": str(out_dir), "built": False, **card},
             lambda p: f"sentiment model already built at {p['model_dir']} "
                       f"(test accuracy {p['test_accuracy']}); --force rebuilds it")
        return
    with tqdm(desc="sentiment model", unit="step", disable=as_json) as bar:
        def tick(stage: str, step: int, total: int) -> None:
            bar.total = total
            bar.set_description(f"sentiment model ({stage})")
            bar.update(step - bar.n)

        card = build(out_dir, device=s.device, progress=tick, settings=s)
    emit(as_json, {"model_dir": str(out_dir), "built": True, **card},
         lambda p: f"built {p['model_dir']}: test accuracy {p['test_accuracy']} "
                   f"on {p['test_size']} held-out reviews in {p['train_seconds']}s")


def encode(s: Settings, texts: list[str], as_json: bool) -> None:
    """Print each text's vector and the cosine table between the texts."""
    from textenc.loaders import text_encoder

    enc = text_encoder(s)
    vecs = enc.encode(texts)
    payload = {"model": enc.model_id, "dim": enc.dim, "vectors": vecs.round(6).tolist(),
               "cosine": (vecs @ vecs.T).round(4).tolist(), "cache_hits": enc.hits, "cache_misses": enc.misses}
    columns = [str(j + 1) for j in range(len(texts))]

    def human(p: dict[str, Any]) -> list[Any]:
        rows = [{"text": t[:40], **{str(j + 1): f"{v:.3f}" for j, v in enumerate(row)}}
                for t, row in zip(texts, p["cosine"], strict=True)]
        return [f"{p['model']} ({p['dim']}-d); cosine similarity:", table(rows, ["text", *columns])]

    emit(as_json, payload, human)


def sentiment(s: Settings, texts: list[str], as_json: bool) -> None:
    """Print each text's P(positive) and whether its language is one the model supports."""
    from ingest.text import MIN_CJK_SHARE
    from textenc.loaders import sentiment_model
    from textenc.sentiment import cjk_share

    model = sentiment_model(s)
    scores = model.scores(texts)
    rows = [{"text": t, "score": round(float(v), 4), "label": "positive" if v >= 0.5 else "negative",
             "language_supported": cjk_share(t) >= MIN_CJK_SHARE} for t, v in zip(texts, scores, strict=True)]
    emit(as_json, {"model": model.model_id, "results": rows},
         lambda p: table([{**r, "text": r["text"][:50]} for r in p["results"]],
                         ["score", "label", "language_supported", "text"]))


COMMANDS: list[Command] = [("nlp", "text encoders, review sentiment and the text pass", nlp)]

