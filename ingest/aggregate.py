"""Pre-aggregation of a batch: many events for one (user, target, type) become one row.

Weights decay exponentially with a half-life ``h``. A key's weight is stored *as of* its
``last_at``: ``w(L) = sum_i a_i * 2^(-(L - t_i)/h)``. Merging two such sums is
``w = w1 * 2^(-(L - L1)/h) + w2 * 2^(-(L - L2)/h)`` with ``L = max(L1, L2)``, which does
not depend on arrival order, so late events land exactly as if they had come in time.
The graph side (``cypher/ingest/*.cypher``) applies the same merge.

Interest rows are also bucketed by UTC day, so the graph keeps a per-day history of
each (user, category) interest that analysts can replay to any past date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ingest.events import Event, normalise_query, query_id
from interestgraph.constants import BEHAVIOUR_OF, TYPE_WEIGHT, EventType
from interestgraph.constants import decay as decay  # the one decay; tests and callers read it here too


@dataclass
class _Acc:
    count: int = 0
    first_ms: int = 0
    last_ms: int = 0
    weight: float = 0.0

    def add(self, ts_ms: int, amount: float, half_life_ms: float) -> None:
        if self.count == 0:
            self.first_ms = self.last_ms = ts_ms
            self.weight = amount
        elif ts_ms >= self.last_ms:
            self.weight = decay(self.weight, self.last_ms, ts_ms, half_life_ms) + amount
            self.last_ms = ts_ms
        else:
            self.weight += decay(amount, ts_ms, self.last_ms, half_life_ms)
        self.first_ms = min(self.first_ms, ts_ms)
        self.count += 1

    def row(self) -> dict[str, Any]:
        return {"count": self.count, "first_ms": self.first_ms, "last_ms": self.last_ms, "w": self.weight}


@dataclass
class BatchRows:
    """Parameter rows for one write transaction, each list sorted for stable locking."""

    event_ids: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    behaviours: list[dict[str, Any]] = field(default_factory=list)
    searches: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    interests: list[dict[str, Any]] = field(default_factory=list)
    touched_items: list[str] = field(default_factory=list)
    # One row per (user, item) pair with the pair's first event in the batch: who may be a new buyer.
    pairs: list[dict[str, Any]] = field(default_factory=list)


def aggregate(events: Iterable[Event], half_life_ms: float) -> BatchRows:
    """Collapse a deduplicated batch into the rows the ingest Cypher expects."""
    ids: list[str] = []
    users: set[str] = set()
    items: dict[str, dict[str, Any]] = {}
    item_meta_ts: dict[str, int] = {}
    behaviours: dict[tuple[str, str, str], _Acc] = {}
    searches: dict[tuple[str, str], _Acc] = {}
    query_text: dict[str, str] = {}
    latest_review: dict[tuple[str, str], Event] = {}
    interests: dict[tuple[str, str, str], _Acc] = {}

    for ev in events:
        ids.append(ev.event_id)
        users.add(ev.user_id)
        if ev.item_id is not None:
            row = items.setdefault(ev.item_id, {"id": ev.item_id, "title": None, "price": None, "meta_ms": None,
                                                "categories": [], "categories_ms": None})
            if ev.item is not None:
                if ev.ts_ms >= item_meta_ts.get(ev.item_id, -1):
                    item_meta_ts[ev.item_id] = row["meta_ms"] = ev.ts_ms
                    row["title"] = ev.item.title if ev.item.title is not None else row["title"]
                    row["price"] = ev.item.price if ev.item.price is not None else row["price"]
                newest_categories(row, ev.item.categories, ev.ts_ms)
        amount = TYPE_WEIGHT[ev.type]
        if ev.type is EventType.SEARCH:
            assert ev.query is not None
            qid = query_id(ev.query)
            query_text.setdefault(qid, normalise_query(ev.query))
            searches.setdefault((ev.user_id, qid), _Acc()).add(ev.ts_ms, amount, half_life_ms)
            continue
        assert ev.item_id is not None
        key = (ev.user_id, ev.item_id, BEHAVIOUR_OF[ev.type].value)
        behaviours.setdefault(key, _Acc()).add(ev.ts_ms, amount, half_life_ms)
        interest = amount
        if ev.type is EventType.REVIEW:
            assert ev.sentiment is not None
            prev = latest_review.get((ev.user_id, ev.item_id))
            if prev is None or ev.ts_ms >= prev.ts_ms:
                latest_review[(ev.user_id, ev.item_id)] = ev
            # A review moves interest by its sentiment: a negative review lowers it.
            interest = amount * ev.sentiment
        day = datetime.fromtimestamp(ev.ts_ms / 1000, UTC).date().isoformat()
        interests.setdefault((ev.user_id, ev.item_id, day), _Acc()).add(ev.ts_ms, interest, half_life_ms)

    out = BatchRows(event_ids=ids, users=sorted(users))
    out.items = [items[k] for k in sorted(items)]
    out.touched_items = sorted(items)
    out.behaviours = [{"user": u, "item": i, "rel": rel, **acc.row()}
                      for (u, i, rel), acc in sorted(behaviours.items())]
    out.searches = [{"user": u, "query": q, "text": query_text[q], **acc.row()}
                    for (u, q), acc in sorted(searches.items())]
    out.reviews = [{"user": u, "item": i, "rating": ev.rating, "sentiment": ev.sentiment,
                    "text": ev.text, "at_ms": ev.ts_ms} for (u, i), ev in sorted(latest_review.items())]
    out.interests = [{"user": u, "item": i, "day": d, **acc.row()} for (u, i, d), acc in sorted(interests.items())]
    firsts: dict[tuple[str, str], int] = {}
    for (u, i, _), acc in behaviours.items():
        firsts[(u, i)] = min(firsts.get((u, i), acc.first_ms), acc.first_ms)
    out.pairs = [{"user": u, "item": i, "first_ms": t} for (u, i), t in sorted(firsts.items())]
    return out


def newest_categories(row: dict[str, Any], categories: Sequence[str], ts_ms: int) -> None:
    """An item's categories are a set that the newest event naming any replaces (ties go to the
    later event), never a union: a union grows with every event, and every behaviour on the
    item then writes one interest per category (at most ``MAX_CATEGORIES`` here)."""
    if categories and (row["categories_ms"] is None or ts_ms >= row["categories_ms"]):
        row["categories"] = list(categories)
        row["categories_ms"] = ts_ms


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


def interest_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as ``update_interests`` takes them: dated by their last event, zero moves dropped."""
    return [{**r, "day": _day(r["last_ms"])} for r in rows if r["w"]]
