"""The evaluation's replay: every method scores each live event before it is applied, and
chunks of the stream go through Neo4j to check train/serve skew (see :mod:`bench.evaluate`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from neo4j import Driver

from bench.eval_methods import Live, Trained
from bench.eval_stream import Catalogue, record_of, text_pass_titles_and_queries
from gnn.baselines import ItemKNN, RecentPopularity
from gnn.behaviour import ITEM, REL_OF_EVENT, Histories
from gnn.export import TrainingData
from gnn.metrics import Score, rank_of
from gnn.online import UserUpdater
from gnn.runtime import ModelRuntime
from ingest.events import Event, EventType, query_id
from ingest.pipeline import sync_records
from ingest.writer import GraphWriter
from interestgraph.constants import DAY_MS
from interestgraph.graph import read
from interestgraph.settings import Settings

METHODS = ("popularity", "item_knn", "item_knn_recent", "mean_recent", "gds_fastrp", "gds_graphsage", "sasrec",
           "gin_static", "gin_dynamic", "gcn_static", "gcn_dynamic")
RECENT_ITEMS = 20


class ServeCheck:
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
        """Ingest one chunk through the writer and per-event hook, then compare Neo4j's vectors with ``expected``."""
        recs = [record_of(e, self.ns) for e in events]
        sync_records(f"{self.ns}stream", recs, self.writer, self.settings.home / "evaluate.dead.jsonl", progress=False)
        # New titles reach the graph as the nlp workers would write them.
        text_pass_titles_and_queries(self.driver, self.settings)
        users = sorted({self.ns + e.user_id for e in events})
        report = self.updater.update(users)
        self.update_s += report.read_s + report.compute_s + report.write_s
        self.updated += report.users
        got = {r["id"]: np.asarray(r["vector"], np.float64)
               for r in read(self.driver, self.settings, "gnn/read_embeddings", prefix=self.ns,
                             property="embedding_fresh", ids=users) if r["vector"] is not None}
        want = expected(users)
        for u, w in zip(users, want, strict=True):
            if u not in got:
                self.max_diff = float("inf")
                continue
            self.max_diff = max(self.max_diff, float(np.abs(got[u] - w).max()))
        self.users += len(users)

    def summary(self) -> dict[str, Any]:
        """Users compared, the largest difference, and the per-event update's rate through Neo4j."""
        return {"users_compared": self.users, "max_abs_diff": self.max_diff,
                "users_per_s_through_neo4j": round(self.updated / self.update_s, 1) if self.update_s else None}


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
        """Every method's scores and the per-event update's rate, as the evaluation reports them."""
        return {"scored_events": self.scored, "cold_user_events": self.cold_users,
                "cold_item_events": self.scores["popularity"].cold_n,
                "methods": [self.scores[m].row(m) for m in METHODS],
                "per_event_update": {"model": "gin", "users": self.updates,
                                     "users_per_s": round(self.updates / self.update_s, 1) if self.update_s
                                     else None}}
