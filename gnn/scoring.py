"""The interest model's ranking: the GIN's score fused with live co-behaviour signals.

Every candidate item gets raw *signals* at the moment of the request:

- ``model``: the GIN's ``z_u . h_i(t) + b_i(t)`` (user readout, items with live state);
- ``item_knn``: cosine item-kNN over the user's whole history (``gnn.counting``, live);
- ``item_knn_recent``: the same over the user's newest items, newer ones weighing more;
- ``user_knn``: the 20 shoppers whose histories are most like the user's, similarity squared
  (the two-hop walk user -> items -> users -> items);
- ``popularity``: distinct buyers so far, and the item's live statistics (``gnn.counting``).

Candidates are the top ``per_signal`` of each signal; :func:`features` turns the signals of
the candidates into a fixed set of numbers (no normalisation over the candidate set, so a
candidate's features do not depend on which other candidates came along), and a small
learned head (:class:`FusionHead`) scores them. The head is fitted on the temporal
validation slice (:func:`fit_fusion`); each counting baseline is the same ranking with one
signal alone (:data:`BASELINES`), which is what the activation gate compares against.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from gnn.counting import N_STATS, LiveCounts

SIGNALS = ("model", "item_knn", "item_knn_recent", "user_knn", "popularity")
RECENT_ITEMS = 20  # item_knn_recent reads this many newest items...
RECENT_DECAY = 0.8  # ...each one weighing this much less than the next newer one
USER_NEIGHBOURS = 20
USER_POWER = 2.0
PER_SIGNAL = 100  # candidates taken from each signal
# A counting baseline is one signal alone, ties broken by live popularity (never by id order):
# popularity all time, popularity decayed over an hour, a day or a week (trending), item-kNN over
# the whole history or the newest items, user-kNN.
RECENT_POPULARITY = {"popularity_1h": 0, "popularity_1d": 1, "popularity_7d": 2}  # -> horizon in LIVE_HORIZONS_MS
BASELINES = ("popularity", *RECENT_POPULARITY, "item_knn", "item_knn_recent", "user_knn")
TIE_BREAK = 1e-6


@dataclass
class Signals:
    """Every catalogue item's raw signals for one user at one moment (each an array over items)."""

    values: dict[str, np.ndarray]
    stats: np.ndarray  # [n_items, N_STATS]
    n_history: int

    def baseline(self, name: str) -> np.ndarray:
        """The ranking of counting baseline ``name`` over every item."""
        pop = self.values["popularity"]
        if name == "popularity":
            return pop.astype(np.float64)
        if name in RECENT_POPULARITY:  # the decayed count, back from the statistics' log scale
            decayed = np.expm1(self.stats[:, RECENT_POPULARITY[name]].astype(np.float64) * 3.0)
            return decayed + TIE_BREAK * np.log1p(pop)
        return self.values[name] + TIE_BREAK * np.log1p(pop)


def co_behaviour(counts: LiveCounts, user: str, history: Sequence[int]) -> dict[str, np.ndarray]:
    """The counting signals of ``user`` whose items are ``history`` (oldest first), from ``counts``."""
    recent = list(history)[-RECENT_ITEMS:]
    weights = RECENT_DECAY ** np.arange(len(recent))[::-1]
    return {"item_knn": counts.item_knn(history), "item_knn_recent": counts.item_knn(recent, weights),
            "user_knn": counts.user_knn(user, USER_NEIGHBOURS, USER_POWER, history),
            "popularity": counts.popularity()}


def candidates(signals: Signals, allowed: np.ndarray, per_signal: int = PER_SIGNAL) -> np.ndarray:
    """Item rows in the top ``per_signal`` of any signal (only ``allowed`` ones), sorted."""
    picked: set[int] = set()
    n_allowed = int(allowed.sum())
    if n_allowed == 0:
        return np.zeros(0, np.int64)
    take = min(per_signal, n_allowed)
    for name in SIGNALS:
        s = np.where(allowed, signals.values[name], -np.inf)
        top = np.argpartition(-s, take - 1)[:take]
        picked.update(int(i) for i in top if allowed[i])
    return np.array(sorted(picked), np.int64)


def _ranks(values: np.ndarray, allowed: np.ndarray, cap: int) -> np.ndarray:
    """Each item's 0-based rank among ``allowed`` items by ``values`` (higher first), capped at ``cap``."""
    s = np.where(allowed, values, -np.inf)
    take = min(cap, int(allowed.sum()))
    rank = np.full(len(values), float(cap))
    if take:
        top = np.argpartition(-s, take - 1)[:take]
        top = top[np.argsort(-s[top], kind="stable")]
        rank[top] = np.arange(take)
    return rank


FEATURES = ("model", "log_item_knn", "log_item_knn_recent", "log_user_knn", "log_popularity",
            *(f"stat{k}" for k in range(N_STATS)), *(f"rank_{s}" for s in SIGNALS),
            "hist_x_model", "hist_x_item_knn", "hist_x_user_knn", "hist_x_popularity")
N_FEATURES = len(FEATURES)


