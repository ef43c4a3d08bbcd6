"""Thin Celery tasks: arguments are ids and flags, the work lives in ``ingest`` and ``gnn``."""

from __future__ import annotations

import os
from typing import Any

from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError

from gnn.online import UserUpdater
from gnn.refresh import RuntimeCache
from gnn.refresh import refresh as refresh_nodes
from gnn.registry import registered
from ingest.writer import GraphWriter
from interestgraph.errors import ConfigError, InputError, TransientGraphError
from interestgraph.settings import Settings, redact_url
from workers import resources
from workers.celery_app import SETTINGS, app

RETRY = {
    "autoretry_for": (TransientGraphError, TransientError, ServiceUnavailable, SessionExpired),
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 8,
}
# SIMILAR_TO's share of the database: half a second of searches per 5 s run. It was a cap of 100
# users a run; as searches slowed with the graph, those 100 took a third of a core by minute 8 of
# a 1,000 events/s stream (a profile of Neo4j's transactions), on a machine with two.
SIMILAR_BUDGET_S = 0.5


@app.task(name="interestgraph.gnn.refresh", acks_late=True, **RETRY)
def refresh(all_nodes: bool = False, max_batches: int | None = None, batch_size: int = 1024,
            users: list[str] | None = None, items: list[str] | None = None, debounce: bool = True,
            model: str | None = None, prefix: str = "") -> dict[str, Any]:
    """Re-embed dirty items and backlog users (all, or the named ones) with the active model.

    Scheduled runs debounce (users get a grace period for the ingest path, item bursts a
    pause); `interestgraph refresh` does not. ``model`` (a registered tag) embeds with that
    version instead of the active one, e.g. to backfill a candidate before activating it.
    ``prefix`` limits the work to ids starting with it (tests pass their namespace).
    """
    runtime = resources.runtime() if model is None else RuntimeCache(resources.settings(),
                                                                     registered(resources.settings(), model))
    report = refresh_nodes(resources.driver(), resources.settings(), runtime=runtime,
                           all_nodes=all_nodes, users=users or (), items=items or (), max_batches=max_batches,
                           batch_size=batch_size, debounce=debounce, similar=not debounce, prefix=prefix)
    return report.as_dict()


@app.task(name="interestgraph.ingest.drain_stream", acks_late=True, **RETRY)
def drain_stream(url: str | None = None, max_seconds: float = 5.0, batch_size: int = 2000) -> dict[str, Any]:
    """Consume ``INTERESTGRAPH_STREAM_URL`` for up to ``max_seconds`` (beat re-queues it); acks after commit.

    ``url`` may only repeat that URL: whoever can send a task must not be able to point the
    worker (and its Redis password) at another server.
    """
    from dataclasses import asdict

    from ingest.deadletter import DeadLetters
    from ingest.ledger import ReplayWindow
    from ingest.runner import dead_letter_path
    from ingest.streams import StreamConsumer, StreamSpec

    settings = resources.settings()
    spec = StreamSpec.parse(stream_to_drain(settings, url))
    with DeadLetters(dead_letter_path(settings)) as dead:
        writer = GraphWriter(resources.driver(), settings,
                             after_commit=UserUpdater(resources.driver(), settings, resources.runtime()))
        consumer = StreamConsumer(spec, writer, dead,
                                  consumer=f"celery-{os.getpid()}", batch_size=batch_size, block_ms=200,
                                  max_deliveries=settings.stream_max_deliveries,
                                  batch_bytes=settings.stream_batch_bytes, window=ReplayWindow(settings.ledger_days),
                                  client=spec.client(settings.redis_password, broker_url=settings.broker_url))
        return asdict(consumer.drain(max_seconds=max_seconds))


def stream_to_drain(settings: Settings, url: str | None) -> str:
    """The stream a drain task consumes: the configured one; a task naming another is refused."""
    if not settings.stream_url:
        raise ConfigError("INTERESTGRAPH_STREAM_URL is not set: there is no stream to drain")
    if url is not None and url != settings.stream_url:
        raise InputError("drain_stream consumes INTERESTGRAPH_STREAM_URL only; the task named another stream, "
                         f"{redact_url(url)!r}")
    return settings.stream_url


@app.task(name="interestgraph.ingest.prune_ledger", acks_late=True, **RETRY)
def prune_ledger(days: float = SETTINGS.ledger_days) -> int:
    """Drop exactly-once ledger entries older than ``days`` (beat runs it hourly)."""
    from ingest.ledger import prune

    return prune(resources.driver(), resources.settings(), days)


@app.task(name="interestgraph.gnn.similar", acks_late=True, **RETRY)
def similar(limit: int = 100, prefix: str = "", max_seconds: float = SIMILAR_BUDGET_S) -> int:
    """Refresh SIMILAR_TO for users re-embedded since it was last computed (at most ``limit``,
    in batches of 20, none started after ``max_seconds``: beat runs it every 5 s, so similarity
    costs a bounded share of the database's time); ``prefix`` limits it to ids starting with it."""
    from gnn.refresh import refresh_similar_pending

    return refresh_similar_pending(resources.driver(), resources.settings(), limit=limit, batch=20, prefix=prefix,
                                   max_seconds=max_seconds)


@app.task(name="interestgraph.gnn.sync_user_index", acks_late=True, **RETRY)
def sync_user_index(prefix: str = "") -> dict[str, Any]:
    """Copy changed fresh user and item vectors into their vector indexes, in bulk (beat runs it
    every second); ``prefix`` limits it to ids starting with it (tests pass their namespace)."""
    from gnn.user_index import sync_item_index, sync_user_index

    driver, settings = resources.driver(), resources.settings()
    return {**sync_user_index(driver, settings, prefix=prefix).as_dict(),
            "items": sync_item_index(driver, settings, prefix=prefix).as_dict()}


@app.task(name="interestgraph.nlp.text_pass", acks_late=True, **RETRY)
def text_pass(max_rounds: int | None = 4) -> dict[str, int]:
    """Encode pending titles and queries, score pending reviews (see ``ingest.text``); idempotent."""
    from ingest.text import TextPass

    return TextPass(resources.driver(), resources.settings()).run(max_rounds=max_rounds).as_dict()


@app.task(name="interestgraph.gnn.ping")
def ping() -> str:
    """Liveness probe used by `make worker` and the tests."""
    return "pong"
