"""Refresh: claim dirty nodes under a lease, pull, embed, write back, refresh SIMILAR_TO.

Step by step (each a small function, ``refresh`` calls them in order):

1. ``claim``: up to ``batch_size`` dirty users and items, oldest first, leased to us.
2. ``extract``: their sampled neighbourhoods, in one read transaction.
3. ``embed``: the active GIN/GCN on the GPU when there is one, else the CPU.
4. ``write_back``: vectors, model tag and time; the dirty mark is cleared only if the
   node was not touched again meanwhile; the lease is released.
5. ``refresh_similar``: top-k ``SIMILAR_TO`` for the re-embedded users.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from neo4j import Driver
from tqdm import tqdm

from gnn.extract import DEFAULT_FANOUT, NodeKey, Subgraph, extract
from gnn.models import InterestEncoder
from gnn.registry import ModelCard, active_card, build
from interestgraph.device import pick_device
from interestgraph.errors import ConfigError
from interestgraph.graph import read, write
from interestgraph.settings import Settings

DEFAULT_LEASE_MS = 60_000
QUIET_MS = 200  # debounce: wait for a burst to pause this long...
MAX_WAIT_MS = 1_500  # ...but never keep a dirty node waiting longer than this
SIMILAR_K = 10


@dataclass
class Claimed:
    users: dict[str, int] = field(default_factory=dict)  # id -> dirty_seq at claim time
    items: dict[str, int] = field(default_factory=dict)
    accepted: dict[NodeKey, int | None] = field(default_factory=dict)  # newest event it includes

    def __len__(self) -> int:
        return len(self.users) + len(self.items)


@dataclass
class RefreshReport:
    users: int = 0
    items: int = 0
    still_dirty: int = 0
    batches: int = 0
    seconds: float = 0.0
    model: str = ""
    device: str = ""
    owner: str = ""
    pull_s: float = 0.0
    compute_s: float = 0.0
    write_s: float = 0.0
    similar_s: float = 0.0
    similar_users: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Embedder:
    """The active model on its device, loaded once per process and reused."""

    def __init__(self, settings: Settings, card: ModelCard | None = None,
                 model: InterestEncoder | None = None) -> None:
        self.card = card or active_card(settings)
        self.device = pick_device(settings.device)
        self.model: InterestEncoder = (model if model is not None else build(self.card)).eval().to(self.device)

    @torch.inference_mode()
    def __call__(self, sub: Subgraph) -> torch.Tensor:
        """Embeddings of ``sub``'s seeds, on the CPU, in seed order."""
        if sub.x.shape[0] == 0:
            return torch.empty((0, self.card.out_channels))
        out = self.model(sub.x.to(self.device), sub.edge_index.to(self.device), sub.edge_attr.to(self.device))
        return out[sub.seed_index.to(self.device)].float().cpu()


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(driver: Driver, settings: Settings, owner: str, limit: int, lease_ms: int,
          quiet_ms: int = QUIET_MS, max_wait_ms: int = MAX_WAIT_MS) -> Claimed:
    """Lease up to ``limit`` dirty users and ``limit`` dirty items, oldest first (debounced)."""
    recs = write(driver, settings, "gnn/claim_dirty", now_ms=int(time.time() * 1000), lease_ms=lease_ms,
                 owner=owner, limit=limit, quiet_ms=quiet_ms, max_wait_ms=max_wait_ms)
    return _claimed(recs)


def claim_named(driver: Driver, settings: Settings, owner: str, users: Sequence[str], items: Sequence[str],
                lease_ms: int) -> Claimed:
    """Lease the named users and items (dirty or not) for an immediate refresh."""
    recs = write(driver, settings, "gnn/claim_nodes", users=list(users), items=list(items),
                 now_ms=int(time.time() * 1000), lease_ms=lease_ms, owner=owner)
    return _claimed(recs)


def _claimed(recs: Sequence[Any]) -> Claimed:
    got = Claimed()
    for rec in recs:
        target = got.users if rec["label"] == "User" else got.items
        target[rec["id"]] = rec["dirty_seq"] or 0
        got.accepted[(rec["label"], rec["id"])] = rec["accepted_ms"]
    return got


def write_back(driver: Driver, settings: Settings, owner: str, model_tag: str,
               claimed: Claimed, keys: list[NodeKey], vectors: torch.Tensor) -> int:
    """Write vectors; returns how many nodes stay dirty because they changed meanwhile."""
    users, items = [], []
    for (label, node_id), vec in zip(keys, vectors.tolist(), strict=True):
        if label == "User":
            users.append({"id": node_id, "embedding": vec, "dirty_seq": claimed.users[node_id],
                          "accepted_ms": claimed.accepted.get((label, node_id))})
        else:
            items.append({"id": node_id, "embedding": vec, "dirty_seq": claimed.items[node_id],
                          "accepted_ms": claimed.accepted.get((label, node_id))})
    recs = write(driver, settings, "gnn/write_embeddings", users=users, items=items, model=model_tag, owner=owner)
    return sum(1 for r in recs if not r["cleared"])