def features(signals: Signals, rows: np.ndarray, allowed: np.ndarray, per_signal: int = PER_SIGNAL) -> np.ndarray:
    """The head's inputs for candidate ``rows``: ``(len(rows), N_FEATURES)`` float32."""
    v = signals.values
    nh = math.log1p(signals.n_history) / 3.0
    log_ik = np.log1p(np.maximum(v["item_knn"][rows], 0.0))
    log_ikr = np.log1p(np.maximum(v["item_knn_recent"][rows], 0.0))
    log_uk = np.log1p(10.0 * np.maximum(v["user_knn"][rows], 0.0))
    log_pop = np.log1p(np.maximum(v["popularity"][rows], 0.0)) / 5.0
    ranks = [np.log1p(_ranks(v[name], allowed, per_signal)[rows]) / math.log1p(per_signal) for name in SIGNALS]
    cols = [v["model"][rows], log_ik, log_ikr, log_uk, log_pop, *signals.stats[rows].T, *ranks,
            nh * v["model"][rows], nh * log_ik, nh * log_uk, nh * log_pop]
    return np.column_stack(cols).astype(np.float32)


class FusionHead(torch.nn.Module):
    """A small MLP over :data:`FEATURES`, inputs standardised with the fitting data's statistics."""

    mean: Tensor
    std: Tensor

    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(N_FEATURES))
        self.register_buffer("std", torch.ones(N_FEATURES))
        self.net = torch.nn.Sequential(torch.nn.Linear(N_FEATURES, hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(hidden, 1))

    def forward(self, x: Tensor) -> Tensor:
        """Scores of candidates ``(..., N_FEATURES)`` -> ``(...)``."""
        return self.net((x - self.mean) / self.std).squeeze(-1)

    @torch.no_grad()
    def score(self, x: np.ndarray) -> np.ndarray:
        """Scores of a candidate feature matrix, as numpy."""
        self.eval()
        return self(torch.from_numpy(x)).numpy().astype(np.float64)


@dataclass
class FusionExamples:
    """Validation moments for the head: each the candidates' features and where the target is (-1: not a candidate)."""

    feats: list[np.ndarray] = field(default_factory=list)
    target: list[int] = field(default_factory=list)

    def add(self, x: np.ndarray, target: int) -> None:
        """One moment: candidate features ``x`` and the target's row in them (or -1)."""
        self.feats.append(x)
        self.target.append(target)

    def __len__(self) -> int:
        return len(self.target)

    def padded(self, index: Sequence[int]) -> tuple[Tensor, Tensor, Tensor]:
        """``(x [E, C, F], mask [E, C], target [E])`` of the moments at ``index`` whose target is a candidate."""
        keep = [k for k in index if self.target[k] >= 0]
        width = max((len(self.feats[k]) for k in keep), default=1)
        x = torch.zeros(len(keep), width, N_FEATURES)
        mask = torch.zeros(len(keep), width, dtype=torch.bool)
        for r, k in enumerate(keep):
            f = self.feats[k]
            x[r, :len(f)] = torch.from_numpy(f)
            mask[r, :len(f)] = True
        return x, mask, torch.tensor([self.target[k] for k in keep], dtype=torch.long)


@torch.no_grad()
def hits_of(head: FusionHead, ex: FusionExamples, index: Sequence[int], k: int = 20) -> np.ndarray:
    """1.0 per moment at ``index`` where ``head`` ranks the target in the top ``k`` (a target outside
    the candidates is a miss; ties count half a rank)."""
    out = np.zeros(len(index))
    found = [n for n, k_ in enumerate(index) if ex.target[k_] >= 0]
    if not found:
        return out
    x, mask, target = ex.padded(index)
    head.eval()
    s = head(x).masked_fill(~mask, float("-inf"))
    t = s.gather(1, target[:, None])
    rank = (s > t).sum(1).float() + 0.5 * ((s == t).sum(1).float() - 1)
    out[found] = (rank < k).numpy()
    return out


def recall_of(head: FusionHead, ex: FusionExamples, index: Sequence[int], k: int = 20) -> float:
    """Recall@``k`` of ``head`` over the moments at ``index``."""
    return float(hits_of(head, ex, index, k).mean()) if len(index) else 0.0


def fit_fusion(ex: FusionExamples, fit: Sequence[int], check: Sequence[int], *, epochs: int = 60, lr: float = 0.01,
               batch: int = 256, patience: int = 8, seed: int = 0) -> tuple[FusionHead, float, int]:
    """Fit the head by softmax over each moment's candidates on ``fit``; keep the epoch with the
    best Recall@20 on ``check`` (the later moments). Returns ``(head, check recall, epoch)``."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x, mask, target = ex.padded(fit)
    head = FusionHead()
    if len(x):
        flat = x[mask]
        head.mean.copy_(flat.mean(0))
        head.std.copy_(flat.std(0).clamp(min=1e-6))
    opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=1e-4)
    best = (recall_of(head, ex, check), 0, {k: v.clone() for k, v in head.state_dict().items()})
    stale = 0
    for epoch in range(1, epochs + 1):
        head.train()
        for b in np.array_split(rng.permutation(len(x)), max(1, len(x) // batch)):
            logits = head(x[b]).masked_fill(~mask[b], float("-inf"))
            loss = F.cross_entropy(logits, target[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        r = recall_of(head, ex, check)
        if r > best[0]:
            best, stale = (r, epoch, {k: v.clone() for k, v in head.state_dict().items()}), 0
        else:
            stale += 1
            if stale >= patience:
                break
    head.load_state_dict(best[2])
    return head.eval(), best[0], best[1]
