"""Training: BPR link prediction user -> item on a temporal split, with early stopping.

- The last ``val_fraction`` of interactions (by first time) is the validation set; the
  model only ever sees earlier ones.
- Each epoch hides a random 20% of the training interactions from message passing and
  learns to rank them above sampled negatives (half uniform, half popularity^0.75:
  "hard-ish"), so the model cannot win by spotting the edge it is asked about.
- Validation ranks every item for each validation user (training items excluded) and
  keeps the best Recall@20; training stops after ``patience`` epochs without progress.
Everything is seeded; the same graph and config give the same model.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from gnn.export import GraphExport
from gnn.features import EDGE_DIM, NODE_DIM, REL_TYPES
from gnn.models import ENCODERS, InterestEncoder
from interestgraph.errors import InputError

K = 20


@dataclass(frozen=True)
class TrainConfig:
    arch: str = "gin"
    hidden: int = 64
    out: int = 64
    layers: int = 2
    epochs: int = 80
    lr: float = 0.005
    weight_decay: float = 1e-6
    scale: float = 10.0
    hide: float = 0.2
    cap: int = 32
    patience: int = 8
    val_fraction: float = 0.1
    seed: int = 0
    max_seconds: float = 240.0
    temporal: bool = True


@dataclass
class TrainResult:
    model: InterestEncoder
    config: TrainConfig
    best_epoch: int
    val_recall: float
    val_ndcg: float
    epochs_run: int
    seconds: float
    cutoff_ms: int
    history: list[dict[str, float]] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        return {"val_recall@20": round(self.val_recall, 4), "val_ndcg@20": round(self.val_ndcg, 4),
                "best_epoch": self.best_epoch, "epochs_run": self.epochs_run, "seconds": round(self.seconds, 1),
                "val_cutoff_ms": self.cutoff_ms, "config": asdict(self.config)}


def rank_metrics(scores: np.ndarray, targets: list[set[int]], k: int = K) -> tuple[float, float]:
    """Mean Recall@k and NDCG@k; ``scores`` is users x items with seen items at -inf."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    recall, ndcg = [], []
    for row, want in zip(top, targets, strict=True):
        if not want:
            continue
        hits = [1.0 if int(i) in want else 0.0 for i in row]
        recall.append(sum(hits) / min(len(want), k))
        dcg = sum(h / np.log2(p + 2) for p, h in enumerate(hits))
        ideal = sum(1.0 / np.log2(p + 2) for p in range(min(len(want), k)))
        ndcg.append(dcg / ideal)
    return (float(np.mean(recall)) if recall else 0.0, float(np.mean(ndcg)) if ndcg else 0.0)


