"""Checked-in (anchor, similar, unrelated) Chinese shopping titles: does an encoder rank meaning?

``zh_triples.jsonl`` holds product titles and queries written for this project (electronics,
home, clothing, beauty, food, baby, sports, pets, car, office; some mixed with English brand
names, some where a word has two meanings: 苹果 the fruit and the phone, 小米 the grain and the
brand). A triple is right when the anchor's vector is closer to the similar title's than to the
unrelated one's.
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from textenc.encoders import TextEncoder

TRIPLES_FILE = "zh_triples.jsonl"


def load_triples() -> list[tuple[str, str, str]]:
    """The packaged (anchor, similar, unrelated) text triples."""
    text = resources.files("textenc").joinpath(TRIPLES_FILE).read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [(r["anchor"], r["similar"], r["unrelated"]) for r in rows]


def triple_margins(encoder: TextEncoder, triples: list[tuple[str, str, str]]) -> np.ndarray:
    """``cos(anchor, similar) - cos(anchor, unrelated)`` per triple (positive: right)."""
    texts = sorted({t for tr in triples for t in tr})
    vecs = dict(zip(texts, encoder.encode(texts), strict=True))
    return np.array([float(vecs[a] @ vecs[s] - vecs[a] @ vecs[u]) for a, s, u in triples])


def triple_accuracy(encoder: TextEncoder, triples: list[tuple[str, str, str]] | None = None) -> float:
    """The share of triples the encoder ranks right (0 for none)."""
    margins = triple_margins(encoder, load_triples() if triples is None else triples)
    return float(np.mean(margins > 0)) if len(margins) else 0.0
