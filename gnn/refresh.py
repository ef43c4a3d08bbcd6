"""Refresh: the embedding work that is not per event.

Users are re-embedded at ingest, by the model itself (``gnn.online``). What is left runs
here, on the Celery ``gnn`` queue (beat) or from ``interestgraph refresh``:

1. ``claim``: dirty items (new ones, changed content, new buyers), items whose live counts
   have faded since their vector was written, and users still dirty after the ingest path
   had its chance (a crash, an outage, a new model), under a lease.
2. Items: live statistics read (counters on the node; content only when not cached at its
   version), the newest buyers' user vectors (``gnn/item_buyers``: the item readout), item
   tower with live state, vectors written back.
3. Users: the per-event code path (``UserUpdater``), in batches.
4. ``refresh_similar_pending``: ``SIMILAR_TO`` for re-embedded users (its own task); an
   explicit refresh first copies the new user vectors into the vector index
   (``gnn.user_index``; beat runs that as a task of its own).

Only the buyer readout expands an item (its incoming behaviour, for the newest ``BUYERS``);
nothing else costs in proportion to a hub's degree.
Every write is guarded (a node touched meanwhile stays dirty), so workers may overlap.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from neo4j import Driver
from tqdm import tqdm

from gnn.counting import next_due_ms, stats_at
from gnn.online import UpdateReport, UserUpdater, load_items
from gnn.readout import BUYERS, BuyerInputs
from gnn.registry import STORED_EXTRA, ModelCard, active_card
from gnn.runtime import ModelRuntime
from gnn.user_index import SYNC_LIMIT, sync_item_index, sync_user_index
from interestgraph.constants import LIVE_HORIZONS_MS
from interestgraph.errors import ConfigError
from interestgraph.graph import read, run_implicit, write
from interestgraph.serve import similar_candidates
from interestgraph.settings import Settings

DEFAULT_LEASE_MS = 60_000
QUIET_MS = 200  # items: wait for a burst of catalogue updates to pause this long...
MAX_WAIT_MS = 1_500  # ...but never keep a dirty item waiting longer than this
USER_GRACE_MS = 3_000  # users: the ingest path's turn before the backlog takes them
SIMILAR_K = 10
SIMILAR_MIN_AGE_MS = 60_000  # a user's neighbours are recomputed at most this often


@dataclass
class RefreshReport:
    """What a refresh did: nodes embedded, backlog left, batches, who ran it and where the time went."""

    users: int = 0
    items: int = 0
    still_dirty: int = 0
    batches: int = 0
    seconds: float = 0.0
    model: str = ""
    device: str = ""
    owner: str = ""
    read_s: float = 0.0
    compute_s: float = 0.0
    write_s: float = 0.0
    similar_s: float = 0.0
    similar_users: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Every field, as the CLI and the workers report it."""
        return asdict(self)

    def add(self, update: UpdateReport) -> None:
        """Add an update's read, compute and write times."""
        self.read_s += update.read_s
        self.compute_s += update.compute_s
        self.write_s += update.write_s


class RuntimeCache:
    """The active model's runtime, loaded once per process and swapped when a new version is activated."""

    def __init__(self, settings: Settings, card: ModelCard | None = None) -> None:
        self.settings = settings
        self.pinned = card
        self.current: ModelRuntime | None = None

    def __call__(self) -> ModelRuntime:
        """The active model's runtime, reloaded when the active version (or the pinned card) changed."""
        card = self.pinned or active_card(self.settings)
        if self.current is None or self.current.card != card:
            self.current = ModelRuntime.from_card(card, self.settings.device)
        return self.current


