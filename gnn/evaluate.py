"""`interestgraph evaluate --dataset movielens-100k`: every method on one live stream.

1. MovieLens-100K is cut at the 80% time quantile. The past is ingested into a fresh id
   namespace per GNN (the replay mutates it), the GNN is trained on it, and GDS FastRP and
   GraphSAGE run on the same past in the same Neo4j (project, embed, write back).
2. The last 20% is replayed in time order, in chunks of ``chunk`` events. Each event is
   scored *before* it is applied: every not-yet-seen item is ranked for the event's user
   and the event's item is the target (Recall@20 = hit in the top 20, NDCG@20 = 1/log2(rank+2)).
3. Static methods keep their cut-off vectors. Dynamic GNNs do what the workers do: each
   chunk is ingested, its users and items are re-embedded from their fresh neighbourhoods,
   and between refreshes each event nudges its user's vector (the delta path).
Users or items that a method has no vector for count as misses for it. Ties in a ranking
count half. Everything is seeded and processed in a fixed order.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from neo4j import Driver
from tqdm import tqdm

from gnn import delta
from gnn.baselines import ItemKNN, RecentPopularity
from gnn.export import export_graph
from gnn.refresh import Embedder, refresh
from gnn.registry import ModelCard
from gnn.train import K, TrainConfig, train
from ingest.datasets import movielens
from ingest.events import parse_record
from ingest.pipeline import sync_records
from ingest.writer import GraphWriter
from interestgraph.graph import read, run_implicit, write
from interestgraph.settings import Settings

METHODS = ("popularity", "item_knn", "gds_fastrp", "gds_graphsage", "gin_static", "gin_dynamic",
           "gcn_static", "gcn_dynamic")
DAY_MS = 86_400_000


@dataclass
class Vectors:
    """One method's user and item vectors, rows aligned to the data set's users and items."""

    users: np.ndarray
    items: np.ndarray
    has_user: np.ndarray
    has_item: np.ndarray

    @classmethod
    def empty(cls, n_users: int, n_items: int, dim: int) -> Vectors:
        return cls(np.zeros((n_users, dim)), np.zeros((n_items, dim)), np.zeros(n_users, bool),
                   np.zeros(n_items, bool))

    def copy(self) -> Vectors:
        return Vectors(self.users.copy(), self.items.copy(), self.has_user.copy(), self.has_item.copy())


@dataclass
class Score:
    hits: float = 0.0
    ndcg: float = 0.0
    n: int = 0

    def add(self, rank: float | None) -> None:
        self.n += 1
        if rank is not None and rank < K:
            self.hits += 1.0
            self.ndcg += 1.0 / np.log2(rank + 2.0)


@dataclass
class Dataset:
    events: list[dict[str, Any]]
    user_row: dict[str, int]
    item_col: dict[str, int]
    cut: int  # index of the first stream event
    cut_ms: int
    seen: list[set[int]] = field(default_factory=list)


def _raw(ns_id: str) -> str:
    return ns_id.rsplit("-", 1)[1]  # "<namespace>-u196" -> "u196"


def load_dataset(quantile: float) -> Dataset:
    evs = movielens.events()
    cut_ms = int(np.quantile([e["ts"] for e in evs], quantile))
    cut = next(i for i, e in enumerate(evs) if e["ts"] > cut_ms)
    users = sorted({_raw(e["user_id"]) for e in evs}, key=lambda s: int(s[1:]))
    items = sorted({_raw(e["item_id"]) for e in evs}, key=lambda s: int(s[1:]))
    data = Dataset(evs, {u: r for r, u in enumerate(users)}, {i: c for c, i in enumerate(items)}, cut, cut_ms)
    data.seen = [set() for _ in users]
    for e in evs[:cut]:
        data.seen[data.user_row[_raw(e["user_id"])]].add(data.item_col[_raw(e["item_id"])])
    return data


def rank_of(scores: np.ndarray, target: int, allowed: np.ndarray) -> float | None:
    """0-based rank of ``target`` among ``allowed`` items (ties count half); None if unrankable."""
    if not allowed[target] or not np.isfinite(scores[target]):
        return None
    s = scores[allowed]
    t = scores[target]
    return float((s > t).sum() + 0.5 * ((s == t).sum() - 1))


def _read_vectors(driver: Driver, settings: Settings, data: Dataset, ns: str, prop: str,
                  into: Vectors | None = None, ids: list[str] | None = None) -> Vectors:
    """Read vectors into ``into`` (or a new set); with ``ids``, only those nodes'."""
    out = into or Vectors.empty(len(data.user_row), len(data.item_col), settings.embedding_dim)
    for r in read(driver, settings, "gnn/read_embeddings", prefix=ns, property=prop, ids=ids):
        if r["vector"] is None:
            continue
        vec = np.asarray(r["vector"], dtype=np.float64)
        norm = np.linalg.norm(vec)
        if norm == 0:
            continue
        raw = _raw(r["id"])
        if r["label"] == "User":
            out.users[data.user_row[raw]] = vec / norm
            out.has_user[data.user_row[raw]] = True
        else:
            out.items[data.item_col[raw]] = vec / norm
            out.has_item[data.item_col[raw]] = True
    return out


