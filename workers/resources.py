"""Per-process resources: one Neo4j driver and one loaded model runtime per worker process.

A driver cannot be shared across processes, so it is opened in ``worker_process_init``
(after the prefork) and closed at shutdown. The model runtime (with its item and query
vector caches) is loaded on first use and swapped when the registry's active version changes.
"""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init, worker_process_shutdown
from neo4j import Driver

from gnn.refresh import RuntimeCache
from interestgraph.graph import open_driver
from interestgraph.settings import Settings

_state: dict[str, Any] = {}


def settings() -> Settings:
    """This process's settings, read from the environment once."""
    if "settings" not in _state:
        _state["settings"] = Settings.from_env()
    return _state["settings"]


def driver() -> Driver:
    """This process's Neo4j driver, opened on first use (after the prefork)."""
    if "driver" not in _state:
        _state["driver"] = open_driver(settings())
    return _state["driver"]


def runtime() -> RuntimeCache:
    """This process's model runtime, loaded on first use."""
    if "runtime" not in _state:
        _state["runtime"] = RuntimeCache(settings())
    return _state["runtime"]


@worker_process_init.connect
def _open(**_: Any) -> None:
    driver()


@worker_process_shutdown.connect
def _close(**_: Any) -> None:
    drv = _state.pop("driver", None)
    if drv is not None:
        drv.close()
