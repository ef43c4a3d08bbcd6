"""The indexed copy of users' (and items') vectors, kept a few seconds behind the fresh one, in bulk.

Each user has two vectors:

- ``User.embedding_fresh``: the exact vector, written by the per-event path (``gnn.online``)
  right after the user's events commit. No index covers it, so an event never waits for an
  HNSW insert (the insert, not the write, was the per-event path's floor).
- ``User.embedding``: the copy in the ``user_embedding`` vector index, which only
  similar-shopper search needs. :func:`sync_user_index` copies changed fresh vectors into it
  in large batches (beat runs it every second on the ``gnn`` queue): a user who acted ten
  times since the last copy is inserted once, and a vector that moved less than
  ``MIN_COSINE`` from its indexed copy is not inserted at all.

Items work the same way: the refresh writes ``Item.embedding_fresh`` (the scoring vector with the
item's live state) and :func:`sync_item_index` copies the ones that moved into ``Item.embedding``;
recommend takes the index's candidates and scores them with the fresh vectors.

Similar-shopper search takes the index's candidates and ranks them by the fresh vectors
(``serve/similar_users``, ``gnn/nearest_users``), so the lag never shows in a score;
it can only hide a neighbour that moved far within the lag. Each copy records how long the
index was behind (``indexed_lag_ms``), which ``interestgraph status`` reports.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from neo4j import Driver

from interestgraph.errors import ConfigError
from interestgraph.graph import read, write
from interestgraph.settings import Settings

# A fresh vector whose cosine with its indexed copy is at least this is not re-inserted: about
# 2.6 degrees apart, far less than the gap between a user's 10th and 11th neighbours.
MIN_COSINE = 0.999
# Users per write transaction: each holds its users' locks through its HNSW inserts, so per-event
# writes of the same (busy) shoppers wait for it; 500 keeps that wait short.
SYNC_BATCH = 500
SYNC_LIMIT = 50_000  # users per sync at most (beat runs it again a second later)


@dataclass
class IndexSyncReport:
    """What a sync did: users whose copy was due, HNSW inserts, transactions and seconds."""

    checked: int = 0
    copied: int = 0
    batches: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Every field, seconds rounded to 1 ms."""
        return {**asdict(self), "seconds": round(self.seconds, 3)}


def sync_user_index(driver: Driver, settings: Settings, *, limit: int = SYNC_LIMIT, batch: int = SYNC_BATCH,
                    min_cosine: float = MIN_COSINE, prefix: str = "") -> IndexSyncReport:
    """Copy the fresh vectors of up to ``limit`` users whose indexed copy is behind (longest
    waiting first) into the vector index, ``batch`` users per transaction; with a ``prefix``,
    only users whose id starts with it."""
    return _sync(("gnn/due_user_vectors", "gnn/copy_user_vectors_to_index"), driver, settings, limit=limit,
                 batch=batch, min_cosine=min_cosine, prefix=prefix)


def sync_item_index(driver: Driver, settings: Settings, *, limit: int = SYNC_LIMIT, batch: int = SYNC_BATCH,
                    min_cosine: float = MIN_COSINE, prefix: str = "") -> IndexSyncReport:
    """The same for items: their fresh scoring vectors (written by the refresh as their live state
    moves) into the ``item_embedding`` index, which gives recommend its model candidates."""
    return _sync(("gnn/due_item_vectors", "gnn/copy_item_vectors_to_index"), driver, settings, limit=limit,
                 batch=batch, min_cosine=min_cosine, prefix=prefix)


def _sync(queries: tuple[str, str], driver: Driver, settings: Settings, *, limit: int, batch: int, min_cosine: float,
          prefix: str) -> IndexSyncReport:
    if batch <= 0 or limit <= 0:
        raise ConfigError(f"batch and limit must be > 0, got batch={batch}, limit={limit}")
    started = time.perf_counter()
    report = IndexSyncReport()
    due, copy = queries
    ids = [r["id"] for r in read(driver, settings, due, limit=limit, prefix=prefix)]
    for start in range(0, len(ids), batch):
        done = write(driver, settings, copy, ids=sorted(ids[start:start + batch]),
                     min_cosine=min_cosine)[0]
        report.checked += done["checked"]
        report.copied += done["copied"]
        report.batches += 1
    report.seconds = time.perf_counter() - started
    return report
