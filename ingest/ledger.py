"""The exactly-once ledger (``:SeenEvent``): kept for a retention window, pruned on a schedule.

An event id older than the window is no longer recognised as a duplicate, so the window
must be longer than any replay a producer may send (``INTERESTGRAPH_LEDGER_DAYS``,
default 30 days). Celery beat prunes it hourly; ``interestgraph ledger prune`` does it now.

The window is counted from the events' own time too (:class:`ReplayWindow`): an event dated
before it may be one whose id was pruned already, so it is refused unless the run is a
backfill. A backfill (``--backfill``, ``dataset load``) is history loaded on purpose: its ids
are kept for good (``kept``), so loading the same history again is a no-op at any time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from neo4j import Driver

from interestgraph.constants import DAY_MS
from interestgraph.errors import InputError
from interestgraph.graph import run_implicit
from interestgraph.settings import Settings

DEFAULT_RETENTION_DAYS = 30.0
# Less than a day is never what was meant: days=0 wipes the whole ledger.
MIN_RETENTION_DAYS = 1.0


def prune(driver: Driver, settings: Settings, days: float = DEFAULT_RETENTION_DAYS, prefix: str = "") -> int:
    """Delete ledger entries recorded more than ``days`` ago; returns the cut-off (epoch ms).

    With a ``prefix``, only entries whose event id starts with it (one namespace, e.g. a
    test's); the default prunes the whole ledger.
    """
    if not days >= MIN_RETENTION_DAYS:  # also refuses NaN
        raise InputError(f"the ledger keeps at least {MIN_RETENTION_DAYS:g} day of event ids (pruning less would "
                         f"let a replay count events twice), got days={days}")
    before_ms = int((time.time() - days * 86400) * 1000)
    run_implicit(driver, settings, "ingest/prune_seen_events", before_ms=before_ms, prefix=prefix)
    return before_ms


@dataclass(frozen=True)
class ReplayWindow:
    """Events dated more than ``days`` before now are refused: the ledger may have forgotten
    their ids (it prunes entries ``days`` after they were recorded), so a replay of them would
    count twice. Backfills load history on purpose and pass no window."""

    days: float

    def refusal(self, ts_ms: int, now_ms: int | None = None) -> str | None:
        """Why an event dated ``ts_ms`` is refused at ``now_ms`` (default now), or None when it is in the window."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        if ts_ms >= now_ms - self.days * DAY_MS:
            return None
        return (f"ts is more than {self.days:g} days old, before the replay window (INTERESTGRAPH_LEDGER_DAYS): "
                "its id may have left the exactly-once ledger, so it could count twice; load history on purpose "
                "with --backfill")
