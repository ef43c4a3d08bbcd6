"""`interestgraph evaluate`: every method on one live stream of real events.

Protocol (the same for MovieLens-100K and for any contract-v1 event file):

1. Events are validated, de-duplicated by id and sorted by time (ties by user, target,
   id). The first ``cut`` of them by time is the past; the rest is the live stream.
2. The past is ingested into a fresh id namespace of the local Neo4j, the text pass
   encodes its titles and queries, and the training export of that namespace trains the
   GIN, the GCN and SASRec. GDS FastRP and GraphSAGE run on the same past, in the same Neo4j.
3. The stream is replayed in time order. Each event whose item the user does not have yet
   is scored *before* it is applied: every other item of the catalogue the user does not
   have is ranked, and the event's item is the target (Recall@20 = a hit in the top 20,
   NDCG@20 = 1/log2(rank+2); ties count half). Events on items the user already has, and
   searches, are applied but not scored.
4. Dynamic methods recompute the user after every event (the model itself: the same
   runtime code the workers use). Static ones keep the vectors of the cut: a user unseen
   at the cut gets the model's vector of an empty history (GDS has none: a miss).
5. Every ``check_every`` events, the same events are ingested into Neo4j through the real
   writer with the per-event hook, and the vectors the workers' code wrote for those users
   are compared with the ones computed here (``serve_check``): train/serve skew shows up
   as a non-zero difference.

The item catalogue (titles, categories, prices from the whole file) is known from the
start, as a shop's catalogue is; an item is *cold* when nobody touched it before the cut,
and recall on those events is reported separately (``cold_items``).
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from neo4j import Driver
from tqdm import tqdm

from gnn.baselines import ItemKNN, RecentPopularity
from gnn.behaviour import ITEM, REL_OF_EVENT, Histories
from gnn.export import TrainingData, export
from gnn.metrics import Score, rank_of
from gnn.online import UserUpdater
from gnn.registry import STORED_EXTRA
from gnn.runtime import ItemRecord, ModelRuntime, QueryRecord
from gnn.sasrec import SASRec, SASRecConfig, train_sasrec
from gnn.train import TrainConfig, TrainResult, train
from ingest.datasets import movielens
from ingest.deadletter import DeadLetters
from ingest.events import Event, EventType, normalise_query, query_id
from ingest.pipeline import sync_records, validated
from ingest.sources import read_records
from ingest.text import TextPass
from ingest.writer import GraphWriter
from interestgraph.errors import InputError
from interestgraph.graph import read, run_implicit, write
from interestgraph.settings import Settings

METHODS = ("popularity", "item_knn", "item_knn_recent", "mean_recent", "gds_fastrp", "gds_graphsage", "sasrec",
           "gin_static", "gin_dynamic", "gcn_static", "gcn_dynamic")
RECENT_ITEMS = 20
DAY_MS = 86_400_000


@dataclass
class Stream:
    """A validated, time-ordered event list and where the past ends."""

    name: str
    events: list[Event]
    cut: int
    cut_ms: int
    rejected: int = 0

    @property
    def past(self) -> list[Event]:
        return self.events[:self.cut]

    @property
    def live(self) -> list[Event]:
        return self.events[self.cut:]


def _order(ev: Event) -> tuple[int, str, str, str]:
    return (ev.ts_ms, ev.user_id, ev.item_id or query_id(ev.query or ""), ev.event_id)


def load_stream(source: str | Path, quantile: float, dead_letter: Path, stream_limit: int | None = None) -> Stream:
    """MovieLens-100K (``source == "movielens-100k"``) or a contract-v1 event file, cut by time."""
    if not 0.0 < quantile < 1.0:
        raise InputError(f"cut must be between 0 and 1 (exclusive), got {quantile}")
    with DeadLetters(dead_letter) as dead:
        if str(source) == movielens.NAME:
            name, records = movielens.NAME, enumerate(movielens.events(), start=1)
            events = list(validated(name, records, dead, now_ms=int(time.time() * 1000)))
        else:
            path = Path(source)
            if not path.is_file():
                raise InputError(f"{path}: no such file")
            name = path.name
            events = list(validated(str(path), read_records(path), dead))
        rejected = dead.count
    unique: dict[str, Event] = {}
    for ev in events:
        unique.setdefault(ev.event_id, ev)
    ordered = sorted(unique.values(), key=_order)
    if len(ordered) < 20:
        raise InputError(f"{source}: only {len(ordered)} valid events; the evaluation needs at least 20")
    cut_ms = int(np.quantile([e.ts_ms for e in ordered], quantile))
    cut = next((i for i, e in enumerate(ordered) if e.ts_ms > cut_ms), len(ordered))
    if cut == len(ordered) or cut == 0:
        raise InputError(f"{source}: cutting at the {quantile} time quantile leaves no past or no stream")
    if stream_limit is not None:
        ordered = ordered[:cut + stream_limit]
    return Stream(name, ordered, cut, cut_ms, rejected)


def record_of(ev: Event, ns: str) -> dict[str, Any]:
    """``ev`` as a contract-v1 record with its ids in the namespace ``ns``."""
    rec: dict[str, Any] = {"event_id": ns + ev.event_id, "user_id": ns + ev.user_id, "type": ev.type.value,
                           "ts": ev.ts_ms}
    if ev.item_id is not None:
        rec["item_id"] = ns + ev.item_id
    if ev.query is not None:
        rec["query"] = ev.query
    if ev.text is not None:
        rec["text"] = ev.text
    if ev.rating is not None:
        rec["rating"] = ev.rating
    if ev.item is not None:
        item: dict[str, Any] = {}
        if ev.item.title is not None:
            item["title"] = ev.item.title
        if ev.item.categories:
            item["category"] = [ns + c for c in ev.item.categories]
        if ev.item.price is not None:
            item["price"] = ev.item.price
        rec["item"] = item
    return rec


@dataclass
class Catalogue:
    """Every item of the stream with its content as the graph will hold it, plus queries."""

    ids: list[str]  # namespaced, sorted
    records: list[ItemRecord]
    queries: list[QueryRecord]
    column: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.column = {i: n for n, i in enumerate(self.ids)}


def catalogue(stream: Stream, ns: str, settings: Settings, progress: bool) -> Catalogue:
    """Item content merged as the ingest Cypher merges it, and text vectors from the text encoder."""
    from textenc.loaders import text_encoder

    meta: dict[str, dict[str, Any]] = {}
    for ev in stream.events:
        if ev.item_id is None:
            continue
        m = meta.setdefault(ns + ev.item_id, {"title": None, "price": None, "cats": set(), "at": -1})
        if ev.item is not None:
            if ev.ts_ms >= m["at"]:
                m["at"] = ev.ts_ms
                m["title"] = ev.item.title if ev.item.title is not None else m["title"]
                m["price"] = ev.item.price if ev.item.price is not None else m["price"]
            m["cats"].update(ns + c for c in ev.item.categories)
    queries = sorted({normalise_query(ev.query) for ev in stream.events if ev.query})
    titles = sorted({m["title"] for m in meta.values() if m["title"]})
    enc = text_encoder(settings)
    if progress:
        print(f"encoding {len(titles)} titles and {len(queries)} queries", file=sys.stderr, flush=True)
    vec = dict(zip(titles, enc.encode(titles), strict=True)) if titles else {}
    qvec = dict(zip(queries, enc.encode(queries), strict=True)) if queries else {}
    ids = sorted(meta)
    records = [ItemRecord(i, 0, vec[meta[i]["title"]].tolist() if meta[i]["title"] else None,
                          enc.model_id if meta[i]["title"] else None, meta[i]["price"], tuple(sorted(meta[i]["cats"])))
               for i in ids]
    return Catalogue(ids, records, [QueryRecord(query_id(q), 0, qvec[q].tolist(), enc.model_id) for q in queries])


def _text_pass(driver: Driver, settings: Settings) -> None:
    # Titles and queries only: review texts would need the review model, and the replay
    # keeps the ratings' sentiment (as the in-memory side does).
    TextPass(driver, settings).run(reviews=False)


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

    def prepare(self, cat: Catalogue, histories: Histories, users: list[str]) -> None:
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
        return (torch.from_numpy(z).float() @ self.items.T + self.bias).numpy()


def _gds(driver: Driver, settings: Settings, ns: str, seed: int) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
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


class _Check:
    """Ingests stream chunks into Neo4j through the real writer and per-event hook, and
    compares the vectors written there with the ones computed in memory."""

    def __init__(self, driver: Driver, settings: Settings, live: Live, ns: str) -> None:
        self.driver, self.settings, self.ns = driver, settings, ns
        neo = ModelRuntime(live.runtime.card, live.runtime.model, live.runtime.vocab, live.runtime.device)
        self.updater = UserUpdater(driver, settings, lambda: neo)
        self.writer = GraphWriter(driver, settings, after_commit=self.updater)
        self.users = 0
        self.max_diff = 0.0
        self.update_s = 0.0
        self.updated = 0

    def chunk(self, events: list[Event], expected: Callable[[list[str]], np.ndarray]) -> None:
        recs = [record_of(e, self.ns) for e in events]
        sync_records(f"{self.ns}stream", recs, self.writer, self.settings.home / "evaluate.dead.jsonl", progress=False)
        _text_pass(self.driver, self.settings)  # new titles reach the graph as the nlp workers would write them
        users = sorted({self.ns + e.user_id for e in events})
        report = self.updater.update(users)
        self.update_s += report.read_s + report.compute_s + report.write_s
        self.updated += report.users
        got = {r["id"]: np.asarray(r["vector"], np.float64)
               for r in read(self.driver, self.settings, "gnn/read_embeddings", prefix=self.ns, property="embedding",
                             ids=users) if r["vector"] is not None}
        want = expected(users)
        for u, w in zip(users, want, strict=True):
            if u not in got:
                self.max_diff = float("inf")
                continue
            self.max_diff = max(self.max_diff, float(np.abs(got[u] - w).max()))
        self.users += len(users)

    def summary(self) -> dict[str, Any]:
        return {"users_compared": self.users, "max_abs_diff": self.max_diff,
                "users_per_s_through_neo4j": round(self.updated / self.update_s, 1) if self.update_s else None}


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
              say: Callable[[str], None]) -> Trained:
    models: dict[str, TrainResult] = {}
    for arch in ("gin", "gcn"):
        say(f"[{arch}] train on the past")
        models[arch] = train(data, TrainConfig(arch=arch, max_epochs=epochs, seed=seed,
                                               dim=settings.embedding_dim - STORED_EXTRA), progress=progress)
    say("[sasrec] train on the past")
    rows = {i: n for n, i in enumerate(models["gin"].vocab.items)}
    seqs, times = first_touch_sequences(data, rows)
    sasrec, sas_info = train_sasrec(len(rows), seqs, times, 0.1, SASRecConfig(seed=seed, max_epochs=epochs),
                                    progress=progress)
    return Trained(models, sasrec, rows, {**{a: r.metrics() for a, r in models.items()}, "sasrec": sas_info})


class Replay:
    """The live stream, event by event: every method scores the event's item, then the event is applied."""

    def __init__(self, ns: str, data: TrainingData, cat: Catalogue, trained: Trained,
                 gds: dict[str, dict[str, np.ndarray]], past: list[Event], dim: int) -> None:
        self.ns, self.data, self.cat = ns, data, cat
        self.histories = Histories.of(data.edges)
        self.past_items = {e.target for edges in data.edges.values() for e in edges if e.kind == ITEM}
        past_users = sorted(data.edges)
        self.live = {arch: Live(arch, r, ModelRuntime(r.card(f"eval-{arch}"), r.model, r.vocab))
                     for arch, r in trained.models.items()}
        for g in self.live.values():
            g.prepare(cat, self.histories, past_users)
        self.k = self.live["gin"].runtime.card.k
        self.sasrec, self.sas_rows = trained.sasrec, trained.sasrec_rows
        self.sas_cols = np.array([self.sas_rows.get(i, -1) for i in cat.ids])
        n = len(cat.ids)
        self.knn = ItemKNN(len(past_users), n, [(u, cat.column[e.target]) for u, user in enumerate(past_users)
                                                for e in data.edges[user] if e.kind == ITEM])
        self.pop = RecentPopularity(n, window_ms=7 * DAY_MS)
        for ev in past:
            if ev.item_id is not None:
                self.pop.add(cat.column[ns + ev.item_id], ev.ts_ms)
        self.gds_users = gds
        self.gds_items = {}
        for prop, vecs in gds.items():
            has = np.array([i in vecs for i in cat.ids])
            matrix = np.zeros((n, dim))
            for c, i in enumerate(cat.ids):
                if has[c]:
                    matrix[c] = vecs[i]
            self.gds_items[prop] = (matrix, has)
        self.scores = {m: Score() for m in METHODS}
        self.scored = self.cold_users = self.updates = 0
        self.update_s = 0.0

    def step(self, ev: Event) -> None:
        """Score ``ev`` (when its item is new to the user), then apply it."""
        user = self.ns + ev.user_id
        item = self.ns + ev.item_id if ev.item_id is not None else None
        if item is not None and item not in self.histories.items(user):
            self._score(user, item)
        self._apply(ev)

    def _score(self, user: str, item: str) -> None:
        cat, k = self.cat, self.k
        self.scored += 1
        self.cold_users += user not in self.data.edges
        col, cold = cat.column[item], item not in self.past_items
        have = [cat.column[i] for i in self.histories.items(user)]
        allowed = np.ones(len(cat.ids), bool)
        allowed[have] = False
        recent = [e.target for e in self.histories.recent(user, k * 4) if e.kind == ITEM]
        recent_cols = [cat.column[i] for i in recent[:RECENT_ITEMS]]

        def add(method: str, scores: np.ndarray | None) -> None:
            self.scores[method].add(rank_of(scores, col, allowed) if scores is not None else None, cold)

        add("popularity", self.pop.scores())
        add("item_knn", self.knn.scores(have))
        add("item_knn_recent", self.knn.scores(recent_cols))
        gin = self.live["gin"]
        add("mean_recent", gin.scores(gin.items[recent_cols].mean(dim=0).numpy() if recent_cols
                                      else np.zeros(gin.items.shape[1], np.float32)))
        for prop, (vectors, has) in self.gds_items.items():
            uv = self.gds_users[prop].get(user)
            add(prop, np.where(has, vectors @ uv, -np.inf) if uv is not None else None)
        seq = [self.sas_rows[i] for i in reversed(recent) if i in self.sas_rows]
        sas = np.full(len(cat.ids), -np.inf)
        known = self.sas_cols >= 0
        sas[known] = self.sasrec.next_scores([seq])[0].numpy()[self.sas_cols[known]]
        add("sasrec", sas)
        for arch, g in self.live.items():
            add(f"{arch}_static", g.scores(g.static.get(user, g.empty)))
            t = time.perf_counter()
            z = g.runtime.user_vectors([self.histories.recent(user, k)]).numpy()[0]
            if arch == "gin":
                self.update_s += time.perf_counter() - t
                self.updates += 1
            add(f"{arch}_dynamic", g.scores(z))

    def _apply(self, ev: Event) -> None:
        """Merge the event into the in-memory graph, as ingest merges it into Neo4j."""
        rel = REL_OF_EVENT[ev.type]
        if ev.type is EventType.SEARCH:
            self.histories.apply(self.ns + ev.user_id, rel, query_id(ev.query or ""), ev.ts_ms)
            return
        assert ev.item_id is not None
        self.histories.apply(self.ns + ev.user_id, rel, self.ns + ev.item_id, ev.ts_ms, ev.sentiment)
        self.pop.add(self.cat.column[self.ns + ev.item_id], ev.ts_ms)

    def expected(self, users: list[str]) -> np.ndarray:
        """The GIN's stored vectors of ``users`` as of now, computed here."""
        rt = self.live["gin"].runtime
        return rt.stored_users(rt.user_vectors([self.histories.recent(u, self.k) for u in users]))

    def result(self) -> dict[str, Any]:
        return {"scored_events": self.scored, "cold_user_events": self.cold_users,
                "cold_item_events": self.scores["popularity"].cold_n,
                "methods": [self.scores[m].row(m) for m in METHODS],
                "per_event_update": {"model": "gin", "users": self.updates,
                                     "users_per_s": round(self.updates / self.update_s, 1) if self.update_s
                                     else None}}