def release(driver: Driver, settings: Settings, owner: str, claimed: Claimed) -> None:
    write(driver, settings, "gnn/release_leases", owner=owner, users=list(claimed.users), items=list(claimed.items))


def refresh_similar(driver: Driver, settings: Settings, user_ids: list[str], k: int = SIMILAR_K) -> None:
    if user_ids:
        write(driver, settings, "gnn/refresh_similar_users", ids=user_ids, k=k)


def refresh_similar_pending(driver: Driver, settings: Settings, limit: int = 2_000, batch: int = 500) -> int:
    """Bring SIMILAR_TO up to date for users re-embedded since it was computed.

    Kept off the embedding hot path (it costs more than the embedding itself: one vector
    search per user), so vectors stay fresh and similarity follows a few seconds later.
    """
    ids = [r["id"] for r in read(driver, settings, "gnn/pending_similar_users", limit=limit)]
    for start in range(0, len(ids), batch):
        refresh_similar(driver, settings, ids[start:start + batch])
    return len(ids)


def refresh_batch(driver: Driver, settings: Settings, embedder: Embedder, owner: str,
                  claimed: Claimed, fanout: tuple[int, ...] = DEFAULT_FANOUT,
                  report: RefreshReport | None = None) -> int:
    """Embed one claimed batch; returns the count left dirty. Leases are released on failure."""
    report = report or RefreshReport()
    try:
        t0 = time.perf_counter()
        sub = extract(driver, settings, sorted(claimed.users), sorted(claimed.items),
                      fanout=fanout[: embedder.card.num_layers])
        t1 = time.perf_counter()
        vectors = embedder(sub)
        t2 = time.perf_counter()
        still_dirty = write_back(driver, settings, owner, embedder.card.tag, claimed, sub.seeds, vectors)
    except BaseException:
        release(driver, settings, owner, claimed)
        raise
    report.pull_s += t1 - t0
    report.compute_s += t2 - t1
    report.write_s += time.perf_counter() - t2
    return still_dirty


def refresh(driver: Driver, settings: Settings, *, embedder: Embedder | None = None, all_nodes: bool = False,
            users: Sequence[str] = (), items: Sequence[str] = (), batch_size: int = 1024,
            max_batches: int | None = None, lease_ms: int = DEFAULT_LEASE_MS, owner: str | None = None,
            debounce: bool = False, similar: bool = True, progress: bool = False) -> RefreshReport:
    """Re-embed dirty users and items until none is left; with ``all_nodes``, every one of
    them; with ``users``/``items``, exactly those (dirty or not). ``debounce`` (what the
    scheduled refresh uses) skips nodes still in a burst of events; ``similar`` brings
    SIMILAR_TO up to date afterwards (the scheduled refresh leaves that to its own task)."""
    if batch_size <= 0:
        raise ConfigError(f"batch_size must be > 0, got {batch_size}")
    started = time.perf_counter()
    embedder = embedder or Embedder(settings)
    owner = owner or default_owner()
    if all_nodes:
        write(driver, settings, "gnn/mark_all_dirty", now_ms=int(time.time() * 1000))
    report = RefreshReport(model=embedder.card.tag, device=str(embedder.device), owner=owner)

    def dirty_claims() -> Iterator[Claimed]:
        while max_batches is None or report.batches < max_batches:
            claimed = claim(driver, settings, owner, batch_size, lease_ms,
                            *((QUIET_MS, MAX_WAIT_MS) if debounce else (0, 0)))
            if not claimed:
                return
            yield claimed

    claims: Iterator[Claimed]
    if users or items:
        u, i = sorted(set(users)), sorted(set(items))
        claims = (claim_named(driver, settings, owner, u[k:k + batch_size], i[k:k + batch_size], lease_ms)
                  for k in range(0, max(len(u), len(i)), batch_size))
    else:
        claims = dirty_claims()
    with tqdm(desc="refresh", unit="node", disable=not progress, file=sys.stderr) as bar:
        for claimed in claims:
            if not claimed:
                continue
            report.still_dirty += refresh_batch(driver, settings, embedder, owner, claimed, report=report)
            report.users += len(claimed.users)
            report.items += len(claimed.items)
            report.batches += 1
            bar.update(len(claimed))
    if similar:
        t = time.perf_counter()
        report.similar_users = refresh_similar_pending(driver, settings, limit=max(report.users, 1))
        report.similar_s = time.perf_counter() - t
    report.seconds = round(time.perf_counter() - started, 3)
    report.pull_s, report.compute_s, report.write_s, report.similar_s = (
        round(x, 3) for x in (report.pull_s, report.compute_s, report.write_s, report.similar_s))
    return report
