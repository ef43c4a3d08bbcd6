"""A shopper's behaviour as the interest model reads it: aggregated edges, newest first.

The graph keeps one relationship per (user, target, type) with ``count``, ``first_at``,
``last_at`` and, for reviews, ``sentiment``. The model reads a user's ``k`` most recent of
them. Three places need exactly the same reading, so it lives here once:

- the workers read the edges from Neo4j (``cypher/gnn/recent_behaviour.cypher``);
- training rebuilds each past moment from an export (:func:`as_of`);
- the evaluation replays a stream in memory (:class:`Histories`), merging events the way
  the ingest Cypher does.

Order is total: ``(last_ms, target, rel)`` descending, so equal timestamps never make two
readers disagree.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

# Behaviour relationships the model reads, in feature-column order, and the relationship type
# of each event type: defined once, in interestgraph.constants.
from interestgraph.constants import REL_OF_EVENT as REL_OF_EVENT
from interestgraph.constants import REL_TYPES as REL_TYPES
from interestgraph.constants import SEARCHED, Behaviour

ITEM, QUERY = "Item", "Query"


@dataclass(frozen=True, slots=True)
class Edge:
    """One aggregated behaviour relationship from a user to an item (or a query)."""

    rel: str
    target: str
    first_ms: int
    last_ms: int
    count: int = 1
    sentiment: float | None = None

    @property
    def kind(self) -> str:
        """``Query`` for a search, ``Item`` for everything else."""
        return QUERY if self.rel == SEARCHED else ITEM

    @property
    def key(self) -> tuple[int, str, str]:
        """Recency order; larger is newer."""
        return (self.last_ms, self.target, self.rel)


def newest(edges: Iterable[Edge], k: int) -> list[Edge]:
    """The ``k`` most recent edges, newest first."""
    return sorted(edges, key=lambda e: e.key, reverse=True)[:k]


@dataclass
class Timeline:
    """One user's edges, indexed for "what did the graph hold just before moment t?".

    An edge first touched before t but touched again at or after t is seen as it was:
    its last touch is taken to be its first (the export keeps no finer history), with
    count 1. Training builds every example from this, so it never sees the future.
    """

    edges: Sequence[Edge]
    by_last: list[Edge] = field(init=False)
    by_first: list[Edge] = field(init=False)

    def __post_init__(self) -> None:
        self.by_last = sorted(self.edges, key=lambda e: e.key)
        self._last_keys = [e.key for e in self.by_last]
        self.by_first = sorted(self.edges, key=lambda e: (e.first_ms, e.target, e.rel))
        self._first_keys = [(e.first_ms, e.target, e.rel) for e in self.by_first]

    def as_of(self, moment: tuple[int, str, str], k: int) -> list[Edge]:
        """The ``k`` newest edges strictly before ``moment`` (a key), newest first."""
        done = bisect.bisect_left(self._last_keys, moment)
        out = self.by_last[max(0, done - k):done][::-1]  # wholly in the past: as stored
        # Still open at the moment: started before it, touched again after it.
        started = bisect.bisect_left(self._first_keys, moment)
        open_edges: list[Edge] = []
        for e in reversed(self.by_first[:started]):
            if len(out) >= k and (e.first_ms, e.target, e.rel) < out[-1].key:
                break  # even as of its first touch it is older than the k-th newest
            if e.key >= moment:
                open_edges.append(replace(e, last_ms=e.first_ms, count=1))
        if not open_edges:
            return out
        return newest([*out, *open_edges], k)


class Histories:
    """Users' edges in memory, merged event by event as the ingest Cypher merges them."""

    def __init__(self) -> None:
        self.edges: dict[str, dict[tuple[str, str], Edge]] = {}

    @classmethod
    def of(cls, by_user: Mapping[str, Sequence[Edge]]) -> Histories:
        """Histories holding the given users' edges."""
        out = cls()
        for user, edges in by_user.items():
            out.edges[user] = {(e.rel, e.target): e for e in edges}
        return out

    def apply(self, user: str, rel: str, target: str, ts_ms: int, sentiment: float | None = None) -> None:
        """Merge one event: count it, widen first/last, and a review's newest sentiment wins."""
        mine = self.edges.setdefault(user, {})
        old = mine.get((rel, target))
        if old is None:
            mine[(rel, target)] = Edge(rel, target, ts_ms, ts_ms, 1, sentiment)
            return
        newer = ts_ms >= old.last_ms
        mine[(rel, target)] = Edge(rel, target, min(old.first_ms, ts_ms), max(old.last_ms, ts_ms), old.count + 1,
                                   sentiment if newer and rel == Behaviour.REVIEWED else old.sentiment)

    def recent(self, user: str, k: int) -> list[Edge]:
        """The user's ``k`` newest edges, newest first."""
        return newest(self.edges.get(user, {}).values(), k)

    def items(self, user: str) -> set[str]:
        """Every item the user has any behaviour on."""
        return {t for (rel, t) in self.edges.get(user, {}) if rel != SEARCHED}
