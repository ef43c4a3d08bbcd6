"""Removing a benchmark's namespace, whoever else is still writing to it."""

from __future__ import annotations

from neo4j import Driver

from interestgraph.graph import retrying, run_implicit
from interestgraph.settings import Settings


def delete_namespace(driver: Driver, settings: Settings, prefix: str) -> None:
    """Delete every node whose id starts with ``prefix``; a worker's refresh still finishing on
    the namespace can deadlock with the deletion (a transient error), so it is retried."""
    retrying("bench/delete_namespace", lambda: run_implicit(driver, settings, "bench/delete_namespace", prefix=prefix))
