"""interestgraph.graph: driver errors become the project's errors (transient or not, the driver's
error chained), and the write retry loop retries only what may succeed when retried. No server:
errors are built the way the driver builds a server's failure."""

from __future__ import annotations

from typing import Any

import pytest
from neo4j import exceptions as nx

import interestgraph.graph as graph
from interestgraph.errors import (
    GraphError,
    GraphMemoryError,
    InterestGraphError,
    RefusedGraphError,
    TransientGraphError,
)
from interestgraph.graph import read, retrying, translated_errors
from interestgraph.settings import Settings


def server_error(code: str, message: str) -> nx.Neo4jError:
    """A Neo4j server failure as the driver raises it (the class follows from the status code)."""
    return nx.Neo4jError._hydrate_neo4j(code=code, message=message)


def translate(error: BaseException) -> BaseException:
    with pytest.raises(BaseException) as info, translated_errors("ingest/merge_items"):
        raise error
    return info.value


@pytest.mark.parametrize("error", [
    server_error("Neo.TransientError.Transaction.DeadlockDetected", "deadlock on node 7"),
    server_error("Neo.TransientError.General.DatabaseUnavailable", "database is starting"),
    nx.ServiceUnavailable("Couldn't connect to localhost:7687"),
    nx.SessionExpired("leader switched"),
])
def test_transient_failures_become_transient_graph_errors(error):
    got = translate(error)
    assert type(got) is TransientGraphError and got.__cause__ is error
    assert str(got).startswith(f"ingest/merge_items: Neo4j is unavailable or busy ({type(error).__name__}: ")


def test_bad_credentials_are_a_permanent_error_that_names_the_variables_not_the_password():
    error = server_error("Neo.ClientError.Security.Unauthorized", "The client is unauthorized (password hunter2)")
    got = translate(error)
    assert type(got) is GraphError and got.__cause__ is error
    assert str(got) == "ingest/merge_items: Neo4j rejected the credentials in NEO4J_USER/NEO4J_PASSWORD"


@pytest.mark.parametrize(("code", "message", "kind"), [
    ("Neo.ClientError.Statement.SyntaxError", "Invalid input 'MACH'", RefusedGraphError),
    ("Neo.ClientError.Statement.TypeError", "Type mismatch: expected a map but was String", RefusedGraphError),
    ("Neo.ClientError.Schema.ConstraintValidationFailed", "Node(12) already exists with label `SeenEvent`",
     RefusedGraphError),
    ("Neo.ClientError.Database.DatabaseNotFound", "Database does not exist: nope", GraphError),
    ("Neo.ClientError.Security.Forbidden", "Write operations are not allowed", GraphError),
    ("Neo.DatabaseError.General.UnknownError", "out of memory", GraphError),
])
def test_other_server_failures_keep_their_code_and_message(code, message, kind):
    error = server_error(code, message)
    got = translate(error)
    assert type(got) is kind and got.__cause__ is error
    assert str(got) == f"ingest/merge_items: {code}: {message}"


@pytest.mark.parametrize("code", [
    "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
    "Neo.ClientError.General.TransactionOutOfMemoryError",
    "Neo.TransientError.General.OutOfMemoryError",
])
def test_memory_errors_are_neither_transient_nor_refused_data(code):
    # Retrying the same transaction runs out of memory again (the issue: "retried for ever").
    got = translate(server_error(code, "The allocation of an extra 4.0 MiB would use more than the limit"))
    assert type(got) is GraphMemoryError and not isinstance(got, TransientGraphError)


def test_a_constraint_violation_stays_recognisable_through_the_cause():
    # The writer retries a lost ledger race by looking at the cause of the GraphError.
    got = translate(server_error("Neo.ClientError.Schema.ConstraintValidationFailed", "exists"))
    assert isinstance(got.__cause__, nx.ConstraintError) and not isinstance(got, TransientGraphError)


def test_client_side_driver_errors_become_graph_errors():
    error = nx.ConfigurationError("unknown database 'nope'")
    got = translate(error)
    assert type(got) is GraphError and got.__cause__ is error
    assert str(got) == "ingest/merge_items: ConfigurationError: unknown database 'nope'"


@pytest.mark.parametrize("error", [ValueError("a bug"), KeyError("id"), GraphError("already ours")])
def test_everything_else_passes_through_untouched(error):
    assert translate(error) is error


def test_every_translation_is_one_of_ours():
    for error in (nx.ServiceUnavailable("x"), server_error("Neo.ClientError.Statement.SyntaxError", "x")):
        assert isinstance(translate(error), InterestGraphError)


class FailingDriver:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def execute_query(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


def test_read_names_the_statement_in_the_translated_error():
    settings = Settings.without_graph({})
    with pytest.raises(TransientGraphError, match=r"^serve/user_state: Neo4j is unavailable or busy") as info:
        read(FailingDriver(nx.ServiceUnavailable("down")), settings, "serve/user_state", id="u1")
    assert isinstance(info.value.__cause__, nx.ServiceUnavailable)


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(graph.time, "sleep", slept.append)
    monkeypatch.setattr(graph.random, "uniform", lambda a, b: 1.0)  # no jitter: the delays are exact
    return slept


def attempts(*outcomes: Any):
    """An attempt function that raises or returns each outcome in turn, counting its calls."""
    calls = []

    def attempt() -> Any:
        outcome = outcomes[len(calls)]
        calls.append(outcome)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    attempt.calls = calls
    return attempt


def test_retrying_retries_transient_failures_with_growing_delays(sleeps):
    deadlock = server_error("Neo.TransientError.Transaction.DeadlockDetected", "deadlock")
    attempt = attempts(deadlock, nx.ServiceUnavailable("restart"), deadlock, "done")
    assert retrying("ingest batch", attempt) == "done"
    assert len(attempt.calls) == 4
    assert sleeps == [graph.RETRY_FIRST_S, 2 * graph.RETRY_FIRST_S, 4 * graph.RETRY_FIRST_S]


def test_retrying_caps_the_delay(sleeps, monkeypatch):
    monkeypatch.setattr(graph, "RETRY_BUDGET_S", 1_000.0)
    attempt = attempts(*[nx.SessionExpired("x")] * 9, "ok")
    assert retrying("w", attempt) == "ok"
    assert max(sleeps) == graph.RETRY_MAX_S and sleeps == sorted(sleeps)


def test_retrying_never_retries_a_permanent_failure(sleeps):
    attempt = attempts(server_error("Neo.ClientError.Statement.SyntaxError", "bad"), "never reached")
    with pytest.raises(GraphError, match="w: Neo.ClientError.Statement.SyntaxError: bad"):
        retrying("w", attempt)
    assert len(attempt.calls) == 1 and sleeps == []


def test_retrying_gives_up_when_the_budget_is_spent(sleeps, monkeypatch):
    monkeypatch.setattr(graph, "RETRY_BUDGET_S", 0.0)
    attempt = attempts(nx.ServiceUnavailable("down"), "never reached")
    with pytest.raises(TransientGraphError, match="w: Neo4j is unavailable or busy"):
        retrying("w", attempt)
    assert len(attempt.calls) == 1 and sleeps == []
