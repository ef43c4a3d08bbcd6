"""The Neo4j driver, one per process, and driver errors mapped onto our tree.

Statements come from the :mod:`cypher` registry by name; values are always parameters.
Reads and writes go through ``execute_query`` with an explicit routing hint, so the same
code runs against a single server or a ``neo4j://`` cluster.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import neo4j
from neo4j import Driver, GraphDatabase, ManagedTransaction, Record, RoutingControl, Transaction, unit_of_work
from neo4j import exceptions as nx

from interestgraph.cypher_registry import query, statement_text
from interestgraph.errors import GraphError, GraphMemoryError, RefusedGraphError, TransientGraphError
from interestgraph.settings import Settings

T = TypeVar("T")

# Errors a caller may retry: the driver's own transient class plus lost connections.
RETRYABLE: tuple[type[Exception], ...] = (nx.TransientError, nx.ServiceUnavailable, nx.SessionExpired)
# Writes are retried here, not by the driver: its managed retries wait 1 s before the first
# retry, and concurrent writers (ingest, the per-event embedding, the workers) do deadlock now
# and then; a deadlock victim retried after 20 ms keeps an event's vector within a second.
RETRY_FIRST_S, RETRY_MAX_S, RETRY_BUDGET_S = 0.02, 1.0, 30.0


def open_driver(settings: Settings) -> Driver:
    """A driver for ``settings``; not shareable across processes (open one per process)."""
    return GraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
        user_agent="interestgraph/0.1",
        max_transaction_retry_time=30.0,
        # Schema-less property warnings (a property no node has yet) are expected here.
        notifications_min_severity="OFF",
    )


# Client errors about what a statement was given (types, constraints, malformed requests), as
# opposed to where it was sent (an unknown database, credentials, permissions).
REFUSED_CATEGORIES = frozenset({"Statement", "Schema", "Request", "Procedure"})


def _out_of_memory(e: nx.Neo4jError) -> bool:
    # MemoryPoolOutOfMemoryError, TransactionOutOfMemoryError, OutOfMemoryError (Transient or Client).
    return "OutOfMemory" in (e.title or "") or "MemoryLimit" in (e.title or "")


@contextmanager
def translated_errors(what: str) -> Iterator[None]:
    """Re-raise driver errors as our :class:`GraphError` family (chained).

    Memory errors become :class:`GraphMemoryError` (even those Neo4j calls transient: the same
    transaction runs out again), lost connections and busy servers :class:`TransientGraphError`,
    refused statement data :class:`RefusedGraphError`, everything else :class:`GraphError`.
    """
    try:
        yield
    except nx.Neo4jError as e:
        if _out_of_memory(e):
            raise GraphMemoryError(f"{what}: Neo4j ran out of memory ({e.code}: {e.message})") from e
        if isinstance(e, RETRYABLE):
            raise TransientGraphError(f"{what}: Neo4j is unavailable or busy ({type(e).__name__}: {e})") from e
        if isinstance(e, nx.AuthError):
            raise GraphError(f"{what}: Neo4j rejected the credentials in NEO4J_USER/NEO4J_PASSWORD") from e
        if isinstance(e, nx.ClientError) and e.category in REFUSED_CATEGORIES:
            raise RefusedGraphError(f"{what}: {e.code}: {e.message}") from e
        raise GraphError(f"{what}: {e.code}: {e.message}") from e
    except RETRYABLE as e:
        raise TransientGraphError(f"{what}: Neo4j is unavailable or busy ({type(e).__name__}: {e})") from e
    except nx.DriverError as e:
        raise GraphError(f"{what}: {type(e).__name__}: {e}") from e


def read(driver: Driver, settings: Settings, name: str, **params: Any) -> list[Record]:
    """Run the registered read statement ``name`` and return its records."""
    with translated_errors(name):
        result = driver.execute_query(query(name), params, database_=settings.neo4j_database,
                                      routing_=RoutingControl.READ)
    return list(result.records)


def retrying(what: str, attempt: Callable[[], T]) -> T:
    """``attempt()`` until it succeeds, retrying transient errors fast, for ``RETRY_BUDGET_S`` at most."""
    deadline = time.monotonic() + RETRY_BUDGET_S
    delay = RETRY_FIRST_S
    while True:
        try:
            with translated_errors(what):
                return attempt()
        except TransientGraphError:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, RETRY_MAX_S)


def write(driver: Driver, settings: Settings, name: str, **params: Any) -> list[Record]:
    """Run the registered write statement ``name`` in its own transaction (retried when transient)."""
    return in_write_tx(driver, settings, name, lambda tx: run(tx, name, **params))


def run_implicit(driver: Driver, settings: Settings, name: str, **params: Any) -> list[Record]:
    """Run a statement in an auto-commit transaction (needed by ``CALL { } IN TRANSACTIONS``); its records."""
    with translated_errors(name), driver.session(database=settings.neo4j_database) as session:
        return list(session.run(query(name), params))


def in_write_tx(driver: Driver, settings: Settings, what: str,
                work: Callable[[Transaction], T]) -> T:
    """Run ``work`` in one write transaction: all or nothing, retried from the start when transient."""
    def attempt() -> T:
        with driver.session(database=settings.neo4j_database) as session, \
                session.begin_transaction(metadata={"app": "interestgraph", "work": what}) as tx:
            out = work(tx)
            tx.commit()
            return out

    return retrying(what, attempt)


def in_read_tx(driver: Driver, settings: Settings, what: str,
               work: Callable[[ManagedTransaction], T]) -> T:
    """Run ``work`` in one managed read transaction (a consistent snapshot of reads)."""
    with translated_errors(what), driver.session(database=settings.neo4j_database,
                                                 default_access_mode=neo4j.READ_ACCESS) as session:
        return session.execute_read(_tagged(what, work))


def _tagged(what: str, work: Callable[[ManagedTransaction], T]) -> Callable[[ManagedTransaction], T]:
    # Transaction functions carry their tag here (tx.run takes no Query metadata).
    return unit_of_work(metadata={"app": "interestgraph", "work": what})(work)


def run(tx: ManagedTransaction | Transaction, name: str, **params: Any) -> list[Record]:
    """Run a registered statement inside ``tx`` and fetch all its records."""
    return list(tx.run(statement_text(name), params))
