"""Sampled k-hop neighbourhoods pulled from Neo4j into PyG tensors.

One read transaction, ``1 + hops`` batched statements: the seeds, then one
``expand_frontier`` per hop with a per-node fanout cap (strongest relationships first).
Every relationship becomes two directed message edges. Nodes and edges are put in a
canonical order (label, id) so the same graph always yields the same tensors, which
makes CPU inference bit-for-bit repeatable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from neo4j import Driver, ManagedTransaction

from gnn.features import EDGE_DIM, NODE_DIM, RECENCY_HALF_LIFE_MS, edge_features, node_features, primary_label, recency
from interestgraph.graph import in_read_tx, run
from interestgraph.settings import Settings

NodeKey = tuple[str, str]  # (label, id)
DEFAULT_FANOUT: tuple[int, ...] = (32, 16)


@dataclass
class Subgraph:
    """Tensors for one pull: node features, message edges and where the seeds are."""

    keys: list[NodeKey]
    x: torch.Tensor
    edge_index: torch.Tensor
    edge_attr: torch.Tensor
    seed_index: torch.Tensor

    @property
    def seeds(self) -> list[NodeKey]:
        return [self.keys[i] for i in self.seed_index.tolist()]


def _node(rec: Any) -> tuple[NodeKey, list[float]]:
    label = primary_label(rec["labels"])
    return (label, rec["id"]), node_features(label, rec["name"], rec["degree"] or 0, rec["price"])


def pull(tx: ManagedTransaction, users: Sequence[str], items: Sequence[str],
         fanout: Sequence[int]) -> Subgraph:
    """Run the pull inside ``tx`` (a read transaction)."""
    nodes: dict[NodeKey, list[float]] = {}
    key_of: dict[str, NodeKey] = {}
    seeds: list[NodeKey] = []
    for rec in run(tx, "gnn/match_seeds", users=list(users), items=list(items)):
        key, feats = _node(rec)
        nodes[key] = feats
        key_of[rec["eid"]] = key
        seeds.append(key)
    rels: dict[str, tuple[NodeKey, NodeKey, str, float | None, float | None, int | None]] = {}
    frontier = list(key_of)
    for cap in fanout:
        if not frontier:
            break
        rows = run(tx, "gnn/expand_frontier", eids=frontier, fanout=cap, half_life_ms=RECENCY_HALF_LIFE_MS)
        fresh = sorted({r["dst"] for r in rows} - key_of.keys())
        for rec in run(tx, "gnn/node_features", eids=fresh) if fresh else []:
            key, feats = _node(rec)
            nodes.setdefault(key, feats)
            key_of[rec["eid"]] = key
        for rec in rows:
            if rec["rid"] in rels:
                continue
            src, dst = key_of[rec["src"]], key_of[rec["dst"]]
            start, end = (src, dst) if rec["outgoing"] else (dst, src)
            rels[rec["rid"]] = (start, end, rec["type"], rec["weight"], rec["sentiment"], rec["last_ms"])
        frontier = fresh
    return _tensors(nodes, rels, seeds)


def _tensors(nodes: dict[NodeKey, list[float]],
             rels: dict[str, tuple[NodeKey, NodeKey, str, float | None, float | None, int | None]],
             seeds: list[NodeKey]) -> Subgraph:
    keys = sorted(nodes)
    index = {k: i for i, k in enumerate(keys)}
    now = max((r[5] or 0 for r in rels.values()), default=0)
    edges = []
    for start, end, rel_type, weight, sentiment, last_ms in rels.values():
        fresh = recency(last_ms, now)
        edges.append((index[start], index[end], edge_features(rel_type, weight, sentiment, False, fresh)))
        edges.append((index[end], index[start], edge_features(rel_type, weight, sentiment, True, fresh)))
    edges.sort(key=lambda e: (e[1], e[0], e[2]))
    x = torch.tensor([nodes[k] for k in keys], dtype=torch.float32).reshape(len(keys), NODE_DIM)
    if edges:
        edge_index = torch.tensor([[e[0] for e in edges], [e[1] for e in edges]], dtype=torch.long)
        edge_attr = torch.tensor([e[2] for e in edges], dtype=torch.float32)
    else:
        edge_index = torch.empty((2, 0), dtype=torch.long)
        edge_attr = torch.empty((0, EDGE_DIM), dtype=torch.float32)
    seed_index = torch.tensor([index[s] for s in seeds], dtype=torch.long)
    return Subgraph(keys, x, edge_index, edge_attr, seed_index)


def extract(driver: Driver, settings: Settings, users: Sequence[str], items: Sequence[str] = (),
            fanout: Sequence[int] = DEFAULT_FANOUT) -> Subgraph:
    """The sampled ``len(fanout)``-hop neighbourhood of the seed users and items."""
    return in_read_tx(driver, settings, "neighbourhood pull",
                      lambda tx: pull(tx, users, items, fanout))
