"""The evaluation's replay: every method scores each live event before it is applied, and
chunks of the stream go through Neo4j to check train/serve skew (see :mod:`bench.evaluate`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
from neo4j import Driver

from bench.eval_methods import Live, Trained
from bench.eval_stream import Catalogue, record_of, text_pass_titles_and_queries
from gnn.behaviour import ITEM, REL_OF_EVENT, Histories
from gnn.counting import LiveCounts
from gnn.export import TrainingData
from gnn.gate import TABLE_EVERY
from gnn.metrics import Score, rank_of
from gnn.online import UserUpdater
from gnn.recommend import recommend
from gnn.refresh import embed_items
from gnn.runtime import ModelRuntime
from gnn.scoring import Signals, candidates, co_behaviour, features
from ingest.events import Event, EventType, query_id
from ingest.pipeline import sync_records
from ingest.writer import GraphWriter
from interestgraph.graph import read, write
from interestgraph.settings import Settings

METHODS = ("popularity", "popularity_recent", "item_knn", "item_knn_recent", "user_knn", "mean_recent", "gds_fastrp",
           "gds_graphsage", "sasrec", "gin_static", "gin_model", "gin_dynamic", "gcn_static", "gcn_dynamic")
RECENT_ITEMS = 20


class ServeCheck:
    """Ingests stream chunks into Neo4j through the real writer and per-event hook, and
    compares the vectors written there with the ones computed in memory; before each chunk,
    asks the served ranking (``gnn.recommend``, through Neo4j) for the top 20 of the user the
    replay captured at the chunk's first scored event, and compares it with the in-memory one."""

    def __init__(self, driver: Driver, settings: Settings, live: Live, ns: str, item_ids: list[str],
                 user_ids: list[str], cut_ms: int) -> None:
        self.driver, self.settings, self.ns = driver, settings, ns
        self.neo = ModelRuntime(live.runtime.card, live.runtime.model, live.runtime.vocab, live.runtime.device)
        self.card = replace(live.runtime.card, ranking="fused" if live.head is not None else "model")
        self.head = live.head
        self.updater = UserUpdater(driver, settings, lambda: self.neo)
        self.writer = GraphWriter(driver, settings, after_commit=self.updater)
        self.users = 0
        self.max_diff = 0.0
        self.update_s = 0.0
        self.updated = 0
        self.overlaps: list[float] = []
        self.item_s = 0.0
        self.items_embedded = 0
        self._lease()
        # The past's shoppers as the model sees them at the cut, then the items (whose readout reads them).
        for start in range(0, len(user_ids), 2048):
            self.updater.update(user_ids[start:start + 2048])
        self._embed_items(item_ids, cut_ms)

    def _lease(self) -> None:
        """Keep the workers' scheduled refresh off this namespace (it would embed with the active model)."""
        write(self.driver, self.settings, "bench/lease_namespace", prefix=self.ns, owner=f"evaluate:{self.ns}",
              until_ms=int(time.time() * 1000) + 6 * 3_600_000)

    def _embed_items(self, ids: list[str], now_ms: int) -> None:
        """Items' vectors with their live state as of the stream's time, as the refresh writes them."""
        for start in range(0, len(ids), 2048):
            t = time.perf_counter()
            report = embed_items(self.driver, self.settings, self.neo, ids[start:start + 2048], now_ms=now_ms,
                                 schedule=False)
            self.item_s += time.perf_counter() - t
            self.items_embedded += report.items_loaded

    def serve(self, user: str, want: list[str], now_ms: int) -> None:
        """Compare the served top 20 of ``user`` (Neo4j as of now) with the in-memory ``want``."""
        got = recommend(self.driver, self.settings, user, k=len(want), prefix=self.ns, card=self.card,
                        head=self.head, now_ms=now_ms)
        self.overlaps.append(len({r["item_id"] for r in got} & set(want)) / max(len(want), 1))

    def chunk(self, events: list[Event], expected: Callable[[list[str]], np.ndarray],
              captured: tuple[str, list[str], int] | None = None) -> None:
        """Compare the captured served ranking, ingest one chunk through the writer and per-event
        hook, re-embed its items, then compare Neo4j's user vectors with ``expected``."""
        if captured is not None:
            self.serve(*captured)
        recs = [record_of(e, self.ns) for e in events]
        sync_records(f"{self.ns}stream", recs, self.writer, self.settings.home / "evaluate.dead.jsonl", progress=False)
        self._lease()  # the chunk's new users and items too
        # New titles reach the graph as the nlp workers would write them.
        text_pass_titles_and_queries(self.driver, self.settings)
        users = sorted({self.ns + e.user_id for e in events})
        report = self.updater.update(users)
        self.update_s += report.read_s + report.compute_s + report.write_s
        self.updated += report.users
        # Then the chunk's items, as the refresh follows ingest (the readout reads the users just written).
        self._embed_items(sorted({self.ns + e.item_id for e in events if e.item_id is not None}),
                          max(e.ts_ms for e in events))
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
        """Users compared, the largest difference, the per-event update's and the item refresh's rates
        through Neo4j, and how much of the in-memory top 20 the served ranking returned."""
        return {"users_compared": self.users, "max_abs_diff": self.max_diff,
                "users_per_s_through_neo4j": round(self.updated / self.update_s, 1) if self.update_s else None,
                "items_per_s_through_neo4j": round(self.items_embedded / self.item_s, 1) if self.item_s else None,
                "served_checks": len(self.overlaps),
                "served_overlap@20": round(float(np.mean(self.overlaps)), 4) if self.overlaps else None}


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
        # Everything counting knows, live: the past's touches now, the stream's as they come.
        self.counts = LiveCounts(n)
        for ev in past:
            if ev.item_id is not None:
                self.counts.add(ns + ev.user_id, cat.column[ns + ev.item_id], ev.ts_ms)
        self.stats = self.counts.item_stats()
        self._refresh_items()
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
        gate = trained.models["gin"].gate
        # Trending popularity's horizon, as the GIN's validation moments chose it.
        self.recent_popularity = gate.recent_popularity if gate is not None else "popularity_1d"
        self.capture = False  # set: the next scored event records the fused top 20 (user, ids, time)
        self.captured: tuple[str, list[str], int] | None = None
        self.chunk_users: set[str] = set()  # users with events since the capture was set
        self.scored = self.cold_users = self.updates = 0
        self.update_s = 0.0

    def _refresh_items(self) -> None:
        """Every model's items with their live state of now (the workers refresh it every few seconds)."""
        self.stats = self.counts.item_stats()
        for g in self.live.values():
            g.go_live(self.stats, self.counts)

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
        if self.scored % TABLE_EVERY == 0:
            self._refresh_items()
        col, cold = cat.column[item], item not in self.past_items
        have = self.counts.items_of(user)  # oldest first
        allowed = np.ones(len(cat.ids), bool)
        allowed[have] = False
        recent = [e.target for e in self.histories.recent(user, k * 4) if e.kind == ITEM]
        recent_cols = [cat.column[i] for i in recent[:RECENT_ITEMS]]

        def add(method: str, scores: np.ndarray | None) -> None:
            self.scores[method].add(rank_of(scores, col, allowed) if scores is not None else None, cold)

        co = co_behaviour(self.counts, user, have)
        counting = Signals({"model": np.zeros(len(cat.ids)), **co}, self.stats, len(have))
        add("popularity", self.counts.event_counts())
        add("popularity_recent", counting.baseline(self.recent_popularity))
        for name in ("item_knn", "item_knn_recent", "user_knn"):
            add(name, counting.baseline(name))
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
            g.latest[user] = z
            if arch == "gin":
                self.update_s += time.perf_counter() - t
                self.updates += 1
            model = g.live_scores(z)
            if arch == "gin":
                add("gin_model", model)
            fused = self._fused(g, Signals({"model": model, **co}, self.stats, len(have)), allowed)
            add(f"{arch}_dynamic", fused)
            # Only a user Neo4j already holds as of the chunk's start: one with history, none of it in the chunk.
            if arch == "gin" and self.capture and have and user not in self.chunk_users:
                top = np.argsort(-np.where(allowed, fused, -np.inf), kind="stable")[:20]
                self.captured = (user, [cat.ids[c] for c in top if allowed[c]], self.counts.now_ms or 0)
                self.capture = False

    @staticmethod
    def _fused(g: Live, sig: Signals, allowed: np.ndarray) -> np.ndarray:
        """The served ranking: the fusion head over the candidates (the model alone without a head)."""
        if g.head is None:
            return sig.values["model"]
        rows = candidates(sig, allowed)
        out = np.full(len(allowed), -np.inf)
        out[rows] = g.head.score(features(sig, rows, allowed))
        return out

    def start_chunk(self) -> None:
        """A new chunk of the stream: capture the served ranking at its first suitable event."""
        self.capture, self.captured = True, None
        self.chunk_users = set()

    def _apply(self, ev: Event) -> None:
        """Merge the event into the in-memory graph, as ingest merges it into Neo4j."""
        self.chunk_users.add(self.ns + ev.user_id)
        rel = REL_OF_EVENT[ev.type]
        if ev.type is EventType.SEARCH:
            self.histories.apply(self.ns + ev.user_id, rel, query_id(ev.query or ""), ev.ts_ms)
            return
        assert ev.item_id is not None
        self.histories.apply(self.ns + ev.user_id, rel, self.ns + ev.item_id, ev.ts_ms, ev.sentiment)
        self.counts.add(self.ns + ev.user_id, self.cat.column[self.ns + ev.item_id], ev.ts_ms)

    def expected(self, users: list[str]) -> np.ndarray:
        """The GIN's stored vectors of ``users`` as of now, computed here."""
        rt = self.live["gin"].runtime
        return rt.stored_users(rt.user_vectors([self.histories.recent(u, self.k) for u in users]))

    def result(self) -> dict[str, Any]:
        """Every method's scores and the per-event update's rate, as the evaluation reports them."""
        return {"scored_events": self.scored, "cold_user_events": self.cold_users,
                "popularity_recent_is": self.recent_popularity,
                "cold_item_events": self.scores["popularity"].cold_n,
                "methods": [self.scores[m].row(m) for m in METHODS],
                "per_event_update": {"model": "gin", "users": self.updates,
                                     "users_per_s": round(self.updates / self.update_s, 1) if self.update_s
                                     else None}}
