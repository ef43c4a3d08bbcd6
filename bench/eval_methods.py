"""The evaluation's learned methods, all trained on the same past: the GIN and GCN interest
models, SASRec, and GDS FastRP / GraphSAGE (see :mod:`bench.evaluate` for the protocol)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from neo4j import Driver

from bench.eval_stream import Catalogue
from gnn.behaviour import ITEM, Histories
from gnn.counting import LiveCounts
from gnn.export import TrainingData
from gnn.readout import gather
from gnn.registry import STORED_EXTRA
from gnn.runtime import ModelRuntime
from gnn.sasrec import SASRec, SASRecConfig, train_sasrec
from gnn.scoring import FusionHead
from gnn.train import TrainConfig, TrainResult, train
from interestgraph.graph import read, write
from interestgraph.settings import Settings


@dataclass
class Live:
    """One trained interest model during the replay: its runtime, catalogue vectors, users."""

    name: str
    result: TrainResult
    runtime: ModelRuntime
    items: torch.Tensor = field(default_factory=lambda: torch.zeros(0))
    bias: torch.Tensor = field(default_factory=lambda: torch.zeros(0))
    static: dict[str, np.ndarray] = field(default_factory=dict)
    empty: np.ndarray = field(default_factory=lambda: np.zeros(0))
    live_items: torch.Tensor = field(default_factory=lambda: torch.zeros(0))
    live_bias: torch.Tensor = field(default_factory=lambda: torch.zeros(0))
    cut_items: torch.Tensor = field(default_factory=lambda: torch.zeros(0))
    cut_bias: torch.Tensor = field(default_factory=lambda: torch.zeros(0))
    latest: dict[str, np.ndarray] = field(default_factory=dict)  # users' vectors as the replay last computed them

    @property
    def head(self) -> FusionHead | None:
        """The fusion head the validation gate fitted (None: the model ranks alone)."""
        return self.result.gate.head if self.result.gate is not None else None

    def prepare(self, cat: Catalogue, histories: Histories, users: list[str]) -> None:
        """Cache the catalogue's vectors and the users' vectors at the cut (the static variant's)."""
        rt = self.runtime
        rt.remember_items(cat.records)
        rt.remember_queries(cat.queries)
        rows = [rt.items.row(i) for i in cat.ids]
        self.items, self.bias = rt.items.table[rows].cpu(), rt.items.bias[rows].cpu()
        k = rt.card.k
        z = rt.user_vectors([histories.recent(u, k) for u in users]).numpy()
        self.static = dict(zip(users, z, strict=True))
        self.empty = rt.user_vectors([[]]).numpy()[0]

    def scores(self, z: np.ndarray) -> np.ndarray:
        """Every catalogue item's score for user vector ``z`` with the item vectors frozen at the cut."""
        return (torch.from_numpy(z).float() @ self.cut_items.T + self.cut_bias).numpy()

    def go_live(self, stats: np.ndarray, counts: LiveCounts) -> None:
        """Recompute the catalogue's scoring vectors under live statistics ``stats`` and the newest
        buyers ``counts`` holds (the first call, at the cut, also fixes the static variant's)."""
        buyers = None
        if self.runtime.model.buyers is not None:
            rows, times = counts.recent_buyers()
            used = np.unique(rows[rows >= 0])
            table = np.zeros((len(counts.user_keys), len(self.empty)), np.float32)
            known = np.zeros(len(counts.user_keys), bool)
            for r in used:
                key = counts.user_keys[r]
                vec = self.latest.get(key, self.static.get(key))
                if vec is not None:
                    table[r], known[r] = vec, True
            buyers = gather(table, np.where((rows >= 0) & known[rows.clip(min=0)], rows, -1), times,
                            counts.now_ms or 0)
        self.live_items, self.live_bias = self.runtime.live_items(self.items, self.bias, stats, buyers)
        if not len(self.cut_items):
            self.cut_items, self.cut_bias = self.live_items, self.live_bias

    def live_scores(self, z: np.ndarray) -> np.ndarray:
        """Every catalogue item's score with its live state: ``z · h_i(t) + b_i(t)``."""
        return (torch.from_numpy(z).float() @ self.live_items.T + self.live_bias).numpy().astype(np.float64)


def gds_embeddings(driver: Driver, settings: Settings, ns: str,
                   seed: int) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
    """FastRP and GraphSAGE vectors (L2-normalised) of the namespace ``ns``, with GDS's timings."""
    graph, model = f"{ns}gds", f"{ns}sage"
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        write(driver, settings, "gnn/gds_project", graph=graph, prefix=ns)
        timings["project_s"] = time.perf_counter() - started
        t = time.perf_counter()
        write(driver, settings, "gnn/gds_fastrp_write", graph=graph, dim=settings.embedding_dim,
              property="gds_fastrp", seed=seed)
        timings["fastrp_write_s"] = time.perf_counter() - t
        t = time.perf_counter()
        write(driver, settings, "gnn/gds_graphsage_train", graph=graph, model=model, dim=settings.embedding_dim,
              seed=seed)
        write(driver, settings, "gnn/gds_graphsage_write", graph=graph, model=model, property="gds_graphsage")
        timings["graphsage_train_write_s"] = time.perf_counter() - t
    finally:
        write(driver, settings, "gnn/gds_drop_graph", graph=graph)
        write(driver, settings, "gnn/gds_drop_model", model=model)
    out: dict[str, dict[str, np.ndarray]] = {}
    for prop in ("gds_fastrp", "gds_graphsage"):
        vecs = {}
        for r in read(driver, settings, "gnn/read_embeddings", prefix=ns, property=prop, ids=None):
            if r["vector"] is not None:
                v = np.asarray(r["vector"], dtype=np.float64)
                n = np.linalg.norm(v)
                if n > 0:
                    vecs[r["id"]] = v / n
        out[prop] = vecs
    return out, {k: round(v, 2) for k, v in timings.items()}


def first_touch_sequences(data: TrainingData, rows: dict[str, int]) -> tuple[list[list[int]], list[list[int]]]:
    """Each user's items in first-touch order (as rows), with their times: SASRec's input."""
    seqs, times = [], []
    for user in sorted(data.edges):
        firsts: dict[str, int] = {}
        for e in data.edges[user]:
            if e.kind == ITEM:
                firsts[e.target] = min(firsts.get(e.target, e.first_ms), e.first_ms)
        order = sorted((t, i) for i, t in firsts.items())
        seqs.append([rows[i] for _, i in order])
        times.append([t for t, _ in order])
    return seqs, times


@dataclass
class Trained:
    """Every learned method, trained on the same past."""

    models: dict[str, TrainResult]
    sasrec: SASRec
    sasrec_rows: dict[str, int]
    info: dict[str, Any]


def train_all(data: TrainingData, settings: Settings, epochs: int, seed: int, progress: bool,
              say: Callable[[str], None], readout: bool = False) -> Trained:
    """Train GIN, GCN and SASRec on the past, with the same epochs and seed."""
    models: dict[str, TrainResult] = {}
    for arch in ("gin", "gcn"):
        say(f"[{arch}] train on the past")
        models[arch] = train(data, TrainConfig(arch=arch, max_epochs=epochs, seed=seed, readout=readout,
                                               dim=settings.embedding_dim - STORED_EXTRA), progress=progress)
    say("[sasrec] train on the past")
    rows = {i: n for n, i in enumerate(models["gin"].vocab.items)}
    seqs, times = first_touch_sequences(data, rows)
    sasrec, sas_info = train_sasrec(len(rows), seqs, times, 0.1, SASRecConfig(seed=seed, max_epochs=epochs),
                                    progress=progress)
    return Trained(models, sasrec, rows, {**{a: r.metrics() for a, r in models.items()}, "sasrec": sas_info})
