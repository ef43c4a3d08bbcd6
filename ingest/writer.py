"""The batching writer: one write transaction per batch, exactly-once by event id.

Inside a single transaction the writer (1) asks the ledger which ids were already
applied, (2) applies the rest as pre-aggregated ``UNWIND`` rows, and (3) records their ids
in the ledger. A crash or a retry rolls all three back together, so a replay after any
failure applies each event exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from neo4j import Driver, ManagedTransaction
from neo4j import exceptions as nx

from ingest.aggregate import aggregate
from ingest.events import Event
from interestgraph.errors import GraphError
from interestgraph.graph import in_write_tx, run
from interestgraph.settings import Settings

# A concurrent writer applying the same new id makes our ledger insert fail; re-running
# the batch then filters that id out. More attempts than this means something else is wrong.
_LEDGER_RACE_ATTEMPTS = 5


@dataclass(frozen=True)
class BatchResult:
    accepted: int
    duplicates: int


class GraphWriter:
    """Writes validated events to Neo4j in batches."""

    def __init__(self, driver: Driver, settings: Settings) -> None:
        self._driver = driver
        self._settings = settings

    def write(self, events: Sequence[Event], now_ms: int | None = None) -> BatchResult:
        """Apply ``events`` once each; ids already in the ledger or repeated in the batch are skipped."""
        unique: dict[str, Event] = {}
        for ev in events:
            unique.setdefault(ev.event_id, ev)
        in_batch_dupes = len(events) - len(unique)
        if not unique:
            return BatchResult(0, in_batch_dupes)
        stamp = int(time.time() * 1000) if now_ms is None else now_ms

        def work(tx: ManagedTransaction) -> BatchResult:
            ids = list(unique)
            seen = {rec["id"] for rec in run(tx, "ingest/filter_seen_events", ids=ids)}
            fresh = [ev for eid, ev in unique.items() if eid not in seen]
            if fresh:
                self._apply(tx, fresh, stamp)
            return BatchResult(len(fresh), in_batch_dupes + len(seen))

        for attempt in range(1, _LEDGER_RACE_ATTEMPTS + 1):
            try:
                return in_write_tx(self._driver, self._settings, "ingest batch", work)
            except GraphError as e:
                if not isinstance(e.__cause__, nx.ConstraintError) or attempt == _LEDGER_RACE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def _apply(self, tx: ManagedTransaction, events: list[Event], now_ms: int) -> None:
        rows = aggregate(events, self._settings.half_life_ms)
        h = self._settings.half_life_ms
        run(tx, "ingest/touch_users", ids=rows.users, now_ms=now_ms)
        if rows.items:
            run(tx, "ingest/merge_items", rows=rows.items, now_ms=now_ms)
        if rows.behaviours:
            run(tx, "ingest/merge_item_behaviour", rows=rows.behaviours, half_life_ms=h)
        if rows.reviews:
            run(tx, "ingest/set_review_details", rows=rows.reviews)
        if rows.searches:
            run(tx, "ingest/merge_searches", rows=rows.searches, half_life_ms=h)
        if rows.interests:
            run(tx, "ingest/update_interests", rows=rows.interests, half_life_ms=h)
        run(tx, "ingest/record_seen_events", ids=rows.event_ids, now_ms=now_ms)
