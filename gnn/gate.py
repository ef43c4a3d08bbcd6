"""The validation gate: fit the fusion head, and check the model against counting, on the newest
slice of the past, replayed moment by moment as the live system would have seen it.

Each validation example (a first touch at time ``t``) is a *moment*: the live counts hold every
first touch before it, the user's vector is read from their edges just before ``t``, the items'
live statistics are those of ``t``. All signals (``gnn.scoring``) are computed then, the target is
looked up among the candidates, and every counting baseline ranks the whole catalogue. After
the moment its touch is counted, so later moments see it, as the stream would.

The moments are split by time: the earlier two thirds fit the head, the newest third decides.
A model is activated only when the fused ranking beats every counting baseline there by more
than chance would (a one-sided paired test on the moments' hits, 95%): a fused ranking that
merely matches counting is not worth a model.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from gnn.counting import LiveCounts
from gnn.metrics import K
from gnn.scoring import (
    BASELINES,
    RECENT_POPULARITY,
    FusionExamples,
    FusionHead,
    Signals,
    candidates,
    co_behaviour,
    features,
    fit_fusion,
    hits_of,
)

TABLE_EVERY = 32  # moments between recomputations of the items' live vectors
FIT_SHARE = 2 / 3  # the earlier moments fit the head, the rest decide
Z_ONE_SIDED_95 = 1.645


@dataclass
class Moments:
    """Validation moments: the head's examples and every baseline's rank of each target."""

    fusion: FusionExamples = field(default_factory=FusionExamples)
    ranks: dict[str, list[float]] = field(default_factory=lambda: {"model": [], **{b: [] for b in BASELINES}})

    def add(self, x: Touch, counts: LiveCounts, stats: np.ndarray, model: np.ndarray) -> None:
        """Score moment ``x`` with every method, its candidates' features for the head."""
        assert x.history is not None
        allowed = np.ones(counts.n_items, bool)
        allowed[x.history] = False
        sig = Signals({"model": model, **co_behaviour(counts, x.user, x.history)}, stats, len(x.history))
        self.ranks["model"].append(rank_among(sig.values["model"], x.item, allowed))
        for b in BASELINES:
            self.ranks[b].append(rank_among(sig.baseline(b), x.item, allowed))
        rows = candidates(sig, allowed)
        pos = np.flatnonzero(rows == x.item)
        self.fusion.add(features(sig, rows, allowed), int(pos[0]) if len(pos) else -1)

    def hits(self, method: str, index: range, k: int = K) -> np.ndarray:
        """1.0 where a baseline (or ``model``) ranked the target in the top ``k``, per moment at ``index``."""
        return (np.asarray(self.ranks[method])[list(index)] < k).astype(np.float64)

    def recall(self, method: str, index: range, k: int = K) -> float:
        """Recall@``k`` of a baseline (or ``model``) over the moments at ``index``."""
        return float(self.hits(method, index, k).mean()) if len(index) else 0.0


@dataclass
class GateResult:
    """The fitted head and the gate's decision, with every method's figure on the deciding moments."""

    head: FusionHead | None
    activate: bool
    reason: str
    val: dict[str, float]
    moments: int
    fusion_epoch: int = 0
    # The horizon of trending popularity that did best on the fitting moments (popularity_recent).
    recent_popularity: str = "popularity_1d"
    best_baseline: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The decision as written into the model card and printed by ``train``."""
        return {"activate": self.activate, "reason": self.reason, "val_recall@20": self.val,
                "moments": self.moments, "fusion_epoch": self.fusion_epoch,
                "recent_popularity": self.recent_popularity, "best_baseline": self.best_baseline}


def rank_among(scores: np.ndarray, target: int, allowed: np.ndarray) -> float:
    """0-based rank of ``target`` among ``allowed`` items (ties half; -inf scores rank last)."""
    s = scores[allowed]
    t = scores[target]
    if not np.isfinite(t):
        return float(allowed.sum())
    return float((s > t).sum() + 0.5 * ((s == t).sum() - 1))


@dataclass(frozen=True)
class Touch:
    """A first touch of ``item`` by ``user`` at ``t``; scored as a moment when ``history`` is given
    (the user's items before it, oldest first), ``key`` naming it for the user-vector lookup."""

    user: str
    item: int
    t: int
    history: list[int] | None = None
    key: int = -1


def replay_moments(n_items: int, touches: list[Touch], user_vector: Callable[[int], np.ndarray],
                   item_table: Callable[[np.ndarray, LiveCounts, int], tuple[np.ndarray, np.ndarray]],
                   progress: bool = False) -> Moments:
    """Replay ``touches`` in order, scoring each one that has a ``history`` before counting it.

    ``user_vector(key)`` is the model's vector of that moment's user; ``item_table(stats, counts, t)``
    the items' scoring vectors and biases under live statistics ``stats`` and the touches
    ``counts`` holds at ``t`` (their newest buyers, tagged with the touches' keys; recomputed every
    ``TABLE_EVERY`` moments, as the workers refresh item vectors every few seconds).
    """
    counts = LiveCounts(n_items)
    out = Moments()
    stats = counts.item_stats()
    table: tuple[np.ndarray, np.ndarray] | None = None
    scored = 0
    n_moments = sum(1 for x in touches if x.history is not None)
    with tqdm(total=n_moments, desc="validation moments", unit="moment", disable=not progress,
              file=sys.stderr) as bar:
        for x in touches:
            if x.history is not None:
                counts.advance(x.t)
                if table is None or scored % TABLE_EVERY == 0:
                    stats = counts.item_stats(x.t)
                    table = item_table(stats, counts, x.t)
                scored += 1
                out.add(x, counts, stats, user_vector(x.key) @ table[0].T + table[1])
                bar.update(1)
            counts.add(x.user, x.item, x.t, tag=x.key)
    return out


def decide(m: Moments, *, seed: int = 0) -> GateResult:
    """Fit the head on the earlier moments; activate when the fused ranking beats every counting
    baseline on the newest ones."""
    n = len(m.fusion)
    split = int(n * FIT_SHARE)
    fit, check = range(split), range(split, n)
    if len(fit) < 20 or len(check) < 10:
        return GateResult(None, False, f"only {n} validation moments: too few to fit and check", {}, n)
    head, fused, epoch = fit_fusion(m.fusion, fit, check, seed=seed)
    val = {"model": round(m.recall("model", check), 4), **{b: round(m.recall(b, check), 4) for b in BASELINES},
           "fused": round(fused, 4)}
    recent = max(RECENT_POPULARITY, key=lambda b: (m.recall(b, fit), -RECENT_POPULARITY[b]))
    # The strongest baseline on the deciding moments themselves: the stricter comparison for the model.
    best = max(BASELINES, key=lambda b: m.recall(b, check))
    diff = hits_of(head, m.fusion, check) - m.hits(best, check)
    margin = Z_ONE_SIDED_95 * float(diff.std(ddof=1)) / np.sqrt(len(diff)) if len(diff) > 1 else 0.0
    gain = float(diff.mean())
    if gain > margin:
        return GateResult(head, True, f"the model ({fused:.4f}) beats the best counting baseline, {best} "
                                      f"({val[best]:.4f}), by {gain:.4f} > {margin:.4f} (chance, 95%) on the newest "
                                      f"{len(check)} validation moments", val, n, epoch, recent, best)
    return GateResult(head, False, f"the model ({fused:.4f}) does not beat {best} ({val[best]:.4f}) by more than "
                                   f"chance ({gain:.4f} <= {margin:.4f}) on the newest {len(check)} validation "
                                   "moments", val, n, epoch, recent, best)
