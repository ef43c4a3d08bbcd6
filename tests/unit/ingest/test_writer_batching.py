"""The writer's batch logic without a database: one entry per event id, the users' touch rows, and
what a batch counts as applied, duplicate and re-embedded (the ledger and Neo4j are faked here;
the integration tests write for real)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from neo4j import exceptions as nx

import ingest.writer as writer_module
from ingest.events import Event
from ingest.writer import GraphWriter, touch_rows, unique_events
from interestgraph.errors import GraphError
from interestgraph.settings import Settings

NOW = 1_795_000_000_000


def ev(event_id: str, user: str = "u1", ts: int = NOW - 1000, item: str = "i1", kind: str = "view") -> Event:
    return Event(event_id, user, kind, ts, item_id=item)


def test_unique_events_keeps_the_first_copy_of_each_id_in_batch_order():
    a, b, a_again, c = ev("a", item="first"), ev("b"), ev("a", item="second"), ev("c")
    got = unique_events([a, b, a_again, c, b])
    assert list(got) == ["a", "b", "c"]
    assert got["a"] is a and got["a"].item_id == "first"
    assert unique_events([]) == {}


def test_touch_rows_carry_each_users_newest_acceptance_time():
    events = [ev("e1", "u1"), ev("e2", "u2"), ev("e3", "u1"), ev("e4", "u3")]
    accepted = {"e1": NOW - 50, "e3": NOW - 10, "e2": NOW - 30}  # e4 has no stream time: "now"
    assert touch_rows(["u1", "u2", "u3"], events, accepted, NOW) == [
        {"id": "u1", "accepted_ms": NOW - 10}, {"id": "u2", "accepted_ms": NOW - 30},
        {"id": "u3", "accepted_ms": NOW}]


def test_touch_rows_take_the_newest_even_when_it_comes_first_and_follow_the_users_order():
    events = [ev("e1", "u1"), ev("e2", "u1"), ev("e3", "u2")]
    accepted = {"e1": NOW - 5, "e2": NOW - 500, "e3": NOW - 7}
    assert touch_rows(["u2", "u1"], events, accepted, NOW) == [
        {"id": "u2", "accepted_ms": NOW - 7}, {"id": "u1", "accepted_ms": NOW - 5}]


class FakeGraph:
    """Stands in for ``in_write_tx`` and ``run``: a ledger of applied ids and the statements run."""

    def __init__(self, seen: set[str] = frozenset(), races: int = 0) -> None:
        self.seen = set(seen)
        self.races = races  # how many attempts lose a ledger race (a concurrent writer, same ids)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.attempts = 0

    def in_write_tx(self, driver: Any, settings: Any, what: str, work: Any) -> Any:
        self.attempts += 1
        tx = SimpleNamespace()
        out = work(tx)
        if self.races:
            self.races -= 1
            raise GraphError("ingest batch: a concurrent writer recorded the same id") from nx.ConstraintError()
        return out

    def run(self, tx: Any, name: str, **params: Any) -> list[dict[str, Any]]:
        self.calls.append((name, params))
        if name == "ingest/filter_seen_events":
            return [{"id": i} for i in params["ids"] if i in self.seen]
        if name == "ingest/record_seen_events":
            self.seen.update(params["ids"])
        return []

    def statement(self, name: str) -> dict[str, Any]:
        (params,) = [p for n, p in self.calls if n == name]
        return params


@pytest.fixture
def fake(monkeypatch):
    def install(graph: FakeGraph) -> FakeGraph:
        monkeypatch.setattr(writer_module, "in_write_tx", graph.in_write_tx)
        monkeypatch.setattr(writer_module, "run", graph.run)
        return graph

    return install


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.without_graph({})


def test_a_batch_counts_repeats_and_ledger_hits_as_duplicates_and_applies_the_rest(fake, settings):
    graph = fake(FakeGraph(seen={"old"}))
    hooked: list[list[str]] = []
    w = GraphWriter(None, settings, after_commit=lambda users: hooked.append(users) or len(users))
    batch = [ev("a", "u2"), ev("old", "u9"), ev("a", "u2"), ev("b", "u1"), ev("c", "u2")]
    result = w.write(batch, now_ms=NOW, accepted={"b": NOW - 20})
    assert (result.accepted, result.duplicates, result.embedded) == (3, 2, 2)
    assert graph.statement("ingest/filter_seen_events")["ids"] == ["a", "old", "b", "c"]
    assert sorted(graph.statement("ingest/record_seen_events")["ids"]) == ["a", "b", "c"]
    assert graph.statement("ingest/touch_users")["rows"] == [{"id": "u1", "accepted_ms": NOW - 20},
                                                             {"id": "u2", "accepted_ms": NOW}]
    assert hooked == [["u1", "u2"]]  # the applied events' users, once each, sorted; not u9


def test_a_replayed_batch_applies_nothing_and_calls_no_hook(fake, settings):
    graph = fake(FakeGraph(seen={"a", "b"}))
    hooked: list[list[str]] = []
    w = GraphWriter(None, settings, after_commit=lambda users: hooked.append(users) or 1)
    result = w.write([ev("a"), ev("b"), ev("a")], now_ms=NOW)
    assert (result.accepted, result.duplicates, result.embedded) == (0, 3, 0)
    assert [name for name, _ in graph.calls] == ["ingest/filter_seen_events"] and hooked == []
    assert w.write([], now_ms=NOW) == writer_module.BatchResult(0, 0)


def test_a_lost_ledger_race_reruns_the_batch_and_skips_what_the_other_writer_applied(fake, settings):
    graph = fake(FakeGraph(races=1))
    w = GraphWriter(None, settings)
    result = w.write([ev("a"), ev("b")], now_ms=NOW)
    assert graph.attempts == 2 and (result.accepted, result.duplicates) == (0, 2)  # the first attempt's ids landed


def test_other_graph_errors_and_endless_races_are_raised(fake, settings):
    fake(FakeGraph(races=writer_module._LEDGER_RACE_ATTEMPTS))
    with pytest.raises(GraphError, match="concurrent writer"):
        GraphWriter(None, settings).write([ev("a")], now_ms=NOW)


def test_a_failing_hook_never_fails_the_committed_batch(fake, settings):
    fake(FakeGraph())

    def broken(users: list[str]) -> int:
        raise RuntimeError("model not loaded")

    result = GraphWriter(None, settings, after_commit=broken).write([ev("a")], now_ms=NOW)
    assert (result.accepted, result.duplicates, result.embedded) == (1, 0, 0)
