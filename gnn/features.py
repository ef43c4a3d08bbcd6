"""Node and edge features: inductive, computed from what the graph holds, never from ids.

No per-node id embeddings exist, so a user or item the model never saw gets a vector
from its properties and neighbourhood alone. Category ids *are* content (a category is
its name), so categories carry a hashed bucket of their name.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

NODE_LABELS: tuple[str, ...] = ("User", "Item", "Category", "Query")
REL_TYPES: tuple[str, ...] = ("VIEWED", "CLICKED", "ADDED_TO_CART", "PURCHASED", "SEARCHED",
                              "REVIEWED", "IN_CATEGORY", "INTERESTED_IN")
NAME_BUCKETS = 16

# label one-hot | log1p(degree) | log1p(price) | has_price | hashed name buckets
NODE_DIM = len(NODE_LABELS) + 3 + NAME_BUCKETS
# Degree counts behaviour and IN_CATEGORY relationships (not INTERESTED_IN, which summarises
# them); training recomputes it as of each epoch's moment so it never counts the future.
DEGREE_COL = len(NODE_LABELS)
# type one-hot | log1p(|weight|) | negative weight | sentiment | reversed direction | recency
EDGE_DIM = len(REL_TYPES) + 5
# Recency is 2^(-age / RECENCY_HALF_LIFE_MS), the age measured from the newest relationship
# in the same pull (the graph's "now"), so it needs no wall clock and replays stay exact.
RECENCY_HALF_LIFE_MS = 14 * 86_400_000.0


def primary_label(labels: Sequence[str]) -> str:
    for label in NODE_LABELS:
        if label in labels:
            return label
    raise ValueError(f"node has none of the labels {NODE_LABELS}: {list(labels)}")


def _bucket(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest(), "big") % NAME_BUCKETS


def node_features(label: str, name: str | None, degree: int, price: float | None) -> list[float]:
    """The feature row of one node (length ``NODE_DIM``)."""
    row = [0.0] * NODE_DIM
    row[NODE_LABELS.index(label)] = 1.0
    base = len(NODE_LABELS)
    row[base] = math.log1p(max(degree, 0))
    if price is not None:
        row[base + 1] = math.log1p(max(float(price), 0.0))
        row[base + 2] = 1.0
    if label == "Category" and name:
        row[base + 3 + _bucket(name)] = 1.0
    return row


def recency(last_ms: int | None, now_ms: int) -> float:
    """1 for the newest relationship, halving every ``RECENCY_HALF_LIFE_MS`` before it."""
    if last_ms is None or last_ms <= 0:
        return 1.0  # timeless relationships (IN_CATEGORY)
    return 2.0 ** (-max(now_ms - last_ms, 0) / RECENCY_HALF_LIFE_MS)


def edge_features(rel_type: str, weight: float | None, sentiment: float | None, reverse: bool,
                  fresh: float = 1.0) -> list[float]:
    """The feature row of one directed message edge (length ``EDGE_DIM``); ``fresh`` is its recency."""
    row = [0.0] * EDGE_DIM
    row[REL_TYPES.index(rel_type)] = 1.0
    w = 1.0 if weight is None else float(weight)
    base = len(REL_TYPES)
    row[base] = math.log1p(abs(w))
    row[base + 1] = 1.0 if w < 0 else 0.0
    row[base + 2] = 0.0 if sentiment is None else float(sentiment)
    row[base + 3] = 1.0 if reverse else 0.0
    row[base + 4] = fresh
    return row