def default_owner() -> str:
    """A lease owner unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(driver: Driver, settings: Settings, owner: str, limit: int, lease_ms: int = DEFAULT_LEASE_MS,
          quiet_ms: int = QUIET_MS, max_wait_ms: int = MAX_WAIT_MS,
          user_grace_ms: int = USER_GRACE_MS, prefix: str = "") -> tuple[list[str], list[str]]:
    """Lease up to ``limit`` dirty users and ``limit`` dirty items, oldest first (with a
    ``prefix``, only those whose id starts with it)."""
    recs = write(driver, settings, "gnn/claim_dirty", now_ms=int(time.time() * 1000), lease_ms=lease_ms,
                 owner=owner, limit=limit, quiet_ms=quiet_ms, max_wait_ms=max_wait_ms, user_grace_ms=user_grace_ms,
                 prefix=prefix)
    users = sorted(r["id"] for r in recs if r["label"] == "User")
    items = sorted(r["id"] for r in recs if r["label"] == "Item")
    return users, items


def release(driver: Driver, settings: Settings, owner: str, users: Sequence[str], items: Sequence[str]) -> None:
    """Give back ``owner``'s leases on these nodes so another worker can retry them at once."""
    write(driver, settings, "gnn/release_leases", owner=owner, users=list(users), items=list(items))


def embed_items(driver: Driver, settings: Settings, runtime: ModelRuntime, ids: Sequence[str],
                owner: str | None = None, now_ms: int | None = None, schedule: bool = True) -> UpdateReport:
    """Compute items' scoring vectors from their content and live statistics as of ``now_ms``
    (default: now; a replay passes its stream time) and write them back; with ``schedule``, each
    item is due again when its counts have faded (a replay, on another clock, schedules nothing)."""
    report = UpdateReport(users=0)
    if not ids:
        return report
    t0 = time.perf_counter()
    read_ms = int(time.time() * 1000)
    # Counters for all, content only for items whose base vector is not cached at its version.
    rows = [dict(r) for r in read(driver, settings, "gnn/item_live", ids=list(ids))]
    load_items(driver, settings, runtime, runtime.items.stale((r["id"], r["seq"]) for r in rows))
    rows = [r for r in rows if r["id"] in runtime.items.rows]  # gone between the two reads
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    buyers = item_buyers(driver, settings, runtime, [r["id"] for r in rows], now_ms)
    t1 = time.perf_counter()
    at = [runtime.items.row(r["id"]) for r in rows]
    stats = stats_at([r["live_decayed"] for r in rows], [r["live_ms"] for r in rows],
                     [r["live_total"] for r in rows], [r["live_first_ms"] for r in rows], now_ms)
    h, b = runtime.live_items(runtime.items.vectors[at], runtime.items.bias[at], stats, buyers)
    stored = runtime.stored_items(h, b)
    due = next_due_ms(stats, now_ms) if schedule else [None] * len(rows)
    t2 = time.perf_counter()
    out = [{"id": r["id"], "vec": v.tolist(), "seq": r["dirty_seq"], "live_seq": r["live_seq"], "due_ms": d,
            "read_ms": read_ms}
           for r, v, d in zip(rows, stored, due, strict=True)]
    report.written = len(write(driver, settings, "gnn/write_item_vectors", rows=out, model=runtime.card.tag))
    if owner is not None:
        release(driver, settings, owner, [], ids)
    report.items_loaded = len(rows)
    report.read_s, report.compute_s, report.write_s = t1 - t0, t2 - t1, time.perf_counter() - t2
    return report


def item_buyers(driver: Driver, settings: Settings, runtime: ModelRuntime, ids: Sequence[str],
                now_ms: int) -> BuyerInputs | None:
    """The items' newest buyers with their fresh user vectors, as the readout reads them
    (None: the model has no readout). A vector of another size (another model's) is not read."""
    if runtime.model.buyers is None or not ids:
        return None
    dim = runtime.card.dim
    found = {r["id"]: r["buyers"] for r in read(driver, settings, "gnn/item_buyers", ids=list(ids), m=BUYERS)}
    vectors = np.zeros((len(ids), BUYERS, dim), np.float32)
    times = np.zeros((len(ids), BUYERS), np.int64)
    mask = np.zeros((len(ids), BUYERS), bool)
    for n, item in enumerate(ids):
        slot = 0
        for buyer in found.get(item, []):
            v = buyer["v"]
            if len(v) == dim + STORED_EXTRA:
                vectors[n, slot], times[n, slot], mask[n, slot] = v[:dim], buyer["t"], True
                slot += 1
    return BuyerInputs.of(vectors, times, mask, now_ms)


