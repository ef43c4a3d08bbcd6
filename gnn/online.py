"""Per-event embedding: users recomputed by the model itself from their newest edges.

After each ingest commit the touched users are read (their ``k`` newest edges, one
statement), embedded with the runtime's cached item and query vectors, and written back
(one statement), each only if no later commit touched the user meanwhile. The same code
serves the refresh backlog (users a crash left dirty) and bulk re-embedding.

A user whose update is lost (a crash between the commit and the write) keeps its dirty
mark, and the scheduled refresh picks it up: nothing is lost, only delayed. A user whose
stored behaviour the model cannot read (a hand-edited relationship) is found by halving the
batch that failed and is taken out of the backlog with the reason (``embed_error``), so one
bad node never stops the others' vectors.

The vector written is the fresh one (``embedding_fresh``, in no index); ``gnn.user_index``
copies it into the indexed ``embedding`` in bulk, seconds later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from neo4j import Driver

from gnn.behaviour import Edge
from gnn.export import edge_of, item_record
from gnn.runtime import ModelRuntime, QueryRecord
from interestgraph.errors import GraphError, TransientGraphError
from interestgraph.graph import read, write
from interestgraph.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class UpdateReport:
    """What an update did: users, vectors written (and of them, current) and time spent reading, computing, writing."""

    users: int = 0
    written: int = 0
    current: int = 0  # written and including every event committed so far
    items_loaded: int = 0
    read_s: float = 0.0
    compute_s: float = 0.0
    write_s: float = 0.0

    def add(self, other: UpdateReport) -> None:
        """Add ``other``'s counts and times to these."""
        for k, v in asdict(other).items():
            setattr(self, k, getattr(self, k) + v)

    def as_dict(self) -> dict[str, Any]:
        """The report as a dict, times rounded to 0.1 ms."""
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def load_items(driver: Driver, settings: Settings, runtime: ModelRuntime, ids: Sequence[str]) -> None:
    """Read ``ids``' content and cache their vectors in ``runtime``."""
    if ids:
        rows = read(driver, settings, "gnn/item_content", ids=list(ids))
        runtime.remember_items([item_record(dict(r)) for r in rows])


def load_queries(driver: Driver, settings: Settings, runtime: ModelRuntime, ids: Sequence[str]) -> None:
    """Read queries ``ids`` from the graph into the runtime, so their text vectors are known."""
    if not ids:
        return
    rows = read(driver, settings, "gnn/query_content", ids=list(ids))
    runtime.remember_queries([QueryRecord(r["id"], int(r["seq"]), r["text"], r["text_model"]) for r in rows])


