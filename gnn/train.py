"""Training: next-item prediction from each shopper's earlier behaviour.

- **Examples.** Every first touch of an item by a user is one example: the user's ``k``
  newest edges just before that moment (``gnn.behaviour.Timeline``) predict the item.
  The graph keeps no per-event log, so each moment is rebuilt from the aggregated edges
  without ever reading the future.
- **Loss.** Softmax over every item in the vocabulary (sampled negatives beyond
  ``full_softmax_max`` items), the items the user already has masked out, as the
  recommender ranks only new items.
- **Validation.** The newest ``val_fraction`` of examples, scored exactly as the live
  stream is: each example's user vector from its own moment. Training stops after
  ``patience`` epochs without a better Recall@20 (NDCG@20 breaking ties; a catalogue under
  200 items uses Recall@(10% of it)) and keeps the best epoch; small data sets take smaller
  batches and at least ``min_steps`` optimiser steps first.
- **Refit.** With the epoch count chosen, the model is trained again on all examples
  (validation slice included: it is the most recent behaviour), if the time budget allows,
  unless the gate fitted a fusion head: then the model served is exactly the one the gate
  checked, whose scores the head was fitted to (the newest behaviour still reaches the
  ranking through the live signals).
- **Live item state without leakage.** Items' live statistics (``gnn.counting``) change with
  every new buyer, so examples are grouped into time slices and each batch is one slice's:
  its items' statistics count only first touches strictly before the slice starts, never
  the example's own moment or anything after it.

Seeded and deterministic on the CPU: the same export and config give the same model.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from gnn.behaviour import ITEM, Timeline
from gnn.counting import N_STATS, LiveCounts
from gnn.export import TrainingData
from gnn.features import ItemContent, Recent, fill_row
from gnn.gate import GateResult, Moments, Touch, decide, replay_moments
from gnn.metrics import K, rank_metrics
from gnn.models import MODELS, InterestModel
from gnn.readout import BUYERS, BuyerInputs, gather
from gnn.registry import ModelCard, Vocabulary
from gnn.runtime import USER_BIAS_COLUMN, ItemRecord, item_inputs
from interestgraph.constants import HOUR_MS
from interestgraph.errors import InputError


@dataclass(frozen=True)
class TrainConfig:
    """The interest model's architecture and training settings."""

    arch: str = "gin"
    dim: int = 62
    layers: int = 1
    k: int = 50
    max_epochs: int = 40
    batch_size: int = 512
    lr: float = 0.005
    weight_decay: float = 0.0
    dropout: float = 0.2
    id_dropout: float = 0.1
    patience: int = 3
    min_steps: int = 300  # small data sets get more epochs before early stopping may end them
    val_fraction: float = 0.1
    seed: int = 0
    max_seconds: float = 150.0  # epochs end early enough for the gate too: train + gate within 3 minutes
    refit: bool = True
    full_softmax_max: int = 100_000
    negatives: int = 8192
    live: bool = True  # items carry live state (interest model v3)
    # ... and read their newest buyers (gnn.readout). Off unless asked: on MovieLens-100K's validation
    # moments it showed no gain (fused 0.3666; without it 0.3808 and 0.3696 in two runs) and doubled training.
    readout: bool = False
    gate: bool = True  # fit the fusion head and check the model against counting on validation
    gate_moments: int = 4000  # at most this many validation moments (spread evenly over the slice)
    max_slices: int = 64  # time slices of the live item statistics
    slice_examples: int = 500  # ... at least this many examples each


@dataclass
class Examples:
    """Next-item examples as padded arrays; ``seen`` lists what each user had before each example."""

    recent: Recent
    target: np.ndarray  # item row
    time_ms: np.ndarray
    user: np.ndarray  # index into ``order``
    position: np.ndarray  # how many items the user had touched before
    order: list[np.ndarray]  # per user: item rows in first-touch order
    slice: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # time slice (live statistics)

    def __len__(self) -> int:
        return len(self.target)

    def seen_mask(self, index: np.ndarray, n_items: int) -> torch.Tensor:
        """``(len(index), n_items)``: True for the items each example's user had touched before it."""
        rows = np.repeat(np.arange(len(index)), self.position[index])
        cols = np.concatenate([self.order[u][:p] for u, p in zip(self.user[index], self.position[index],
                                                                     strict=True)] or [np.zeros(0, np.int64)])
        mask = torch.zeros(len(index), n_items, dtype=torch.bool)
        mask[torch.from_numpy(rows), torch.from_numpy(cols.astype(np.int64))] = True
        return mask


