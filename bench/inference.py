"""`interestgraph bench inference`: bulk re-embedding throughput, Neo4j read and write
included, with a read / compute / write breakdown.

A synthetic namespace is ingested (without per-event embedding), its items are embedded,
then every user is re-embedded twice with the active model through the same code path as
the workers (the first pass warms Neo4j's and torch's caches; the second is reported).
The copy of the fresh vectors into the vector index (``gnn.user_index``, a background task)
and SIMILAR_TO, which the workers refresh in a separate task, are timed on their own. The JSON
says what else the database holds: a benchmark on an empty database hides hub costs.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import torch
from neo4j import Driver

from bench.namespace import delete_namespace
from gnn.refresh import RuntimeCache, refresh, refresh_similar_pending
from gnn.user_index import sync_item_index, sync_user_index
from ingest.pipeline import sync_records
from ingest.synthetic import StreamShape, events
from ingest.writer import GraphWriter
from interestgraph.graph import read
from interestgraph.settings import Settings


def other_data(driver: Driver, settings: Settings, prefix: str) -> dict[str, int]:
    """What the database holds outside namespace ``prefix``, reported next to the figures."""
    return dict(read(driver, settings, "bench/other_data", prefix=prefix)[0])


def seed_namespace(driver: Driver, settings: Settings, prefix: str, *, users: int, items: int, seed: int,
                   progress: bool) -> dict[str, list[str]]:
    """Ingest a synthetic stream of ten events per user into namespace ``prefix`` (no per-event
    embedding); returns its ``users`` and ``items`` ids."""
    shape = StreamShape(events=users * 10, users=users, items=items, seed=seed, prefix=prefix)
    sync_records(f"{prefix}seed", list(events(shape)), GraphWriter(driver, settings),
                 settings.home / f"bench-{prefix}dead.jsonl", progress=progress)
    return dict(read(driver, settings, "bench/namespace_ids", prefix=prefix)[0])


def benchmark_inference(driver: Driver, settings: Settings, *, users: int = 20_000, items: int = 10_000,
                        batch_size: int = 2048, progress: bool = True) -> dict[str, Any]:
    """Re-embedding throughput of a synthetic namespace's users and items (read, compute, write) and
    the SIMILAR_TO refresh."""
    prefix = f"inf{uuid.uuid4().hex[:6]}-"
    try:
        ids = seed_namespace(driver, settings, prefix, users=users, items=items, seed=21, progress=progress)
        runtime = RuntimeCache(settings)
        refresh(driver, settings, runtime=runtime, items=ids["items"], batch_size=batch_size, similar=False,
                progress=progress)
        item_sync = sync_item_index(driver, settings, prefix=prefix, limit=len(ids["items"]))
        # The item refresh as the workers run it when buyers move items: live counters read (content
        # is cached, as in a worker), the item tower with live state, the fresh vectors written.
        t = time.perf_counter()
        items_report = refresh(driver, settings, runtime=runtime, items=ids["items"], batch_size=batch_size,
                               similar=False, progress=progress)
        items_wall = time.perf_counter() - t
        refresh(driver, settings, runtime=runtime, users=ids["users"], batch_size=batch_size, similar=False,
                progress=progress)
        started = time.perf_counter()
        report = refresh(driver, settings, runtime=runtime, users=ids["users"], batch_size=batch_size,
                         similar=False, progress=progress)
        wall = time.perf_counter() - started
        # The background copy into the vector index, which the per-event path no longer waits for.
        sync = sync_user_index(driver, settings, prefix=prefix, limit=len(ids["users"]))
        t = time.perf_counter()
        similar_users = refresh_similar_pending(driver, settings, limit=len(ids["users"]), min_age_ms=0)
        similar_s = time.perf_counter() - t
        others = other_data(driver, settings, prefix)
    finally:
        delete_namespace(driver, settings, prefix)
    return {
        "users": report.users, "batch_size": batch_size, "model": report.model, "device": report.device,
        "torch_threads": torch.get_num_threads(), "seconds": round(wall, 2),
        "users_per_s": round(report.users / wall, 1),
        "read_s": report.read_s, "compute_s": report.compute_s, "write_s": report.write_s,
        "definition": "users re-embedded per second: their edges read from Neo4j, the model, the fresh vectors "
                      "written back (embedding_fresh); the copy into the vector index is index_sync",
        "index_sync": {**sync.as_dict(), "users_per_s": round(sync.copied / sync.seconds, 1) if sync.seconds
                       else None},
        "items": {"items": items_report.items, "seconds": round(items_wall, 2),
                  "items_per_s": round(items_report.items / items_wall, 1) if items_wall else None,
                  "read_s": items_report.read_s, "compute_s": items_report.compute_s, "write_s": items_report.write_s,
                  "definition": "items re-embedded per second with their live state: counters read from Neo4j "
                                "(content cached), the item tower, the fresh vectors written (embedding_fresh)",
                  "first_index_sync": {**item_sync.as_dict(), "items_per_s": round(item_sync.copied /
                                                                                   item_sync.seconds, 1)
                                       if item_sync.seconds else None}},
        "similar_to_users": similar_users, "similar_to_s": round(similar_s, 2),
        "similar_to_users_per_s": round(similar_users / similar_s, 1) if similar_s else None,
        "graph": {"users": users, "items": items, "events": users * 10}, "other_data": others,
    }