class UserUpdater:
    """Recompute and write back users' vectors; ``runtime`` is called for the current model."""

    def __init__(self, driver: Driver, settings: Settings, runtime: Callable[[], ModelRuntime]) -> None:
        self.driver = driver
        self.settings = settings
        self.runtime = runtime

    def edges(self, rt: ModelRuntime, rows: Sequence[Any]) -> list[list[Edge]]:
        """Edges as read, after making sure every target's vector is cached and current in ``rt``."""
        items: list[tuple[str, int]] = []
        queries: list[tuple[str, int]] = []
        for r in rows:
            for e in r["edges"]:
                (queries if e[0] == "SEARCHED" else items).append((e[1], int(e[6])))
        load_items(self.driver, self.settings, rt, rt.items.stale(items))
        load_queries(self.driver, self.settings, rt, rt.queries.stale(queries))
        return [[edge_of(e) for e in r["edges"]] for r in rows]

    def __call__(self, users: list[str]) -> int:
        """The ingest writer's ``after_commit`` hook: how many users were re-embedded."""
        return self.update(users).written

    def update(self, users: Sequence[str], owner: str | None = None) -> UpdateReport:
        """Embed ``users`` now; ``owner`` then releases a refresh's leases on them.

        A batch the graph's data makes fail (not an outage, which is raised) is halved until
        the users that fail alone are found; those are quarantined (see the module docstring).
        """
        try:
            return self._update(users, owner)
        except TransientGraphError:
            raise
        except (GraphError, TypeError, ValueError) as e:
            unique = sorted(set(users))
            if len(unique) > 1:
                report = UpdateReport()
                for half in (unique[:len(unique) // 2], unique[len(unique) // 2:]):
                    report.add(self.update(half, owner))
                return report
            error = f"{type(e).__name__}: {e}"[:500]
            log.warning("a user's vector cannot be computed; taken out of the backlog",
                        extra={"user": unique[0] if unique else None, "error": error})
            write(self.driver, self.settings, "gnn/quarantine_users", ids=unique, error=error)
            return UpdateReport(users=len(unique))

    def _update(self, users: Sequence[str], owner: str | None) -> UpdateReport:
        report = UpdateReport(users=len(users))
        if not users:
            return report
        rt = self.runtime()
        t0 = time.perf_counter()
        read_ms = int(time.time() * 1000)
        rows = read(self.driver, self.settings, "gnn/recent_behaviour", ids=sorted(set(users)), k=rt.card.k)
        before = len(rt.items)
        edge_lists = self.edges(rt, rows)
        report.items_loaded = len(rt.items) - before
        t1 = time.perf_counter()
        stored = rt.stored_users(rt.user_vectors(edge_lists))
        t2 = time.perf_counter()
        k = rt.card.k
        out = [{"id": r["id"], "vec": vec.tolist(), "seq": r["seq"], "src_ms": r["accepted_ms"], "read_ms": read_ms,
                "cutoff_ms": kth_newest_ms(r["edges"], k)}
               for r, vec in zip(rows, stored, strict=True)]
        written = write(self.driver, self.settings, "gnn/write_user_vectors", rows=out, model=rt.card.tag, k=k)
        report.written = len(written)
        report.current = sum(1 for r in written if r["current"])
        if owner is not None:
            write(self.driver, self.settings, "gnn/release_leases", owner=owner, users=list(users), items=[])
        report.read_s, report.compute_s, report.write_s = t1 - t0, t2 - t1, time.perf_counter() - t2
        return report


def kth_newest_ms(edges: Sequence[Sequence[Any]], k: int) -> int | None:
    """The last touch of the ``k``-th newest of ``gnn/recent_behaviour``'s edges (None: fewer than
    ``k``): the cutoff a later read may start from, since it can only have risen since."""
    return min(int(e[3]) for e in edges) if len(edges) >= k else None


class UpdateBehind:
    """The per-event update on its own thread, so ingest never waits for it.

    Commits hand their users over (the writer's ``after_commit`` hook); the thread embeds
    whatever has accumulated, the users of several commits at once when ingest is faster
    than embedding (each user once, from its newest state). ``flush`` waits until every
    user handed over so far is written. A failed update is logged and left to the refresh
    backlog: the users keep their dirty mark.
    """

    def __init__(self, updater: UserUpdater, max_users: int = 8192) -> None:
        self.updater = updater
        self.max_users = max_users
        self.report = UpdateReport()
        self._pending: set[str] = set()
        self._handed = self._done = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="per-event-embedding", daemon=True)
        self._thread.start()

    def __call__(self, users: list[str]) -> int:
        """Hand over a commit's users to the thread; returns how many (it does not wait)."""
        with self._cond:
            self._pending.update(users)
            self._handed += 1
            self._cond.notify_all()
        return len(users)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending and self._closed:
                    return
                handed = self._handed
                take = sorted(self._pending)[:self.max_users]
                self._pending.difference_update(take)
            try:
                done = self.updater.update(take)
                self.report.add(done)
                log.info("per-event embedding", extra={
                    "users": done.users, "written": done.written, "current": done.current,
                    "read_s": round(done.read_s, 3), "compute_s": round(done.compute_s, 3),
                    "write_s": round(done.write_s, 3)})
            except Exception as e:  # noqa: BLE001 - the users stay dirty for the refresh backlog
                log.warning("per-event embedding failed; the refresh backlog will retry",
                            extra={"users": len(take), "error": f"{type(e).__name__}: {e}"})
            with self._cond:
                if not self._pending:
                    self._done = handed
                self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the users of every commit so far are embedded; False on timeout."""
        with self._cond:
            target = self._handed
            return self._cond.wait_for(lambda: self._done >= target and not self._pending, timeout)

    def close(self) -> None:
        """Stop the thread once what was handed over is done, and wait for it."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()