@dataclass
class TrainResult:
    """A trained model with its vocabulary, settings and validation results."""

    model: InterestModel
    vocab: Vocabulary
    config: TrainConfig
    text_model: str | None
    text_dim: int
    item_norm: float
    best_epoch: int
    val_recall: float
    val_ndcg: float
    epochs_run: int
    refit: bool
    seconds: float
    examples: int
    val_k: int = K
    history: list[dict[str, float]] = field(default_factory=list)
    gate: GateResult | None = None

    def metrics(self) -> dict[str, Any]:
        """The validation results and settings, as written into the model card."""
        return {"val_recall@20": round(self.val_recall, 4), "val_ndcg@20": round(self.val_ndcg, 4), "val_k": self.val_k,
                "best_epoch": self.best_epoch, "epochs_run": self.epochs_run, "refit": self.refit,
                "seconds": round(self.seconds, 1), "examples": self.examples, "items": len(self.vocab.items),
                "text_model": self.text_model, "config": asdict(self.config),
                "gate": self.gate.as_dict() if self.gate is not None else None}

    def card(self, version: str, meta: dict[str, Any] | None = None) -> ModelCard:
        """The model card of this result under ``version``, ``meta`` added to its metrics."""
        cfg = self.config
        return ModelCard(arch=cfg.arch, version=version, dim=cfg.dim, num_layers=cfg.layers, k=cfg.k,
                         n_items=len(self.vocab.items), n_categories=len(self.vocab.categories),
                         text_dim=self.text_dim, text_model=self.text_model, seed=cfg.seed,
                         item_norm=self.item_norm, dropout=cfg.dropout, live=cfg.live, readout=cfg.live and cfg.readout,
                         meta={"trained": True, **self.metrics(), **(meta or {})})


def vocabulary(data: TrainingData) -> Vocabulary:
    """Items with behaviour get ID vectors; categories of those items get category vectors."""
    touched = {e.target for edges in data.edges.values() for e in edges if e.kind == ITEM}
    items = sorted(touched)
    content = {i.id: i for i in data.items}
    categories = sorted({c for i in items if i in content for c in content[i].categories})
    return Vocabulary(items, categories)


def build_examples(data: TrainingData, vocab: Vocabulary, query_rows: dict[str, int], k: int,
                   progress: bool = False) -> Examples:
    """One example per first touch of an item, with the user's ``k`` newest edges before it."""
    item_rows = {i: n for n, i in enumerate(vocab.items)}
    plans = []
    for user in sorted(data.edges):
        firsts: dict[str, int] = {}
        for e in data.edges[user]:
            if e.kind == ITEM:
                firsts[e.target] = min(firsts.get(e.target, e.first_ms), e.first_ms)
        plans.append((user, sorted((t, i) for i, t in firsts.items())))
    n = sum(len(p[1]) for p in plans)
    arrays = (np.zeros((n, k), np.int64), np.zeros((n, k), np.int64), np.zeros((n, k), np.int64),
              np.zeros((n, k), np.float32), np.zeros((n, k), np.float32), np.zeros((n, k), np.float32),
              np.zeros((n, k), np.float32))
    target = np.zeros(n, np.int64)
    time_ms = np.zeros(n, np.int64)
    user_of = np.zeros(n, np.int64)
    position = np.zeros(n, np.int64)
    order: list[np.ndarray] = []
    row = 0
    with tqdm(total=n, desc="examples", unit="ex", disable=not progress, file=sys.stderr) as bar:
        for u, (user, firsts_sorted) in enumerate(plans):
            line = Timeline(data.edges[user])
            order.append(np.array([item_rows[i] for _, i in firsts_sorted], np.int64))
            for j, (t, item) in enumerate(firsts_sorted):
                fill_row(arrays, row, line.as_of((t, item, ""), k), item_rows.__getitem__, query_rows.__getitem__)
                target[row], time_ms[row], user_of[row], position[row] = item_rows[item], t, u, j
                row += 1
            bar.update(len(firsts_sorted))
    return Examples(Recent.from_numpy(*arrays), target, time_ms, user_of, position, order)