def backfill_item_stats(driver: Driver, settings: Settings, prefix: str = "", batch: int = 1000) -> int:
    """Give items without live counters (ingested before ingest kept them) the counters their edges
    imply; returns how many items got them (0 once every item has them)."""
    return int(run_implicit(driver, settings, "gnn/backfill_item_stats", horizons_ms=list(LIVE_HORIZONS_MS),
                            prefix=prefix, batch=batch)[0]["items"])


def refresh_similar(driver: Driver, settings: Settings, user_ids: list[str], k: int = SIMILAR_K) -> None:
    """Replace these users' SIMILAR_TO edges by their ``k`` nearest users (the vector index's
    candidates, ranked by the fresh vectors)."""
    if user_ids:
        # Searched in a read, written in a short write: the search holds no user's lock.
        found = read(driver, settings, "gnn/nearest_users", ids=user_ids, k=k, candidates=similar_candidates(k))
        rows = sorted(({"id": r["id"], "similar": r["similar"]} for r in found), key=lambda r: r["id"])
        write(driver, settings, "gnn/write_similar_users", rows=rows)


def refresh_similar_pending(driver: Driver, settings: Settings, limit: int = 2_000, batch: int = 100,
                            min_age_ms: int = SIMILAR_MIN_AGE_MS, prefix: str = "",
                            max_seconds: float | None = None) -> int:
    """Bring SIMILAR_TO up to date for users re-embedded since it was computed; returns how many.

    Kept off the embedding hot path (it costs more than the embedding itself: one vector
    search per user), at most every ``min_age_ms`` per user, in small transactions so the
    locks it takes on users never hold up ingest for long. With ``max_seconds``, no batch
    starts after that long but the first (the rest wait, oldest first, for the next run): a budget of time
    rather than of users, because a search gets slower as the index and the graph grow. With a
    ``prefix``, only users whose id starts with it.
    """
    started = time.perf_counter()
    ids = [r["id"] for r in read(driver, settings, "gnn/pending_similar_users", limit=limit,
                                 now_ms=int(time.time() * 1000), min_age_ms=min_age_ms, prefix=prefix)]
    done = 0
    for start in range(0, len(ids), batch):
        if done and max_seconds is not None and time.perf_counter() - started > max_seconds:
            break  # the first batch always runs, so every run makes progress
        chunk = ids[start:start + batch]
        refresh_similar(driver, settings, chunk)
        done += len(chunk)
    return done


@dataclass
class _Claims:
    """Where a refresh's batches come from: the named nodes, else leases on the dirty backlog."""

    owner: str
    batch_size: int
    lease_ms: int
    max_batches: int | None
    debounce: bool
    prefix: str

    def batches(self, driver: Driver, settings: Settings, users: Sequence[str], items: Sequence[str],
                report: RefreshReport) -> Iterator[tuple[list[str], list[str], str | None]]:
        """``(users, items, lease)`` per batch; named nodes carry no lease."""
        size = self.batch_size
        if users or items:
            u, i = sorted(set(users)), sorted(set(items))
            for k in range(0, max(len(u), len(i)), size):
                yield u[k:k + size], i[k:k + size], None
            return
        timing = (QUIET_MS, MAX_WAIT_MS, USER_GRACE_MS) if self.debounce else (0, 0, 0)
        while self.max_batches is None or report.batches < self.max_batches:
            got_u, got_i = claim(driver, settings, self.owner, size, self.lease_ms, *timing, prefix=self.prefix)
            if not got_u and not got_i:
                return
            yield got_u, got_i, self.owner