def train(graph: GraphExport, cfg: TrainConfig, progress: bool = False,
          log: Callable[[str], None] | None = None) -> TrainResult:
    """Train ``cfg.arch`` on ``graph``; returns the best model (by validation Recall@20)."""
    if cfg.arch not in ENCODERS:
        raise InputError(f"--model must be one of {sorted(ENCODERS)}, got {cfg.arch!r}")
    started = time.perf_counter()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    users, items = graph.of_label("User"), graph.of_label("Item")
    if len(users) == 0 or len(items) == 0:
        raise InputError("the graph has no users or no items to train on; ingest events first")
    is_pos = graph.behaviour_mask()
    pos_idx = np.flatnonzero(is_pos)
    if len(pos_idx) < 10:
        raise InputError(f"only {len(pos_idx)} user-item interactions: too few to train on")
    cutoff = int(np.quantile(graph.first_ms[pos_idx], 1 - cfg.val_fraction))
    train_pos = pos_idx[graph.first_ms[pos_idx] < cutoff]
    val_pos = pos_idx[graph.first_ms[pos_idx] >= cutoff]
    # Message passing uses structure (IN_CATEGORY, SEARCHED), never INTERESTED_IN: it sums
    # behaviour over all time, future included, and user -> item -> category carries it anyway.
    context = ~is_pos & (graph.etype != REL_TYPES.index("INTERESTED_IN"))
    item_col = {int(n): c for c, n in enumerate(items)}
    pop = np.bincount([item_col[int(d)] for d in graph.dst[train_pos]], minlength=len(items)).astype(np.float64)
    hard = (pop + 1) ** 0.75
    hard /= hard.sum()

    torch.manual_seed(cfg.seed)
    model = ENCODERS[cfg.arch](NODE_DIM, cfg.hidden, cfg.out, cfg.layers, EDGE_DIM)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    val_keep = (context & ((graph.first_ms == 0) | (graph.first_ms < cutoff))) | np.isin(np.arange(len(is_pos)),
                                                                                           train_pos)
    val_x = graph.features_as_of(val_keep)
    val_graph = graph.message_graph(val_keep, cfg.cap, now_ms=cutoff)
    seen: dict[int, set[int]] = {}
    for e in train_pos:
        seen.setdefault(int(graph.src[e]), set()).add(item_col[int(graph.dst[e])])
    val_targets: dict[int, set[int]] = {}
    for e in val_pos:
        val_targets.setdefault(int(graph.src[e]), set()).add(item_col[int(graph.dst[e])])

    best = (-1.0, 0.0, 0, copy.deepcopy(model.state_dict()))
    history: list[dict[str, float]] = []
    stale = 0
    epoch = 0
    with tqdm(total=cfg.epochs, desc=f"train {cfg.arch}", unit="epoch", disable=not progress,
              file=sys.stderr) as bar:
        for epoch in range(1, cfg.epochs + 1):
            model.train()
            t_cut: int | None = None
            if cfg.temporal:
                # Predict the future from the past: hide what happened after a random moment.
                t_cut = int(np.quantile(graph.first_ms[train_pos], rng.uniform(0.5, 0.95)))
                hidden = graph.first_ms[train_pos] >= t_cut
            else:
                hidden = rng.random(len(train_pos)) < cfg.hide
            sup = train_pos[hidden]
            keep = context & ((graph.first_ms == 0) | (graph.first_ms < (t_cut or cutoff)))
            keep[train_pos[~hidden]] = True
            edge_index, edge_attr = graph.message_graph(keep, cfg.cap, now_ms=t_cut)
            z = model(graph.features_as_of(keep), edge_index, edge_attr)
            u = torch.from_numpy(graph.src[sup])
            i_pos = torch.from_numpy(graph.dst[sup])
            uniform = rng.integers(0, len(items), size=len(sup))
            popular = rng.choice(len(items), size=len(sup), p=hard)
            neg_col = np.where(rng.random(len(sup)) < 0.5, uniform, popular)
            i_neg = torch.from_numpy(items[neg_col])
            s_pos = (z[u] * z[i_pos]).sum(-1) * cfg.scale
            s_neg = (z[u] * z[i_neg]).sum(-1) * cfg.scale
            loss = -F.logsigmoid(s_pos - s_neg).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

            recall, ndcg = evaluate_split(model, val_x, val_graph, users, items, seen, val_targets)
            history.append({"epoch": epoch, "loss": loss.item(), "val_recall@20": recall})
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.4f}", recall=f"{recall:.4f}")
            if log is not None:
                log(f"epoch {epoch}: loss {loss.item():.4f} val recall@20 {recall:.4f} ndcg@20 {ndcg:.4f}")
            if recall > best[0]:
                best = (recall, ndcg, epoch, copy.deepcopy(model.state_dict()))
                stale = 0
            else:
                stale += 1
            if stale >= cfg.patience or time.perf_counter() - started > cfg.max_seconds:
                break
    model.load_state_dict(best[3])
    model.eval()
    return TrainResult(model, cfg, best[2], best[0], best[1], epoch, time.perf_counter() - started, cutoff, history)


@torch.no_grad()
def evaluate_split(model: InterestEncoder, x: torch.Tensor, graph: tuple[torch.Tensor, torch.Tensor],
                   users: np.ndarray, items: np.ndarray, seen: dict[int, set[int]],
                   targets: dict[int, set[int]]) -> tuple[float, float]:
    model.eval()
    z = model(x, *graph).numpy()
    who = [u for u in targets if u in set(users.tolist())]
    if not who:
        return 0.0, 0.0
    scores = z[who] @ z[items].T
    for row, u in enumerate(who):
        for col in seen.get(u, ()):
            scores[row, col] = -np.inf
    return rank_metrics(scores, [targets[u] for u in who])