def evaluate_methods(driver: Driver, settings: Settings, *, source: str | Path = movielens.NAME, quantile: float = 0.8,
                     epochs: int = 40, seed: int = 0, stream_limit: int | None = None, keep: bool = False,
                     check_every: int = 500, progress: bool = True,
                     log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the whole comparison; returns the JSON result."""
    started = time.perf_counter()
    say = log or (lambda msg: print(msg, file=sys.stderr, flush=True) if progress else None)
    stream = load_stream(source, quantile, settings.home / "evaluate.dead.jsonl", stream_limit)
    ns = f"ev{uuid.uuid4().hex[:6]}-"
    out: dict[str, Any] = {"dataset": stream.name, "past_events": stream.cut, "stream_events": len(stream.live),
                           "rejected_lines": stream.rejected, "cut_ms": stream.cut_ms}
    try:
        say(f"ingest the past ({stream.cut} events) into {ns}*, encode titles and queries")
        sync_records(f"{ns}past", [record_of(e, ns) for e in stream.past], GraphWriter(driver, settings),
                     settings.home / "evaluate.dead.jsonl", progress=progress)
        _text_pass(driver, settings)
        data = export(driver, settings, prefix=ns, progress=progress)
        cat = catalogue(stream, ns, settings, progress)
        trained = train_all(data, settings, epochs, seed, progress, say)
        out["train"] = trained.info
        say("[gds] project, FastRP, GraphSAGE on the same past")
        gds, out["gds"] = _gds(driver, settings, ns, seed)
        replay = Replay(ns, data, cat, trained, gds, stream.past, settings.embedding_dim)
        check = _Check(driver, settings, replay.live["gin"], ns)
        say(f"replay {len(stream.live)} events; every {check_every}, the same through Neo4j")
        with tqdm(total=len(stream.live), desc="replay", unit="ev", disable=not progress, file=sys.stderr) as bar:
            for start in range(0, len(stream.live), check_every):
                chunk = stream.live[start:start + check_every]
                for ev in chunk:
                    replay.step(ev)
                    bar.update(1)
                check.chunk(chunk, replay.expected)
        out.update({**replay.result(), "serve_check": check.summary()})
    finally:
        if not keep:
            run_implicit(driver, settings, "bench/delete_namespace", prefix=ns)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out


# The old name, for interestgraph/cli.py until that module is deleted.
run = evaluate_methods
