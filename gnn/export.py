"""Full-graph export from Neo4j for training: nodes and relationships, streamed in pages.

Pages use keyset pagination on each label's unique id index, so an export never holds
more than one page of records from the driver at a time, and a progress bar shows it.
Node features are the ones the neighbourhood pull computes (``gnn.features``), so the
model sees the same inputs in training as in the workers.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from neo4j import Driver
from tqdm import tqdm

from gnn.extract import NodeKey
from gnn.features import DEGREE_COL, EDGE_DIM, NODE_DIM, RECENCY_HALF_LIFE_MS, REL_TYPES, node_features
from interestgraph.graph import read
from interestgraph.settings import Settings

BEHAVIOUR = ("VIEWED", "CLICKED", "ADDED_TO_CART", "PURCHASED", "REVIEWED")
_NODE_PAGES = {"User": "gnn/export_user_nodes", "Item": "gnn/export_item_nodes",
               "Category": "gnn/export_category_nodes", "Query": "gnn/export_query_nodes"}


@dataclass
class GraphExport:
    """A whole graph (or one id namespace of it) as arrays, edges as stored (start -> end)."""

    keys: list[NodeKey]
    x: torch.Tensor
    src: np.ndarray
    dst: np.ndarray
    etype: np.ndarray
    weight: np.ndarray
    sentiment: np.ndarray
    first_ms: np.ndarray
    last_ms: np.ndarray

    def __post_init__(self) -> None:
        self.index = {k: i for i, k in enumerate(self.keys)}

    def of_label(self, label: str) -> np.ndarray:
        return np.array([i for i, (lab, _) in enumerate(self.keys) if lab == label], dtype=np.int64)

    def behaviour_mask(self) -> np.ndarray:
        """Edges that are user -> item interactions (the positives of link prediction)."""
        codes = [REL_TYPES.index(t) for t in BEHAVIOUR]
        return np.isin(self.etype, codes)

    def features_as_of(self, keep: np.ndarray) -> torch.Tensor:
        """Node features with the degree counted over the ``keep``-ed edges only."""
        deg = np.bincount(np.concatenate([self.src[keep], self.dst[keep]]), minlength=len(self.keys))
        x = self.x.clone()
        x[:, DEGREE_COL] = torch.from_numpy(np.log1p(deg)).float()
        return x

    def message_graph(self, keep: np.ndarray, cap: int | None,
                      now_ms: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Both directions of the ``keep``-ed edges, each node receiving at most ``cap``
        messages, timeless ones first, then by decayed weight (as the pull's fanout does);
        recency is measured from ``now_ms`` (default: the newest kept edge)."""
        s, d = self.src[keep], self.dst[keep]
        t, w, snt, last = self.etype[keep], self.weight[keep], self.sentiment[keep], self.last_ms[keep]
        now = int(last.max()) if now_ms is None and len(last) else int(now_ms or 0)
        src = np.concatenate([s, d])
        dst = np.concatenate([d, s])
        rev = np.concatenate([np.zeros(len(s)), np.ones(len(s))])
        t2, w2, snt2 = np.concatenate([t, t]), np.concatenate([w, w]), np.concatenate([snt, snt])
        last2 = np.concatenate([last, last])
        key = np.where(last2 > 0, np.log(np.abs(w2) + 1e-12) + last2 * np.log(2.0) / RECENCY_HALF_LIFE_MS, np.inf)
        order = np.lexsort((src, -key, dst))
        if cap is not None:
            ranked = order
            dsts = dst[ranked]
            starts = np.r_[0, np.flatnonzero(np.diff(dsts)) + 1]
            pos = np.arange(len(ranked)) - np.repeat(starts, np.diff(np.r_[starts, len(ranked)]))
            order = ranked[pos < cap]
        fresh = np.where(last2 > 0, 2.0 ** (-np.maximum(now - last2, 0) / RECENCY_HALF_LIFE_MS), 1.0)
        attr = edge_feature_matrix(t2[order], w2[order], snt2[order], rev[order], fresh[order])
        edge_index = torch.from_numpy(np.stack([src[order], dst[order]])).long()
        return edge_index, attr