def _ns_events(data: Dataset, ns: str, start: int, stop: int) -> list[dict[str, Any]]:
    out = []
    for e in data.events[start:stop]:
        rec = {**e, "event_id": f"{ns}{e['event_id']}", "user_id": f"{ns}{e['user_id']}",
               "item_id": f"{ns}{e['item_id']}"}
        if "item" in e:
            rec["item"] = {**e["item"], "category": [f"{ns}{c}" for c in e["item"]["category"]]}
        out.append(rec)
    return out


def _gds(driver: Driver, settings: Settings, data: Dataset, ns: str, seed: int) -> dict[str, Any]:
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
    return {"gds_fastrp": _read_vectors(driver, settings, data, ns, "gds_fastrp"),
            "gds_graphsage": _read_vectors(driver, settings, data, ns, "gds_graphsage"),
            "timings": {k: round(v, 2) for k, v in timings.items()}}


@dataclass
class LiveGNN:
    """A namespace with a trained model that re-embeds as the stream advances."""

    arch: str
    ns: str
    embedder: Embedder
    vectors: Vectors
    train_metrics: dict[str, Any]


def _prepare_gnn(driver: Driver, settings: Settings, data: Dataset, arch: str, ns: str, epochs: int,
                 seed: int, progress: bool) -> tuple[LiveGNN, dict[str, Any]]:
    sync_records(f"{ns}past", _ns_events(data, ns, 0, data.cut), GraphWriter(driver, settings),
                 settings.home / "evaluate.dead.jsonl", progress=progress)
    graph = export_graph(driver, settings, prefix=ns, progress=progress)
    result = train(graph, TrainConfig(arch=arch, epochs=epochs, seed=seed, out=settings.embedding_dim),
                   progress=progress)
    card = ModelCard(arch=arch, version=f"eval-s{seed}", out_channels=settings.embedding_dim, seed=seed,
                     meta={"trained": True})
    embedder = Embedder(settings, card, result.model)
    t = time.perf_counter()
    users = [f"{ns}{movielens.user_id(u[1:])}" for u in data.user_row if data.seen[data.user_row[u]]]
    items = [f"{ns}{movielens.item_id(i[1:])}" for i in data.item_col]
    report = refresh(driver, settings, embedder=embedder, users=users, items=items, batch_size=512, similar=False)
    embed_s = time.perf_counter() - t
    vectors = _read_vectors(driver, settings, data, ns, "embedding")
    info = {**result.metrics(), "embed_all_s": round(embed_s, 2),
            "embedded": {"users": report.users, "items": report.items}}
    return LiveGNN(arch, ns, embedder, vectors, info), info


