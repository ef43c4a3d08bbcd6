"""The batching writer: one write transaction per batch, exactly-once by event id.

Inside a single transaction the writer (1) asks the ledger which ids were already
applied, (2) applies the rest as pre-aggregated ``UNWIND`` rows, and (3) records their ids
in the ledger. A crash or a retry rolls all three back together, so a replay after any
failure applies each event exactly once.

After the commit, an ``after_commit`` hook (the entry points pass the interest model's
per-event user update, ``gnn.online``) is given the users whose events were applied. A
failing hook never fails the batch: the users keep their dirty mark for the refresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neo4j import Driver, Transaction
from neo4j import exceptions as nx

from ingest.aggregate import aggregate, interest_rows, newest_categories
from ingest.events import MAX_CATEGORIES, Event
from interestgraph.constants import LIVE_HORIZONS_MS
from interestgraph.errors import GraphError
from interestgraph.graph import in_write_tx, run
from interestgraph.settings import Settings

log = logging.getLogger(__name__)

# A concurrent writer applying the same new id makes our ledger insert fail; re-running
# the batch then filters that id out. More attempts than this means something else is wrong.
_LEDGER_RACE_ATTEMPTS = 5


@dataclass(frozen=True)
class BatchResult:
    """One committed batch: events applied, duplicates skipped, users re-embedded after the commit."""

    accepted: int
    duplicates: int
    embedded: int = 0


class GraphWriter:
    """Writes validated events to Neo4j in batches.

    ``after_commit`` receives the ids of the users whose events a batch applied, once it
    has committed, and returns how many of them it re-embedded. ``keep_ids`` (a backfill)
    records the batches' ids so that pruning the ledger never drops them.
    """

    def __init__(self, driver: Driver, settings: Settings,
                 after_commit: Callable[[list[str]], int] | None = None, keep_ids: bool = False) -> None:
        self._driver = driver
        self._settings = settings
        self._after_commit = after_commit
        self._keep_ids = keep_ids

    def write(self, events: Sequence[Event], now_ms: int | None = None,
              accepted: Mapping[str, int] | None = None) -> BatchResult:
        """Apply ``events`` once each; ids already in the ledger or repeated in the batch are skipped.

        ``accepted`` maps event ids to their acceptance time (a stream entry's time); it
        defaults to now, and lets refreshes report which events a vector includes.
        """
        unique = unique_events(events)
        if not unique:
            return BatchResult(0, len(events))
        stamp = int(time.time() * 1000) if now_ms is None else now_ms

        def work(tx: Transaction) -> list[Event]:
            ids = list(unique)
            seen = {rec["id"] for rec in run(tx, "ingest/filter_seen_events", ids=ids)}
            fresh = [ev for eid, ev in unique.items() if eid not in seen]
            if fresh:
                self._apply(tx, fresh, stamp, accepted or {})
            return fresh

        for attempt in range(1, _LEDGER_RACE_ATTEMPTS + 1):
            try:
                fresh = in_write_tx(self._driver, self._settings, "ingest batch", work)
                break
            except GraphError as e:
                if not isinstance(e.__cause__, nx.ConstraintError) or attempt == _LEDGER_RACE_ATTEMPTS:
                    raise
        return BatchResult(len(fresh), len(events) - len(fresh), self._embed(fresh))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait for an asynchronous ``after_commit`` hook (one with ``flush``) to catch up."""
        flush = getattr(self._after_commit, "flush", None)
        return True if flush is None else bool(flush(timeout))

    def _embed(self, fresh: list[Event]) -> int:
        if self._after_commit is None or not fresh:
            return 0
        try:
            return self._after_commit(sorted({ev.user_id for ev in fresh}))
        except Exception as e:  # noqa: BLE001 - the events are committed; the refresh backlog retries the users
            log.warning("per-event embedding failed; the users stay dirty for the refresh",
                        extra={"users": len({ev.user_id for ev in fresh}), "error": f"{type(e).__name__}: {e}"})
            return 0

    def _apply(self, tx: Transaction, events: list[Event], now_ms: int, accepted: Mapping[str, int]) -> None:
        rows = aggregate(events, self._settings.half_life_ms)
        h = self._settings.half_life_ms
        run(tx, "ingest/touch_users", rows=touch_rows(rows.users, events, accepted, now_ms), now_ms=now_ms)
        if rows.items:
            clamp_item_metadata(rows.items, events, now_ms)
            run(tx, "ingest/merge_items", rows=rows.items, now_ms=now_ms)
        if rows.behaviours:
            # Before the merge: a pair with no behaviour edge yet is a new buyer of the item.
            run(tx, "ingest/count_new_buyers", rows=rows.pairs, horizons_ms=list(LIVE_HORIZONS_MS), now_ms=now_ms)
            run(tx, "ingest/merge_item_behaviour", rows=rows.behaviours, half_life_ms=h)
        if rows.reviews:
            run(tx, "ingest/set_review_details", rows=rows.reviews)
        interests = rows.interests
        if rows.searches:
            run(tx, "ingest/merge_searches", rows=rows.searches, half_life_ms=h)
            # Queries that already have an intent (MEANS) raise those categories now.
            interests = interests + interest_rows([dict(r) for r in run(tx, "ingest/search_intent_interests",
                                                                          rows=rows.searches)])
        if interests:
            run(tx, "ingest/update_interests", rows=interests, half_life_ms=h, max_categories=MAX_CATEGORIES)
        run(tx, "ingest/record_seen_events", ids=rows.event_ids, now_ms=now_ms, kept=self._keep_ids)


def unique_events(events: Sequence[Event]) -> dict[str, Event]:
    """A batch's events by id, each id once: its first occurrence wins (a redelivered copy is a
    duplicate, whatever it says), in batch order."""
    unique: dict[str, Event] = {}
    for ev in events:
        unique.setdefault(ev.event_id, ev)
    return unique


def touch_rows(users: Sequence[str], events: Sequence[Event], accepted: Mapping[str, int],
               now_ms: int) -> list[dict[str, Any]]:
    """``ingest/touch_users`` rows, one per user in ``users`` order: the newest acceptance time of
    the user's events in the batch (a stream entry's time from ``accepted``, else ``now_ms``),
    which a refresh reports as the newest event a vector includes."""
    newest: dict[str, int] = {}
    for ev in events:
        newest[ev.user_id] = max(newest.get(ev.user_id, 0), accepted.get(ev.event_id, now_ms))
    return [{"id": u, "accepted_ms": newest[u]} for u in users]


def clamp_item_metadata(items: list[dict[str, Any]], events: Sequence[Event], now_ms: int) -> None:
    """Item metadata (title, price, the category set) is "newest event wins", with each event's
    time clamped to ``now_ms``.

    An event may be dated up to a day ahead; counted at its own time it would win against
    every real catalogue update for that day. Clamped, it counts as "now" (so does the
    Cypher, across batches). This redoes the batch's choice in place (``aggregate``'s rule:
    the newest time wins, ties go to the later event, missing fields keep older values)
    only when some event in the batch is dated ahead.
    """
    if all(ev.ts_ms <= now_ms for ev in events if ev.item is not None):
        return
    by_id = {row["id"]: row for row in items}
    best: dict[str, int] = {}
    for ev in events:
        if ev.item is None or ev.item_id is None or ev.item_id not in by_id:
            continue
        row = by_id[ev.item_id]
        if ev.item_id not in best:
            best[ev.item_id] = -1
            row["title"] = row["price"] = row["meta_ms"] = row["categories_ms"] = None
            row["categories"] = []
        ts = min(ev.ts_ms, now_ms)
        if ts >= best[ev.item_id]:
            best[ev.item_id] = row["meta_ms"] = ts
            row["title"] = ev.item.title if ev.item.title is not None else row["title"]
            row["price"] = ev.item.price if ev.item.price is not None else row["price"]
        newest_categories(row, ev.item.categories, ts)
