"""`interestgraph bench recall`: how exact similar-shopper search is, and what the HNSW
settings of the user vector index buy.

A synthetic namespace of at least 20,000 users is ingested and embedded by the active model
(their fresh vectors), and copied into the vector index as the background sync does (its
throughput is reported). Then, for a sample of its users:

- ``similar`` as served (the production ``user_embedding`` index proposes candidates, the
  fresh vectors rank them) against exact search over every user in the database;
- for each HNSW setting (``m``, ``ef_construction``, int8 quantisation), an index of its own
  over copies of the namespace's vectors (``:AnnProbe``): recall@k of the index's own top k,
  and of its candidates re-ranked by the exact vectors, against exact search over the same
  vectors, with the time the index took to build (its insert cost).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

import numpy as np
from neo4j import Driver

from bench.inference import other_data, seed_namespace
from bench.namespace import delete_namespace
from gnn.refresh import RuntimeCache, refresh
from gnn.user_index import sync_user_index
from interestgraph.graph import read, run_implicit, write
from interestgraph.serve import similar, similar_candidates
from interestgraph.settings import Settings

K = 10
# (m, ef_construction, quantised): Neo4j's defaults (16, 100), the user index's (8, 64), and around them.
SETTINGS_UNDER_TEST = ((4, 32, False), (8, 64, False), (8, 64, True), (16, 100, False), (16, 100, True),
                       (32, 200, False))


class Exact:
    """Exact cosine nearest neighbours over a set of vectors."""

    def __init__(self, rows: Iterable[Any]) -> None:
        pairs = [(r["id"], r["vector"]) for r in rows]
        self.ids = [i for i, _ in pairs]
        v = np.asarray([x for _, x in pairs], dtype=np.float64)
        self.unit = v / np.linalg.norm(v, axis=1, keepdims=True).clip(min=1e-12)
        self.row = {i: n for n, i in enumerate(self.ids)}

    def kth(self, query_ids: list[str], k: int) -> dict[str, float]:
        """Each query's cosine with its ``k``-th nearest other user."""
        out = {}
        for start in range(0, len(query_ids), 64):
            chunk = query_ids[start:start + 64]
            rows = [self.row[q] for q in chunk]
            sims = self.unit[rows] @ self.unit.T
            sims[np.arange(len(rows)), rows] = -np.inf  # not oneself
            out.update({q: float(-np.partition(-sims[n], k - 1)[k - 1]) for n, q in enumerate(chunk)})
        return out

    def cosine(self, a: str, b: str) -> float:
        """The exact cosine of two users (-inf for one without a vector here)."""
        if a not in self.row or b not in self.row:
            return float("-inf")
        return float(self.unit[self.row[a]] @ self.unit[self.row[b]])


def recall(got: dict[str, list[str]], exact: Exact, kth: dict[str, float], k: int) -> float:
    """Mean share of ``k`` found among the exact top ``k``, ties counted as found: shoppers with
    the same few events have equal vectors, and any of them is as near as another (a recall
    against one arbitrary choice among ties would charge a perfect search for the tie-break)."""
    return round(float(np.mean([sum(exact.cosine(q, u) >= kth[q] - 1e-9 for u in got.get(q, [])[:k]) / k
                                for q in kth])), 4)


def _probe(driver: Driver, settings: Settings, exact: Exact, sample: list[str], m: int, ef: int,
           quantized: bool) -> dict[str, Any]:
    """Build the probe index with one setting and measure it."""
    write(driver, settings, "schema/drop_index", index="ann_probe")
    started = time.perf_counter()
    write(driver, settings, "bench/create_probe_index", dim=settings.embedding_dim, m=m, ef_construction=ef,
          quantized=quantized)
    write(driver, settings, "schema/await_indexes")
    build_s = time.perf_counter() - started
    kth = exact.kth(sample, K)
    queries = [{"id": q, "vec": exact.unit[exact.row[q]].tolist()} for q in sample]
    out: dict[str, Any] = {"m": m, "ef_construction": ef, "quantized": quantized, "build_s": round(build_s, 2)}
    for name, candidates in (("index_top_k", K + 1), ("reranked", similar_candidates(K))):
        t = time.perf_counter()
        got = {r["id"]: r["neighbours"] for start in range(0, len(queries), 100)
               for r in read(driver, settings, "bench/probe_neighbours", queries=queries[start:start + 100], k=K,
                             candidates=candidates)}
        out[f"recall@{K}_{name}"] = recall(got, exact, kth, K)
        out[f"ms_per_query_{name}"] = round(1000 * (time.perf_counter() - t) / len(queries), 2)
    write(driver, settings, "schema/drop_index", index="ann_probe")
    return out


def benchmark_recall(driver: Driver, settings: Settings, *, users: int = 20_000, items: int = 10_000,
                     queries: int = 500, progress: bool = True) -> dict[str, Any]:
    """Recall@10 of ``similar`` against exact search, and the HNSW settings table."""
    prefix = f"rc{uuid.uuid4().hex[:6]}-"
    try:
        ids = seed_namespace(driver, settings, prefix, users=users, items=items, seed=31, progress=progress)
        runtime = RuntimeCache(settings)
        refresh(driver, settings, runtime=runtime, items=ids["items"], batch_size=2048, similar=False)
        refresh(driver, settings, runtime=runtime, users=ids["users"], batch_size=2048, similar=False)
        sync = sync_user_index(driver, settings, prefix=prefix, limit=len(ids["users"]))
        everyone = Exact(read(driver, settings, "bench/namespace_user_vectors", prefix=""))
        mine = Exact(read(driver, settings, "bench/namespace_user_vectors", prefix=prefix))
        sample = sorted(np.random.default_rng(0).choice(mine.ids, size=min(queries, len(mine.ids)),
                                                        replace=False).tolist())
        t = time.perf_counter()
        served = {q: [r["user_id"] for r in similar(driver, settings, q, k=K)] for q in sample}
        served_ms = 1000 * (time.perf_counter() - t) / len(sample)
        result: dict[str, Any] = {
            "users": len(mine.ids), "users_in_database": len(everyone.ids), "queries": len(sample), "k": K,
            f"similar_recall@{K}": recall(served, everyone, everyone.kth(sample, K), K),
            "similar_candidates": similar_candidates(K), "similar_ms_per_query": round(served_ms, 2),
            "similar_definition": "serve.similar (the user_embedding index's candidates ranked by the fresh "
                                  "vectors) against exact cosine search over every user in the database; "
                                  "a neighbour as near as the exact 10th (a tie) counts as found",
            "index_sync": {**sync.as_dict(), "users_per_s": round(sync.copied / sync.seconds, 1)
                           if sync.seconds else None},
        }
        write(driver, settings, "bench/create_probe_nodes", prefix=prefix)
        result["hnsw"] = [_probe(driver, settings, mine, sample, m, ef, q) for m, ef, q in SETTINGS_UNDER_TEST]
        result["hnsw_definition"] = (f"an index of each setting over the namespace's {len(mine.ids)} vectors; "
                                     f"recall@{K} of its own top {K} (index_top_k) and of its "
                                     f"{similar_candidates(K)} candidates ranked by the exact vectors (reranked), "
                                     "against exact search over the same vectors; build_s: creating and "
                                     "populating the index")
        result["other_data"] = other_data(driver, settings, prefix)
    finally:
        write(driver, settings, "schema/drop_index", index="ann_probe")
        run_implicit(driver, settings, "bench/delete_probe_nodes", prefix=prefix)
        delete_namespace(driver, settings, prefix)
    return result