def run(driver: Driver, settings: Settings, *, quantile: float = 0.8, chunk: int = 50, epochs: int = 80,
        seed: int = 0, stream_limit: int | None = None, keep: bool = False, progress: bool = True,
        log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the whole comparison; ``stream_limit`` replays only the first events (smoke runs)."""
    started = time.perf_counter()
    say = log or (lambda msg: print(msg, file=sys.stderr, flush=True) if progress else None)
    data = load_dataset(quantile)
    if stream_limit is not None:
        data.events = data.events[:data.cut + stream_limit]
    run_id = uuid.uuid4().hex[:6]
    n_users, n_items = len(data.user_row), len(data.item_col)
    namespaces = {arch: f"ev{run_id}{arch}-" for arch in ("gin", "gcn")}
    out: dict[str, Any] = {"dataset": movielens.NAME, "past_events": data.cut,
                           "stream_events": len(data.events) - data.cut, "cut_ms": data.cut_ms, "chunk": chunk}
    try:
        live: dict[str, LiveGNN] = {}
        for arch, ns in namespaces.items():
            say(f"[{arch}] ingest the past ({data.cut} events), train, embed")
            live[arch], out[f"{arch}_train"] = _prepare_gnn(driver, settings, data, arch, ns, epochs, seed, progress)
        say("[gds] project, FastRP, GraphSAGE on the same past")
        gds = _gds(driver, settings, data, namespaces["gin"], seed)
        out["gds"] = gds.pop("timings")
        static: dict[str, Vectors] = {"gds_fastrp": gds["gds_fastrp"], "gds_graphsage": gds["gds_graphsage"],
                                      "gin_static": live["gin"].vectors.copy(),
                                      "gcn_static": live["gcn"].vectors.copy()}
        scores = {m: Score() for m in METHODS}
        past_pairs = [(data.user_row[_raw(e["user_id"])], data.item_col[_raw(e["item_id"])])
                      for e in data.events[:data.cut]]
        knn = ItemKNN(n_users, n_items, past_pairs)
        pop = RecentPopularity(n_items, window_ms=7 * DAY_MS)
        for e in data.events[:data.cut]:
            pop.add(data.item_col[_raw(e["item_id"])], e["ts"])
        history = [sorted(s) for s in data.seen]
        cold = 0
        say(f"replay {len(data.events) - data.cut} events in chunks of {chunk}")
        with tqdm(total=len(data.events) - data.cut, desc="replay", unit="ev", disable=not progress,
                  file=sys.stderr) as bar:
            for start in range(data.cut, len(data.events), chunk):
                stop = min(start + chunk, len(data.events))
                for e in data.events[start:stop]:
                    u, i = data.user_row[_raw(e["user_id"])], data.item_col[_raw(e["item_id"])]
                    allowed = np.ones(n_items, bool)
                    allowed[list(data.seen[u])] = False
                    cold += not data.seen[u]
                    scores["popularity"].add(rank_of(pop.scores(), i, allowed))
                    scores["item_knn"].add(rank_of(knn.scores(history[u]), i, allowed))
                    for name, vec in [*static.items(), ("gin_dynamic", live["gin"].vectors),
                                      ("gcn_dynamic", live["gcn"].vectors)]:
                        if not vec.has_user[u]:
                            scores[name].add(None)
                            continue
                        s = np.where(vec.has_item, vec.items @ vec.users[u], -np.inf)
                        scores[name].add(rank_of(s, i, allowed))
                    # Apply the event: histories, popularity, and the delta path of dynamic GNNs.
                    data.seen[u].add(i)
                    history[u].append(i)
                    pop.add(i, e["ts"])
                    ev = parse_record(e, now_ms=e["ts"])
                    for g in live.values():
                        if g.vectors.has_user[u] and g.vectors.has_item[i]:
                            g.vectors.users[u] = delta.nudge(g.vectors.users[u], g.vectors.items[i],
                                                             delta.event_strength(ev.type, ev.sentiment))
                for g in live.values():
                    recs = _ns_events(data, g.ns, start, stop)
                    sync_records(f"{g.ns}stream", recs, GraphWriter(driver, settings),
                                 settings.home / "evaluate.dead.jsonl", progress=False)
                    users, items = sorted({r["user_id"] for r in recs}), sorted({r["item_id"] for r in recs})
                    refresh(driver, settings, embedder=g.embedder, users=users, items=items, similar=False)
                    # Only the chunk's nodes were re-embedded; every other vector is unchanged.
                    _read_vectors(driver, settings, data, g.ns, "embedding", into=g.vectors, ids=users + items)
                bar.update(stop - start)
        out["cold_user_events"] = cold
        out["methods"] = [{"method": m, "recall@20": round(s.hits / s.n, 4), "ndcg@20": round(s.ndcg / s.n, 4)}
                          for m, s in scores.items()]
    finally:
        if not keep:
            for ns in namespaces.values():
                run_implicit(driver, settings, "bench/delete_namespace", prefix=ns)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out
