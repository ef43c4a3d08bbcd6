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
# type one-hot | log1p(|weight|) | negative weight | sentiment | reversed direction
EDGE_DIM = len(REL_TYPES) + 4


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


def edge_features(rel_type: str, weight: float | None, sentiment: float | None, reverse: bool) -> list[float]:
    """The feature row of one directed message edge (length ``EDGE_DIM``)."""
    row = [0.0] * EDGE_DIM
    row[REL_TYPES.index(rel_type)] = 1.0
    w = 1.0 if weight is None else float(weight)
    base = len(REL_TYPES)
    row[base] = math.log1p(abs(w))
    row[base + 1] = 1.0 if w < 0 else 0.0
    row[base + 2] = 0.0 if sentiment is None else float(sentiment)
    row[base + 3] = 1.0 if reverse else 0.0
    return row