def refresh(driver: Driver, settings: Settings, *, runtime: RuntimeCache | None = None, all_nodes: bool = False,
            users: Sequence[str] = (), items: Sequence[str] = (), batch_size: int = 1024,
            max_batches: int | None = None, lease_ms: int = DEFAULT_LEASE_MS, owner: str | None = None,
            debounce: bool = False, similar: bool = True, progress: bool = False, parallel: int = 2,
            prefix: str = "") -> RefreshReport:
    """Re-embed dirty items and backlog users until none is left; with ``all_nodes``, every one;
    with ``users``/``items``, exactly those. ``debounce`` (the scheduled refresh) leaves users to
    the ingest path for a grace period and waits for item bursts to pause; ``similar`` updates
    SIMILAR_TO. ``parallel`` batches are in flight at once (Neo4j runs a statement on one core,
    so one batch's read overlaps another's write). ``prefix`` limits all of it to one id namespace."""
    if batch_size <= 0:
        raise ConfigError(f"batch_size must be > 0, got {batch_size}")
    started = time.perf_counter()
    runtime = runtime or RuntimeCache(settings)
    rt = runtime()
    owner = owner or default_owner()
    if all_nodes:
        backfill_item_stats(driver, settings, prefix)
        write(driver, settings, "gnn/mark_all_dirty", now_ms=int(time.time() * 1000), prefix=prefix)
    report = RefreshReport(model=rt.card.tag, device=str(rt.device), owner=owner)
    updater = UserUpdater(driver, settings, runtime)

    def one(batch_users: list[str], batch_items: list[str], lease: str | None) -> tuple[UpdateReport, UpdateReport]:
        try:
            # Items first: users read their (possibly new) vectors from the same cache.
            return embed_items(driver, settings, runtime(), batch_items, lease), updater.update(batch_users, lease)
        except BaseException:
            if lease is not None:
                release(driver, settings, lease, batch_users, batch_items)
            raise

    def settle(job: Future[tuple[UpdateReport, UpdateReport]], n_users: int, n_items: int) -> None:
        done_items, done_users = job.result()
        report.add(done_items)
        report.add(done_users)
        report.still_dirty += (n_users - done_users.current) + (n_items - done_items.written)
        report.users += n_users
        report.items += n_items
        bar.update(n_users + n_items)

    in_flight: deque[tuple[Future[tuple[UpdateReport, UpdateReport]], int, int]] = deque()
    with tqdm(desc="refresh", unit="node", disable=not progress, file=sys.stderr) as bar, \
            ThreadPoolExecutor(max_workers=max(parallel, 1), thread_name_prefix="refresh") as pool:
        claims = _Claims(owner, batch_size, lease_ms, max_batches, debounce, prefix)
        for batch_users, batch_items, lease in claims.batches(driver, settings, users, items, report):
            report.batches += 1
            in_flight.append((pool.submit(one, batch_users, batch_items, lease), len(batch_users), len(batch_items)))
            while len(in_flight) >= max(parallel, 1):
                settle(*in_flight.popleft())
        while in_flight:
            settle(*in_flight.popleft())
    if similar:
        t = time.perf_counter()
        # The vector index first (every user just embedded, however many): SIMILAR_TO takes its
        # candidates from it.
        sync_user_index(driver, settings, prefix=prefix, limit=max(report.users, SYNC_LIMIT))
        sync_item_index(driver, settings, prefix=prefix)
        report.similar_users = refresh_similar_pending(driver, settings, limit=max(report.users, 1), min_age_ms=0,
                                                       prefix=prefix)
        report.similar_s = time.perf_counter() - t
    report.seconds = time.perf_counter() - started
    report.read_s, report.compute_s, report.write_s, report.similar_s, report.seconds = (
        round(x, 3) for x in (report.read_s, report.compute_s, report.write_s, report.similar_s, report.seconds))
    return report