@dataclass
class Slices:
    """Items' live statistics at the start of each time slice: ``stats[s]`` counts only the
    first touches strictly before ``starts_ms[s]``, and an example at time ``t`` belongs to the
    last slice starting at or before ``t``. The items' newest buyers likewise: ``buyer_example``
    names each buyer's newest example before the slice (whose user vector stands for the buyer;
    -1: no buyer), ``buyer_age_h`` how long ago the buyer first touched the item."""

    starts_ms: np.ndarray  # [S] int64, increasing
    stats: torch.Tensor  # [S, n_items, N_STATS]
    buyer_example: torch.Tensor  # [S, n_items, BUYERS] int32
    buyer_age_h: torch.Tensor  # [S, n_items, BUYERS] float32

    def of(self, time_ms: np.ndarray) -> np.ndarray:
        """The slice of each time."""
        return np.maximum(np.searchsorted(self.starts_ms, time_ms, side="right") - 1, 0)


def time_slices(examples: Examples, n_items: int, max_slices: int, per_slice: int, buyers: bool = False) -> Slices:
    """Cut the examples' time line into at most ``max_slices`` slices of about equal size and
    compute every item's statistics as of each slice's start (every example is a first touch,
    so they are exactly the touches the live counts see)."""
    n = max(1, min(max_slices, len(examples) // max(per_slice, 1)))
    starts = np.unique(np.quantile(examples.time_ms, np.linspace(0.0, 1.0, n + 1)[:-1], method="lower")
                       .astype(np.int64))
    order = np.lexsort((examples.target, examples.time_ms))
    counts = LiveCounts(n_items)
    stats = np.zeros((len(starts), n_items, N_STATS), np.float32)
    buyer_example = np.full((len(starts), n_items, BUYERS), -1, np.int32)
    buyer_age = np.zeros((len(starts), n_items, BUYERS), np.float32)
    k = 0
    for s, start in enumerate(starts):
        while k < len(order) and examples.time_ms[order[k]] < start:
            e = order[k]
            counts.add(str(examples.user[e]), int(examples.target[e]), int(examples.time_ms[e]), tag=int(e))
            k += 1
        stats[s] = counts.item_stats(int(start))
        if buyers:
            rows, times = counts.recent_buyers()
            buyer_example[s] = counts.tags_of(rows)
            buyer_age[s] = np.where(rows >= 0, (int(start) - times) / HOUR_MS, 0.0)
    return Slices(starts, torch.from_numpy(stats), torch.from_numpy(buyer_example), torch.from_numpy(buyer_age))


def training_inputs(data: TrainingData, vocab: Vocabulary, text_model: str | None,
                    text_dim: int) -> tuple[ItemContent, torch.Tensor, dict[str, int]]:
    """The vocabulary's item content, the queries' text vectors and the query rows."""
    by_id = {i.id: i for i in data.items}
    content = item_inputs([by_id.get(i, ItemRecord(i)) for i in vocab.items],
                          {i: n for n, i in enumerate(vocab.items)}, {c: n for n, c in enumerate(vocab.categories)},
                          text_dim=text_dim, text_model=text_model)
    queries = sorted({e.target for edges in data.edges.values() for e in edges if e.kind != ITEM})
    qtext = {q.id: q for q in data.queries}
    text = np.zeros((len(queries), text_dim), np.float32)
    for n, q in enumerate(queries):
        rec = qtext.get(q)
        if rec is not None and rec.text is not None and len(rec.text) == text_dim and rec.text_model == text_model:
            text[n] = rec.text
    return content, torch.from_numpy(text), {q: n for n, q in enumerate(queries)}


class _Trainer:
    def __init__(self, data: TrainingData, cfg: TrainConfig, device: torch.device, progress: bool) -> None:
        self.cfg = cfg
        self.device = device
        self.vocab = vocabulary(data)
        if not self.vocab.items:
            raise InputError("the graph has no user-item behaviour to train on; ingest events first")
        self.text_model, self.text_dim = data.text_model, data.text_dim
        self.content, self.query_text, query_rows = training_inputs(data, self.vocab, self.text_model, self.text_dim)
        self.examples = build_examples(data, self.vocab, query_rows, cfg.k, progress)
        if len(self.examples) < 10:
            raise InputError(f"only {len(self.examples)} next-item examples: too few to train on")
        self.n_items = len(self.vocab.items)
        # Recall@20 of a 60-item shop says little: the cutoff shrinks with the catalogue (10%).
        self.val_k = min(K, max(1, self.n_items // 10))
        # Small data sets take smaller batches, so they still get enough optimiser steps.
        self.batch_size = max(32, min(cfg.batch_size, len(self.examples) // 16))
        self.content_dev = self.content.to(device)
        self.query_dev = self.query_text.to(device)
        self.slices = time_slices(self.examples, self.n_items, cfg.max_slices if cfg.live else 1, cfg.slice_examples,
                                  buyers=cfg.live and cfg.readout)
        self.examples.slice = self.slices.of(self.examples.time_ms)
        self.stats_dev = self.slices.stats.to(device) if cfg.live else None
        # Every example's user vector under the current weights (the buyers' stand-ins; row -1: none).
        self.memo = torch.zeros(1, cfg.dim, device=device)

    def new_model(self) -> InterestModel:
        cfg = self.cfg
        torch.manual_seed(cfg.seed)
        model = MODELS[cfg.arch](self.n_items, len(self.vocab.categories), self.text_dim, dim=cfg.dim,
                                 num_layers=cfg.layers, k=cfg.k, dropout=cfg.dropout, live=cfg.live,
                                 readout=cfg.readout)
        return model.to(self.device)

    @torch.no_grad()
    def snapshot(self, model: InterestModel) -> None:
        """Recompute every example's user vector (what the item readout reads for its buyers)."""
        if model.buyers is None:
            return
        was_training = model.training
        model.eval()
        ex = self.examples
        h, _ = model.items(self.content_dev)
        q = model.query_vectors(self.query_dev)
        memo = torch.zeros(len(ex) + 1, self.cfg.dim, device=self.device)
        for start in range(0, len(ex), 4096):
            part = np.arange(start, min(start + 4096, len(ex)))
            memo[start:start + len(part)] = model(h, q, ex.recent.slice(part).to(self.device))
        self.memo = memo
        model.train(was_training)

    def buyers(self, model: InterestModel, part: int) -> BuyerInputs | None:
        """The items' newest buyers as of time slice ``part`` (None: a model without the readout)."""
        if model.buyers is None:
            return None
        example = self.slices.buyer_example[part].to(self.device).long()
        return BuyerInputs(self.memo[example], self.slices.buyer_age_h[part].to(self.device), example >= 0)

    def tables(self, model: InterestModel, part: int, id_dropout: float = 0.0) -> tuple[torch.Tensor, ...]:
        """Base item vectors (what users read), query vectors, and the items' scoring vectors
        and biases as of time slice ``part``."""
        h, b = model.items(self.content_dev, id_dropout)
        stats = self.stats_dev[part] if self.stats_dev is not None else None
        h_live, b_live = model.live_items(h, b, stats, self.buyers(model, part))
        return h, model.query_vectors(self.query_dev), h_live, b_live

    def batches(self, index: np.ndarray, size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
        """``index`` in batches of one time slice each (shuffled when ``rng`` is given)."""
        out: list[np.ndarray] = []
        parts = self.examples.slice[index]
        for part in np.unique(parts):
            mine = index[parts == part]
            if rng is not None:
                mine = rng.permutation(mine)
            out.extend(np.sort(mine[k:k + size]) for k in range(0, len(mine), size))
        if rng is not None:
            out = [out[k] for k in rng.permutation(len(out))]
        return out

    def epoch(self, model: InterestModel, opt: torch.optim.Optimizer, index: np.ndarray,
              rng: np.random.Generator) -> float:
        cfg = self.cfg
        self.snapshot(model)
        model.train()
        total = 0.0
        for batch in self.batches(index, self.batch_size, rng):
            h, q, hl, bl = self.tables(model, int(self.examples.slice[batch[0]]), cfg.id_dropout)
            z = model(h, q, self.examples.recent.slice(batch).to(self.device))
            target = torch.from_numpy(self.examples.target[batch]).to(self.device)
            if self.n_items <= cfg.full_softmax_max:
                logits = model.scores(z, hl, bl).masked_fill(self.examples.seen_mask(batch, self.n_items)
                                                             .to(self.device), float("-inf"))
                loss = F.cross_entropy(logits, target)
            else:
                loss = self._sampled_loss(model, z, hl, bl, target, rng)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        return total / max(len(index), 1)

    def _sampled_loss(self, model: InterestModel, z: torch.Tensor, h: torch.Tensor, b: torch.Tensor,
                      target: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        # Uniform negatives shared by the batch; a negative equal to a row's target is masked.
        neg = torch.from_numpy(rng.choice(self.n_items, size=self.cfg.negatives, replace=False)).to(self.device)
        pos = (z * h[target]).sum(-1, keepdim=True) + b[target][:, None]
        negs = model.scores(z, h[neg], b[neg]).masked_fill(neg[None, :] == target[:, None], float("-inf"))
        logits = torch.cat([pos, negs], dim=1)
        return F.cross_entropy(logits, torch.zeros(len(z), dtype=torch.long, device=self.device))

    @torch.no_grad()
    def validate(self, model: InterestModel, index: np.ndarray) -> tuple[float, float]:
        model.eval()
        hits = ndcg = 0.0
        for batch in self.batches(index, 2048, None):
            h, q, hl, bl = self.tables(model, int(self.examples.slice[batch[0]]))
            z = model(h, q, self.examples.recent.slice(batch).to(self.device))
            scores = model.scores(z, hl, bl).masked_fill(self.examples.seen_mask(batch, self.n_items)
                                                         .to(self.device), float("-inf"))
            dh, dn = rank_metrics(scores, torch.from_numpy(self.examples.target[batch]).to(self.device), self.val_k)
            hits, ndcg = hits + dh, ndcg + dn
        return hits / max(len(index), 1), ndcg / max(len(index), 1)

    def gate(self, model: InterestModel, val_idx: np.ndarray, progress: bool) -> GateResult:
        """Replay the validation examples as moments with ``model`` (trained without them) and decide."""
        with torch.no_grad():
            moments = self._moments(model, val_idx, progress)
        return decide(moments, seed=self.cfg.seed)

    def _moments(self, model: InterestModel, val_idx: np.ndarray, progress: bool) -> Moments:
        model.eval()
        ex, cfg = self.examples, self.cfg
        order = np.lexsort((ex.target, ex.time_ms))
        scored = set(val_idx[np.linspace(0, len(val_idx) - 1, min(cfg.gate_moments, len(val_idx))).astype(int)]
                     .tolist()) if len(val_idx) else set()
        h, b = model.items(self.content_dev)
        q = model.query_vectors(self.query_dev)
        keys = sorted(scored)
        z = {}
        for start in range(0, len(keys), 2048):
            part = np.asarray(keys[start:start + 2048])
            for e, vec in zip(part, model(h, q, ex.recent.slice(part).to(self.device)).cpu().numpy(), strict=True):
                z[int(e)] = vec

        memo = self.memo[:-1].cpu().numpy() if model.buyers is not None else None  # once, not per table

        def table(stats: np.ndarray, counts: LiveCounts, now_ms: int) -> tuple[np.ndarray, np.ndarray]:
            st = torch.from_numpy(stats).to(self.device) if cfg.live else None
            buyers = None
            if memo is not None:
                rows, times = counts.recent_buyers()
                buyers = gather(memo, counts.tags_of(rows), times, now_ms).to(self.device)
            hl, bl = model.live_items(h, b, st, buyers)
            return hl.cpu().numpy(), bl.cpu().numpy()

        touches = [Touch(str(ex.user[e]), int(ex.target[e]), int(ex.time_ms[e]),
                         ex.order[ex.user[e]][:ex.position[e]].tolist() if e in scored else None, int(e))
                   for e in order]
        return replay_moments(self.n_items, touches, z.__getitem__, table, progress)

    def item_norm(self, model: InterestModel) -> float:
        with torch.no_grad():
            model.eval()
            parts = (self.tables(model, part) for part in range(len(self.slices.starts_ms)))
            norms = torch.cat([torch.cat([hl, bl[:, None] / USER_BIAS_COLUMN], dim=1).norm(dim=1)
                               for _, _, hl, bl in parts])
        # Headroom for items embedded from content later (their norms are not known yet).
        return float(norms.max()) * 1.25 if len(norms) else 10.0


# Below this many next-item examples a step is too small to share between threads: on a
# busy machine (Neo4j and the worker on the same cores) extra threads only spin and wait.
SINGLE_THREAD_BELOW = 20_000


def train(data: TrainingData, cfg: TrainConfig, *, device: torch.device | None = None, progress: bool = False,
          log: Callable[[str], None] | None = None) -> TrainResult:
    """Train ``cfg.arch`` on ``data``; returns the model of the best validation epoch (refit if asked)."""
    if cfg.arch not in MODELS:
        raise InputError(f"model must be one of {sorted(MODELS)}, got {cfg.arch!r}")
    threads = torch.get_num_threads()
    small = sum(len(v) for v in data.edges.values()) < SINGLE_THREAD_BELOW
    if small and (device is None or device.type == "cpu"):
        torch.set_num_threads(1)
    try:
        return _train(data, cfg, device=device, progress=progress, log=log)
    finally:
        torch.set_num_threads(threads)


def _train(data: TrainingData, cfg: TrainConfig, *, device: torch.device | None, progress: bool,
           log: Callable[[str], None] | None) -> TrainResult:
    started = time.perf_counter()
    device = device or torch.device("cpu")
    trainer = _Trainer(data, cfg, device, progress)
    ex = trainer.examples
    cut = np.quantile(ex.time_ms, 1 - cfg.val_fraction)
    train_idx, val_idx = np.flatnonzero(ex.time_ms < cut), np.flatnonzero(ex.time_ms >= cut)
    if len(train_idx) == 0 or len(val_idx) == 0:
        train_idx = val_idx = np.arange(len(ex))  # too little history to hold any out
    rng = np.random.default_rng(cfg.seed)
    model = trainer.new_model()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    best = (-1.0, 0.0, 0, {k: v.detach().clone() for k, v in model.state_dict().items()})
    history: list[dict[str, float]] = []
    stale = epoch = 0
    epoch_s = 0.0
    steps_per_epoch = -(-len(train_idx) // trainer.batch_size)
    with tqdm(total=cfg.max_epochs, desc=f"train {cfg.arch}", unit="epoch", disable=not progress,
              file=sys.stderr) as bar:
        for epoch in range(1, cfg.max_epochs + 1):
            t = time.perf_counter()
            loss = trainer.epoch(model, opt, train_idx, rng)
            recall, ndcg = trainer.validate(model, val_idx)
            epoch_s = time.perf_counter() - t
            history.append({"epoch": epoch, "loss": round(loss, 4), "val_recall@20": round(recall, 4)})
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", recall=f"{recall:.4f}")
            if log is not None:
                log(f"epoch {epoch}: loss {loss:.4f} val recall@20 {recall:.4f} ndcg@20 {ndcg:.4f}")
            # NDCG breaks ties: on a small catalogue Recall@20 saturates.
            if (recall, ndcg) > (best[0], best[1]):
                best = (recall, ndcg, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
                stale = 0
            else:
                stale += 1
            warm = epoch * steps_per_epoch >= cfg.min_steps
            # Stop before an epoch that would end past the budget, not after it.
            if (stale >= cfg.patience and warm) or time.perf_counter() - started + epoch_s > cfg.max_seconds:
                break
    model.load_state_dict(best[3])
    trainer.snapshot(model)
    gate = trainer.gate(model, val_idx, progress) if cfg.gate and len(val_idx) < len(ex) else None
    if gate is not None and log is not None:
        log(f"gate: {gate.reason}")
    refit = False
    all_idx = np.arange(len(ex))
    remaining = cfg.max_seconds - (time.perf_counter() - started)
    fitted_head = gate is not None and gate.head is not None
    if (cfg.refit and not fitted_head and len(val_idx) < len(ex)
            and epoch_s * best[2] * len(all_idx) / len(train_idx) < remaining):
        rng = np.random.default_rng(cfg.seed)
        model = trainer.new_model()
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        for _ in tqdm(range(best[2]), desc=f"refit {cfg.arch}", unit="epoch", disable=not progress, file=sys.stderr):
            trainer.epoch(model, opt, all_idx, rng)
        refit = True
        trainer.snapshot(model)
    model.eval()
    return TrainResult(model.cpu(), trainer.vocab, cfg, trainer.text_model, trainer.text_dim,
                       trainer.item_norm(model.to(device)), best[2], best[0], best[1], epoch, refit,
                       time.perf_counter() - started, len(ex), trainer.val_k, history, gate)