def edge_feature_matrix(etype: np.ndarray, weight: np.ndarray, sentiment: np.ndarray,
                        reverse: np.ndarray, fresh: np.ndarray | None = None) -> torch.Tensor:
    """Vectorised ``gnn.features.edge_features`` (same columns, same values)."""
    n = len(etype)
    out = np.zeros((n, EDGE_DIM), dtype=np.float32)
    out[np.arange(n), etype] = 1.0
    base = len(REL_TYPES)
    out[:, base] = np.log1p(np.abs(weight))
    out[:, base + 1] = weight < 0
    out[:, base + 2] = sentiment
    out[:, base + 3] = reverse
    out[:, base + 4] = 1.0 if fresh is None else fresh
    return torch.from_numpy(out)


def _pages(driver: Driver, settings: Settings, name: str, prefix: str, page: int,
           key: str = "id") -> Iterator[list[dict]]:
    after = ""
    while True:
        rows = [dict(r) for r in read(driver, settings, name, prefix=prefix, after=after, limit=page)]
        if not rows:
            return
        yield rows
        after = rows[-1][key]


def export_graph(driver: Driver, settings: Settings, prefix: str = "", page: int = 2000,
                 progress: bool = False) -> GraphExport:
    """Everything under ``prefix`` (all of the graph for ``""``)."""
    feats: dict[NodeKey, list[float]] = {}
    with tqdm(desc="export nodes", unit="node", disable=not progress, file=sys.stderr) as bar:
        for label, name in _NODE_PAGES.items():
            for rows in _pages(driver, settings, name, prefix, page):
                for r in rows:
                    feats[(label, r["id"])] = node_features(label, r["name"], r["degree"] or 0, r["price"])
                bar.update(len(rows))
    keys = sorted(feats)
    index = {k: i for i, k in enumerate(keys)}
    cols: dict[str, list] = {c: [] for c in ("src", "dst", "etype", "weight", "sentiment", "first_ms", "last_ms")}
    with tqdm(desc="export relationships", unit="rel", disable=not progress, file=sys.stderr) as bar:
        # Page by user, but a page's relationships come whole (LIMIT counts users, not rows).
        for rows in _pages(driver, settings, "gnn/export_user_rels", prefix, page // 4 or 1, key="src"):
            for r in rows:
                dst = index.get((r["dst_label"], r["dst"]))
                if dst is None:
                    continue
                cols["src"].append(index[("User", r["src"])])
                cols["dst"].append(dst)
                cols["etype"].append(REL_TYPES.index(r["type"]))
                cols["weight"].append(1.0 if r["weight"] is None else r["weight"])
                cols["sentiment"].append(r["sentiment"] or 0.0)
                cols["first_ms"].append(r["first_ms"] or 0)
                cols["last_ms"].append(r["last_ms"] or 0)
            bar.update(len(rows))
        for rows in _pages(driver, settings, "gnn/export_item_rels", prefix, page, key="src"):
            for r in rows:
                dst = index.get(("Category", r["dst"]))
                if dst is None:
                    continue
                cols["src"].append(index[("Item", r["src"])])
                cols["dst"].append(dst)
                cols["etype"].append(REL_TYPES.index("IN_CATEGORY"))
                cols["weight"].append(1.0)
                cols["sentiment"].append(0.0)
                cols["first_ms"].append(0)
                cols["last_ms"].append(0)
            bar.update(len(rows))
    x = torch.tensor([feats[k] for k in keys], dtype=torch.float32).reshape(len(keys), NODE_DIM)
    return GraphExport(keys, x, np.array(cols["src"], dtype=np.int64), np.array(cols["dst"], dtype=np.int64),
                       np.array(cols["etype"], dtype=np.int64), np.array(cols["weight"], dtype=np.float64),
                       np.array(cols["sentiment"], dtype=np.float64), np.array(cols["first_ms"], dtype=np.int64),
                       np.array(cols["last_ms"], dtype=np.int64))
