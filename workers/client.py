"""The callers' side of the Celery workers: send a task and wait for its report, ping them,
and the freshness status that includes which workers answer.

Entry points (the CLI) call these; nothing here runs inside a worker.
"""

from __future__ import annotations

import time
from typing import Any

from neo4j import Driver

from interestgraph.errors import LocalServiceError
from interestgraph.settings import Settings

START_HINT = "(`make worker`, or `celery -A workers worker -Q ingest,nlp,gnn`)"


def refresh(all_nodes: bool = False, timeout: float = 600.0) -> dict[str, Any]:
    """Re-embed dirty (or all) users and items on a ``gnn`` worker and wait for its report.

    The report gains ``via``, ``task_id`` and ``wall_s`` (seconds from sending to the reply).
    """
    from celery.exceptions import TimeoutError as CeleryTimeout

    from workers.tasks import refresh as refresh_task

    started = time.monotonic()
    result = refresh_task.apply_async(kwargs={"all_nodes": all_nodes, "debounce": False})
    try:
        out: dict[str, Any] = result.get(timeout=timeout)
    except CeleryTimeout:
        raise LocalServiceError(
            f"no gnn worker finished the refresh within {timeout:.0f}s; is a worker running? {START_HINT}"
        ) from None
    out["via"] = "celery"
    out["task_id"] = result.id
    out["wall_s"] = round(time.monotonic() - started, 3)
    return out


def wait_for_worker(timeout: float = 60.0) -> str:
    """Ping a worker on the ``gnn`` queue until one answers (its reply) or ``timeout`` seconds pass."""
    from workers.tasks import ping

    deadline = time.monotonic() + timeout
    while True:
        try:
            reply: str = ping.apply_async(expires=5).get(timeout=min(5.0, max(0.5, deadline - time.monotonic())))
            return reply
        except Exception as e:  # noqa: BLE001 - broker down or no worker yet: keep polling
            if time.monotonic() >= deadline:
                raise LocalServiceError(f"no worker answered on the gnn queue within {timeout:.0f}s "
                                        f"({type(e).__name__}); see $INTERESTGRAPH_HOME/logs/worker.log") from None


def status(driver: Driver, settings: Settings, minutes: int = 5, prefix: str = "") -> dict[str, Any]:
    """Freshness now: the dirty backlog, refresh rate and lag percentiles over the last
    ``minutes`` (of the ids starting with ``prefix``; all for ""), the vector index's lag, the
    active model with what recommend ranks by and the gate's decision, and the workers that
    answer a ping (or the broker's error)."""
    from gnn.registry import active_card
    from interestgraph.graph import read
    from workers.celery_app import app

    row = dict(read(driver, settings, "analyst/refresh_status", minutes=minutes, prefix=prefix)[0])
    try:
        replies = app.control.ping(timeout=1.0)
    except Exception as e:  # noqa: BLE001 - the broker being down is a status, not a crash
        replies = [{"error": f"{type(e).__name__}: {e}"}]
    card = active_card(settings)
    return {**row, "window_minutes": minutes, "active_model": card.tag, "ranking": card.ranking,
            "gate": card.meta.get("decision"),
            "workers": [name for reply in replies for name in reply if name != "error"],
            **({"broker_error": replies[0]["error"]} if replies and "error" in replies[0] else {})}
