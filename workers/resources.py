"""Per-process resources: one Neo4j driver and one loaded model per worker process.

A driver cannot be shared across processes, so it is opened in ``worker_process_init``
(after the prefork) and closed at shutdown. The model is loaded on first use and swapped
when the registry's active version changes.
"""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import worker_process_init, worker_process_shutdown
from neo4j import Driver

from gnn.refresh import Embedder
from gnn.registry import active_card
from interestgraph.graph import open_driver
from interestgraph.settings import Settings

log = logging.getLogger(__name__)

_state: dict[str, Any] = {}


def settings() -> Settings:
    if "settings" not in _state:
        _state["settings"] = Settings.from_env()
    return _state["settings"]


def driver() -> Driver:
    if "driver" not in _state:
        _state["driver"] = open_driver(settings())
    return _state["driver"]


def embedder() -> Embedder:
    card = active_card(settings())
    current: Embedder | None = _state.get("embedder")
    if current is None or current.card != card:
        log.info("loading model %s", card.tag)
        _state["embedder"] = current = Embedder(settings(), card)
    return current


@worker_process_init.connect
def _open(**_: Any) -> None:
    driver()


@worker_process_shutdown.connect
def _close(**_: Any) -> None:
    drv = _state.pop("driver", None)
    if drv is not None:
        drv.close()
