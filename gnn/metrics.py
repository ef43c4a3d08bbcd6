"""Ranking metrics of next-item prediction, shared by validation and evaluation.

Ties are scored as half a rank each (``rank_of``): a method that gives many items the same
score (popularity, an untrained model) must not gain from the order of item ids, which is
what top-k index metrics such as PyG's ``LinkPredRecall`` would reward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

K = 20


def rank_metrics(scores: torch.Tensor, target: torch.Tensor, k: int = K) -> tuple[float, float]:
    """Summed hits and NDCG@k of one target per row (seen items already at -inf)."""
    t = scores.gather(1, target[:, None])
    rank = (scores > t).sum(dim=1).float()
    hit = rank < k
    return float(hit.sum()), float((hit.float() / torch.log2(rank + 2.0)).sum())


@dataclass
class Score:
    """Recall@K and NDCG@K summed over ranked events, cold-start items counted apart."""

    hits: float = 0.0
    ndcg: float = 0.0
    n: int = 0
    cold_hits: float = 0.0
    cold_n: int = 0

    def add(self, rank: float | None, cold: bool) -> None:
        """Count one ranked event: ``rank`` is None when the item ranked nowhere, ``cold`` when it was unseen."""
        hit = rank is not None and rank < K
        self.n += 1
        self.cold_n += cold
        if hit:
            assert rank is not None
            self.hits += 1.0
            self.ndcg += 1.0 / np.log2(rank + 2.0)
            self.cold_hits += cold

    def row(self, name: str) -> dict[str, Any]:
        """The method's table row: Recall@20, NDCG@20 and cold-item recall (None without cold events)."""
        return {"method": name, "recall@20": round(self.hits / max(self.n, 1), 4),
                "ndcg@20": round(self.ndcg / max(self.n, 1), 4),
                "cold_items_recall@20": round(self.cold_hits / self.cold_n, 4) if self.cold_n else None}


def rank_of(scores: np.ndarray, target: int, allowed: np.ndarray) -> float | None:
    """0-based rank of ``target`` among ``allowed`` items (ties count half); None if unrankable."""
    if not allowed[target] or not np.isfinite(scores[target]):
        return None
    s = scores[allowed]
    t = scores[target]
    return float((s > t).sum() + 0.5 * ((s == t).sum() - 1))
