"""Non-GNN baselines for the evaluation harness: recent popularity and item-kNN.

Both update as the stream advances, like the dynamic GNN: popularity counts a sliding
window of recent events, item-kNN scores with each user's growing history (its item-item
cosine similarities come from the training past).
"""

from __future__ import annotations

from collections import deque

import numpy as np


class RecentPopularity:
    """Items ranked by how often they were acted on in the last ``window_ms``."""

    def __init__(self, n_items: int, window_ms: int) -> None:
        self.counts = np.zeros(n_items)
        self.window_ms = window_ms
        self._events: deque[tuple[int, int]] = deque()

    def add(self, item: int, ts_ms: int) -> None:
        self._events.append((ts_ms, item))
        self.counts[item] += 1
        while self._events and self._events[0][0] < ts_ms - self.window_ms:
            _, old = self._events.popleft()
            self.counts[old] -= 1

    def scores(self) -> np.ndarray:
        return self.counts.copy()


class ItemKNN:
    """Cosine similarity between item columns of the past user-item matrix."""

    def __init__(self, n_users: int, n_items: int, pairs: list[tuple[int, int]], neighbours: int = 100) -> None:
        m = np.zeros((n_users, n_items), dtype=np.float32)
        for u, i in pairs:
            m[u, i] = 1.0
        norms = np.linalg.norm(m, axis=0)
        norms[norms == 0] = 1.0
        sim = (m.T @ m) / np.outer(norms, norms)
        np.fill_diagonal(sim, 0.0)
        if neighbours < n_items:  # keep each item's strongest neighbours only
            cut = np.partition(sim, -neighbours, axis=1)[:, -neighbours][:, None]
            sim = np.where(sim >= cut, sim, 0.0)
        self.sim = sim.astype(np.float32)

    def scores(self, history: list[int]) -> np.ndarray:
        if not history:
            return np.zeros(self.sim.shape[0], dtype=np.float32)
        return self.sim[history].sum(axis=0)
