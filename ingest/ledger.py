"""The exactly-once ledger (``:SeenEvent``): kept for a retention window, pruned on a schedule.

An event id older than the window is no longer recognised as a duplicate, so the window
must be longer than any replay a producer may send (``INTERESTGRAPH_LEDGER_DAYS``,
default 30 days). Celery beat prunes it hourly; ``interestgraph ledger prune`` does it now.
"""

from __future__ import annotations

import time

from neo4j import Driver

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
