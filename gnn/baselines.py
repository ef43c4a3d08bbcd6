"""Non-learned baselines of the evaluation: recent popularity and item-kNN.

Both update as the stream advances, like the dynamic models: popularity counts a sliding
window of recent events; item-kNN scores with each user's growing history (over all of
it, or only the newest items: interests move). Item-item cosine similarities come from the
training past, kept sparse (top ``neighbours`` per item) so large catalogues fit.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from scipy import sparse


class RecentPopularity:
    """Items ranked by how often they were acted on in the last ``window_ms``."""

    def __init__(self, n_items: int, window_ms: int) -> None:
        self.counts = np.zeros(n_items)
        self.window_ms = window_ms
        self._events: deque[tuple[int, int]] = deque()

    def add(self, item: int, ts_ms: int) -> None:
        """Count one event at ``ts_ms`` and forget those that fell out of the window."""
        self._events.append((ts_ms, item))
        self.counts[item] += 1
        while self._events and self._events[0][0] < ts_ms - self.window_ms:
            _, old = self._events.popleft()
            self.counts[old] -= 1

    def scores(self) -> np.ndarray:
        """Each item's count in the window (a copy)."""
        return self.counts.copy()


class ItemKNN:
    """Cosine similarity between item columns of the past user-item matrix."""

    def __init__(self, n_users: int, n_items: int, pairs: list[tuple[int, int]], neighbours: int = 100) -> None:
        rows = np.array([u for u, _ in pairs], np.int64)
        cols = np.array([i for _, i in pairs], np.int64)
        m = sparse.csr_matrix((np.ones(len(pairs), np.float32), (rows, cols)), shape=(n_users, n_items))
        m.data[:] = 1.0  # a repeated pair counts once
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=0)).ravel())
        norms[norms == 0] = 1.0
        co = (m.T @ m).tocsr().astype(np.float32)
        co.setdiag(0.0)
        co.eliminate_zeros()
        inv = sparse.diags((1.0 / norms).astype(np.float32))
        sim = (inv @ co @ inv).tocsr()
        self.sim = self._top(sim, neighbours)

    @staticmethod
    def _top(sim: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
        """Keep each item's ``k`` strongest neighbours (ties at the cut kept)."""
        data, indices, indptr = [], [], [0]
        for r in range(sim.shape[0]):
            lo, hi = sim.indptr[r], sim.indptr[r + 1]
            vals, cols = sim.data[lo:hi], sim.indices[lo:hi]
            if len(vals) > k:
                cut = np.partition(vals, -k)[-k]
                keep = vals >= cut
                vals, cols = vals[keep], cols[keep]
            data.append(vals)
            indices.append(cols)
            indptr.append(indptr[-1] + len(vals))
        return sparse.csr_matrix((np.concatenate(data) if data else np.zeros(0, np.float32),
                                  np.concatenate(indices) if indices else np.zeros(0, np.int32), indptr),
                                 shape=sim.shape)

    def scores(self, history: list[int]) -> np.ndarray:
        """Each item's summed similarity to the ``history`` items (zeros for an empty history)."""
        if not history:
            return np.zeros(self.sim.shape[0], dtype=np.float32)
        return np.asarray(self.sim[history].sum(axis=0)).ravel()
