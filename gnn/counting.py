"""Live co-behaviour counts: what plain counting knows, updated with every event.

The interest model v3 reads these as live signals, and the strong counting baselines are
built on them, so both see exactly the same state:

- **Item statistics**: per item, new (user, item) edges counted with exponential decay at
  several horizons (an hour, a day, a week), all time, and the age of its first edge. The
  graph keeps the same numbers on the ``Item`` node (``cypher/ingest``), so a worker reads
  them without expanding the item.
- **Co-behaviour**: the user-item incidence matrix ``R`` (binary: who touched what). Item-kNN
  (cosine between item columns) and user-kNN (cosine between user rows) are two sparse
  products with it, so they move with every event as the counts do.

Everything is keyed by dense rows (``item`` in ``[0, n_items)``, users by first appearance);
the caller maps ids to rows. Only *first* touches of a (user, item) pair change anything:
repeat behaviour says nothing new about who likes what.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse

from gnn.readout import BUYERS
from interestgraph.constants import HOUR_MS
from interestgraph.constants import LIVE_HORIZONS_MS as HORIZONS_MS

# The statistics as the model reads them: log1p of each decayed count, log1p of the all-time
# count, the day/week trend and the log age; see :meth:`LiveCounts.item_stats`.
N_STATS = len(HORIZONS_MS) + 3


def stats_features(decayed: np.ndarray, total: np.ndarray, age_ms: np.ndarray) -> np.ndarray:
    """Item statistics as model inputs, ``(N, N_STATS)`` float32.

    ``decayed`` is ``(len(HORIZONS_MS), N)`` decayed counts as of the moment, ``total`` the
    all-time counts and ``age_ms`` the time since each item's first edge (negative: none yet).
    """
    decayed = np.asarray(decayed, np.float64)
    total = np.asarray(total, np.float64)
    age = np.asarray(age_ms, np.float64)
    out = np.zeros((len(total), N_STATS), np.float32)
    out[:, :len(HORIZONS_MS)] = (np.log1p(np.maximum(decayed, 0.0)) / 3.0).T
    out[:, len(HORIZONS_MS)] = np.log1p(total) / 5.0
    # Trend: the day's rate against the week's (0 when both are empty); both per unit time.
    day, week = decayed[1] / HORIZONS_MS[1], decayed[2] / HORIZONS_MS[2]
    out[:, len(HORIZONS_MS) + 1] = np.log((day + 1e-9) / (week + 1e-9)) / 5.0 * (total > 0)
    out[:, len(HORIZONS_MS) + 2] = np.where(age >= 0, np.log1p(np.maximum(age, 0.0) / HOUR_MS) / 5.0, -1.0)
    return out


def stats_at(decayed: Sequence[Sequence[float] | None], live_ms: Sequence[int | None], total: Sequence[int | None],
             first_ms: Sequence[int | None], now_ms: int) -> np.ndarray:
    """Items' statistics as of ``now_ms`` from the graph's counters (``Item.live_decayed`` as of
    ``Item.live_ms``, ``live_total``, ``live_first_ms``; None where an item has no buyer yet),
    exactly as :meth:`LiveCounts.item_stats` computes them in memory."""
    n = len(total)
    dec = np.zeros((len(HORIZONS_MS), n))
    for k in range(n):
        d, at = decayed[k], live_ms[k]
        if d is not None and at is not None:
            dt = max(now_ms - int(at), 0)
            dec[:, k] = [float(x) * math.exp(-dt / h) for x, h in zip(d, HORIZONS_MS, strict=False)]
    tot = np.array([t or 0 for t in total], np.float64)
    age = np.array([now_ms - int(f) if f is not None else -1 for f in first_ms], np.float64)
    return stats_features(dec, tot, age)


def next_due_ms(stats: np.ndarray, now_ms: int, fade: float = 0.25, floor: float = 0.05) -> list[int | None]:
    """When each item's vector should be recomputed as its counts decay with no new buyer: once
    its shortest horizon still holding at least ``floor`` buyers has faded by ``fade`` of its
    length (an hour's count every 15 minutes, a day's every 6 hours, a week's every 42 hours);
    None when every count has faded away."""
    counts = np.expm1(np.asarray(stats, np.float64)[:, :len(HORIZONS_MS)] * 3.0)
    out: list[int | None] = []
    for row in counts:
        live = [h for h, c in zip(HORIZONS_MS, row, strict=True) if c >= floor]
        out.append(now_ms + int(fade * min(live)) if live else None)
    return out


class LiveCounts:
    """Counts over a growing stream of (user, item, time) first touches.

    ``add`` is O(1); the sparse matrix behind the kNN scores is rebuilt lazily, and the
    pairs added since the last rebuild are applied exactly on top of it, so a score always
    includes every event added so far.
    """

    def __init__(self, n_items: int, rebuild_every: int = 4096) -> None:
        self.n_items = n_items
        self.total = np.zeros(n_items)  # first touches (distinct users)
        self.events = np.zeros(n_items)  # every event
        self.decayed = np.zeros((len(HORIZONS_MS), n_items))
        self.first_ms = np.full(n_items, -1, np.int64)
        self.now_ms: int | None = None
        self.user_rows: dict[str, int] = {}
        self.user_keys: list[str] = []  # row -> user
        self.user_items: list[dict[int, int]] = []  # row -> item -> first touch (ms)
        self.user_tags: list[int] = []  # row -> the tag of the user's newest touch (the caller's; -1: none)
        self.buyers: list[list[tuple[int, int]]] = [[] for _ in range(n_items)]  # item -> (first touch, row)
        self._pairs_u: list[int] = []
        self._pairs_i: list[int] = []
        self._built = 0  # pairs in the matrices
        self._rebuild_every = rebuild_every
        self._r = sparse.csr_matrix((0, n_items), dtype=np.float32)
        self._rt = sparse.csr_matrix((n_items, 0), dtype=np.float32)

    # --- updating ------------------------------------------------------------------------

    def advance(self, now_ms: int) -> None:
        """Decay the statistics forward to ``now_ms`` (never backwards)."""
        if self.now_ms is None:
            self.now_ms = now_ms
            return
        if now_ms > self.now_ms:
            dt = now_ms - self.now_ms
            for h, horizon in enumerate(HORIZONS_MS):
                self.decayed[h] *= math.exp(-dt / horizon)
            self.now_ms = now_ms

    def user_row(self, user: str) -> int:
        """The row of ``user``, added on first sight."""
        row = self.user_rows.get(user)
        if row is None:
            row = self.user_rows[user] = len(self.user_items)
            self.user_items.append({})
            self.user_keys.append(user)
            self.user_tags.append(-1)
        return row

    def add(self, user: str, item: int, ts_ms: int, tag: int = -1) -> bool:
        """Count ``user`` touching ``item`` at ``ts_ms``; True when it is the pair's first touch.
        ``tag`` (the caller's name for the touch, e.g. a training example) becomes the user's.

        Late events (older than the current moment) count with the decay they would have had.
        """
        row = self.user_row(user)
        mine = self.user_items[row]
        self.events[item] += 1
        if tag >= 0:
            self.user_tags[row] = tag
        if item in mine:
            mine[item] = min(mine[item], ts_ms)
            return False
        mine[item] = ts_ms
        buyers = self.buyers[item]
        buyers.append((ts_ms, row))
        if len(buyers) > 2 * BUYERS:
            buyers.sort(reverse=True)
            del buyers[BUYERS:]
        self.advance(ts_ms)
        assert self.now_ms is not None
        age = max(self.now_ms - ts_ms, 0)
        for h, horizon in enumerate(HORIZONS_MS):
            self.decayed[h, item] += math.exp(-age / horizon)
        self.total[item] += 1
        if self.first_ms[item] < 0 or ts_ms < self.first_ms[item]:
            self.first_ms[item] = ts_ms
        self._pairs_u.append(row)
        self._pairs_i.append(item)
        return True

    def add_all(self, touches: Iterable[tuple[str, int, int]]) -> None:
        """``add`` each ``(user, item, ts_ms)`` in order."""
        for user, item, ts in touches:
            self.add(user, item, ts)

    # --- reading -------------------------------------------------------------------------

    def items_of(self, user: str) -> list[int]:
        """The items ``user`` has touched, in first-touch order."""
        row = self.user_rows.get(user)
        if row is None:
            return []
        return sorted(self.user_items[row], key=lambda i: (self.user_items[row][i], i))

    def item_stats(self, now_ms: int | None = None) -> np.ndarray:
        """Every item's statistics as of ``now_ms`` (default: the newest event), ``(n_items, N_STATS)``."""
        now = self.now_ms if now_ms is None else now_ms
        if now is None:
            return stats_features(self.decayed, self.total, np.full(self.n_items, -1))
        decayed = self.decayed
        if self.now_ms is not None and now > self.now_ms:
            decayed = decayed * np.exp(-(now - self.now_ms) / np.asarray(HORIZONS_MS, np.float64))[:, None]
        age = np.where(self.first_ms >= 0, now - self.first_ms, -1)
        return stats_features(decayed, self.total, age)

    def recent_buyers(self, m: int = BUYERS) -> tuple[np.ndarray, np.ndarray]:
        """Each item's ``m`` newest buyers as ``(rows, first_touch_ms)``, both ``(n_items, m)``,
        newest first (row -1: no buyer in that slot)."""
        rows = np.full((self.n_items, m), -1, np.int64)
        times = np.zeros((self.n_items, m), np.int64)
        for item, buyers in enumerate(self.buyers):
            if buyers:
                newest = sorted(buyers, reverse=True)[:m]
                times[item, :len(newest)] = [t for t, _ in newest]
                rows[item, :len(newest)] = [r for _, r in newest]
        return rows, times

    def tags_of(self, rows: np.ndarray) -> np.ndarray:
        """The tags of the users at ``rows`` (row -1, or a user never tagged: -1)."""
        return np.asarray([*self.user_tags, -1], np.int64)[rows]

    def popularity(self) -> np.ndarray:
        """Distinct users per item, all time: live popularity."""
        return self.total.copy()

    def event_counts(self) -> np.ndarray:
        """Events per item, all time (repeats included)."""
        return self.events.copy()

    def _matrices(self) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        n = len(self._pairs_u)
        if n - self._built >= self._rebuild_every or self._r.shape[0] != len(self.user_items) and n > self._built:
            u = np.asarray(self._pairs_u, np.int64)
            i = np.asarray(self._pairs_i, np.int64)
            self._r = sparse.csr_matrix((np.ones(n, np.float32), (u, i)), shape=(len(self.user_items), self.n_items))
            self._rt = self._r.T.tocsr()
            self._built = n
        return self._r, self._rt

    def _r_dot(self, x: np.ndarray) -> np.ndarray:
        """``R @ x`` over every pair added so far (``x``: one value per item)."""
        r, _ = self._matrices()
        out = np.zeros(len(self.user_items))
        out[:r.shape[0]] = r @ x
        for k in range(self._built, len(self._pairs_u)):
            out[self._pairs_u[k]] += x[self._pairs_i[k]]
        return out

    def _rt_dot(self, w: np.ndarray) -> np.ndarray:
        """``R.T @ w`` over every pair added so far (``w``: one value per user row)."""
        _, rt = self._matrices()
        out = np.asarray(rt @ w[:rt.shape[1]], np.float64)
        for k in range(self._built, len(self._pairs_u)):
            out[self._pairs_i[k]] += w[self._pairs_u[k]]
        return out

    def item_knn(self, history: Sequence[int], weights: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
        """``sum_j w_j cos(i, j)`` over the ``history`` items ``j``: cosine between item columns of ``R``."""
        if not len(history):
            return np.zeros(self.n_items)
        deg = np.sqrt(np.maximum(self.total, 1.0))
        x = np.zeros(self.n_items)
        np.add.at(x, np.asarray(history, np.int64), np.ones(len(history)) if weights is None else np.asarray(weights))
        return self._rt_dot(self._r_dot(x / deg)) / deg

    def user_knn(self, user: str, neighbours: int = 20, power: float = 2.0,
                 history: Sequence[int] | None = None) -> np.ndarray:
        """``sum_v cos(u, v)^power`` over the ``neighbours`` users ``v`` most similar to ``user``
        (cosine between rows of ``R``) who touched each item."""
        items = self.items_of(user) if history is None else list(history)
        if not items:
            return np.zeros(self.n_items)
        x = np.zeros(self.n_items)
        x[np.asarray(items, np.int64)] = 1.0
        overlap = self._r_dot(x)
        sizes = np.array([len(m) for m in self.user_items], np.float64)
        sim = overlap / np.sqrt(np.maximum(sizes, 1.0) * len(items))
        me = self.user_rows.get(user)
        if me is not None:
            sim[me] = 0.0
        if neighbours < len(sim):
            cut = np.argpartition(-sim, neighbours)[:neighbours]
            top = np.zeros_like(sim)
            top[cut] = sim[cut]
            sim = top
        return self._rt_dot(np.power(sim, power))
