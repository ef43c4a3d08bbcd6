"""The delta path at ingest time: right after a batch commits, nudge each acting user's
vector by the items they touched (``gnn.delta``), so recommendations move within the
ingest latency instead of waiting for the next GNN refresh, which re-anchors them.

The vectors are a cache of the GNN's answer, not ledger state: a delta lost to a crash is
repaired by the next refresh, and replayed (duplicate) events never reach this path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from neo4j import Driver

from gnn.delta import event_strength, nudge
from ingest.events import Event, EventType
from interestgraph.graph import read, write
from interestgraph.settings import Settings


def apply(driver: Driver, settings: Settings, events: Sequence[Event],
          accepted: Mapping[str, int] | None = None, w_r: np.ndarray | None = None, attempts: int = 3) -> int:
    """Nudge users by ``events`` (time order); returns how many user vectors were written.

    A user whose vector another writer (a GNN refresh) replaced between our read and our
    write is recomputed from the new vector, up to ``attempts`` times.
    """
    item_events = sorted((e for e in events if e.item_id is not None and e.type is not EventType.SEARCH),
                         key=lambda e: e.ts_ms)
    written = 0
    for _ in range(attempts):
        if not item_events:
            break
        done, lost = _apply_once(driver, settings, item_events, accepted, w_r)
        written += done
        item_events = [e for e in item_events if e.user_id in lost]
    return written


def _apply_once(driver: Driver, settings: Settings, item_events: list[Event], accepted: Mapping[str, int] | None,
                w_r: np.ndarray | None) -> tuple[int, set[str]]:
    users = sorted({e.user_id for e in item_events})
    items = sorted({e.item_id for e in item_events if e.item_id is not None})
    vectors: dict[tuple[str, str], tuple[np.ndarray, int]] = {
        (r["label"], r["id"]): (np.asarray(r["vector"], dtype=np.float64), r["version"])
        for r in read(driver, settings, "ingest/read_delta_vectors", users=users, items=items)
    }
    moved: dict[str, np.ndarray] = {}
    src: dict[str, int] = {}
    for ev in item_events:
        user, item = vectors.get(("User", ev.user_id)), vectors.get(("Item", ev.item_id or ""))
        if user is None or item is None:
            continue  # a new user or item: its first GNN refresh gives it a vector
        current = moved.get(ev.user_id, user[0])
        moved[ev.user_id] = nudge(current, item[0], event_strength(ev.type, ev.sentiment), w_r)
        src[ev.user_id] = max(src.get(ev.user_id, 0), (accepted or {}).get(ev.event_id, ev.ts_ms))
    if not moved:
        return 0, set()
    rows = [{"id": u, "vector": [float(x) for x in v], "version": vectors[("User", u)][1], "src_ms": src[u]}
            for u, v in sorted(moved.items())]
    result = write(driver, settings, "ingest/write_delta_vectors", rows=rows)
    return sum(1 for r in result if r["written"]), {r["id"] for r in result if not r["written"]}
