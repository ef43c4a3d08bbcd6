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
from pathlib import Path
from typing import Any

from neo4j import Driver
from tqdm import tqdm

from bench.eval_methods import Trained, gds_embeddings, train_all
from bench.eval_replay import Replay, ServeCheck
from bench.eval_stream import catalogue, load_stream, record_of, text_pass_titles_and_queries
from bench.namespace import delete_namespace
from gnn.export import export
from ingest.datasets import movielens
from ingest.pipeline import sync_records
from ingest.writer import GraphWriter
from interestgraph.settings import Settings

# The protocol's steps live in three modules: bench.eval_stream (the stream, its records and
# catalogue), bench.eval_methods (training every method on the past) and bench.eval_replay
# (scoring the live stream and the Neo4j serve check).


def with_validation(rows: list[dict[str, Any]], trained: Trained) -> None:
    """Put each method's validation figure beside its test figure: the GIN's gate moments (the
    newest third of the past's validation slice) for the GIN and the counting baselines, the
    GCN's for the GCN, SASRec's own validation slice for SASRec; None where a method has none."""
    val: dict[str, float | None] = {}
    for arch in ("gcn", "gin"):  # the GIN's figures for the shared baselines win
        gate = trained.models[arch].gate
        if gate is not None and gate.val:
            val[f"{arch}_model"] = gate.val["model"]
            val[f"{arch}_dynamic"] = gate.val["fused"]
            val.update({b: gate.val[b] for b in ("popularity", "item_knn", "item_knn_recent", "user_knn")})
            val["popularity_recent"] = gate.val[gate.recent_popularity]
    val["sasrec"] = trained.info["sasrec"]["val_recall@20"]
    for row in rows:
        row["val_recall@20"] = val.get(row["method"])


def evaluate_methods(driver: Driver, settings: Settings, *, source: str | Path = movielens.NAME,
                     sample: float | None = None, quantile: float = 0.8,
                     epochs: int = 40, seed: int = 0, stream_limit: int | None = None, keep: bool = False,
                     check_every: int = 500, progress: bool = True, readout: bool = False,
                     log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the whole comparison; returns the JSON result."""
    started = time.perf_counter()
    say = log or (lambda msg: print(msg, file=sys.stderr, flush=True) if progress else None)
    stream = load_stream(source, quantile, settings.home / "evaluate.dead.jsonl", stream_limit, sample)
    ns = f"ev{uuid.uuid4().hex[:6]}-"
    out: dict[str, Any] = {"dataset": stream.name, "past_events": stream.cut, "stream_events": len(stream.live),
                           "rejected_lines": stream.rejected, "cut_ms": stream.cut_ms}
    try:
        say(f"ingest the past ({stream.cut} events) into {ns}*, encode titles and queries")
        sync_records(f"{ns}past", [record_of(e, ns) for e in stream.past], GraphWriter(driver, settings),
                     settings.home / "evaluate.dead.jsonl", progress=progress)
        text_pass_titles_and_queries(driver, settings)
        data = export(driver, settings, prefix=ns, progress=progress)
        cat = catalogue(stream, ns, settings, progress)
        trained = train_all(data, settings, epochs, seed, progress, say, readout=readout)
        out["train"] = trained.info
        say("[gds] project, FastRP, GraphSAGE on the same past")
        gds, out["gds"] = gds_embeddings(driver, settings, ns, seed)
        replay = Replay(ns, data, cat, trained, gds, stream.past, settings.embedding_dim)
        check = ServeCheck(driver, settings, replay.live["gin"], ns, cat.ids, sorted(data.edges), stream.cut_ms)
        say(f"replay {len(stream.live)} events; every {check_every}, the same through Neo4j")
        with tqdm(total=len(stream.live), desc="replay", unit="ev", disable=not progress, file=sys.stderr) as bar:
            for start in range(0, len(stream.live), check_every):
                chunk = stream.live[start:start + check_every]
                replay.start_chunk()
                for ev in chunk:
                    replay.step(ev)
                    bar.update(1)
                check.chunk(chunk, replay.expected, replay.captured)
        out.update({**replay.result(), "serve_check": check.summary()})
        with_validation(out["methods"], trained)
    finally:
        if not keep:
            delete_namespace(driver, settings, ns)
    out["seconds"] = round(time.perf_counter() - started, 1)
    return out
