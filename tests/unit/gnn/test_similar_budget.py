"""SIMILAR_TO's time budget: batches stop once it is spent, but a run always makes progress."""

from __future__ import annotations

import pytest

import gnn.refresh as refresh_mod


@pytest.fixture
def pending(monkeypatch):
    """Ten pending users; each batch "takes" one second of a fake clock; returns the batches run."""
    now = [100.0]
    batches: list[list[str]] = []

    def one_batch(driver, settings, ids):
        batches.append(ids)
        now[0] += 1.0

    monkeypatch.setattr(refresh_mod, "read", lambda *a, **k: [{"id": f"u{n}"} for n in range(10)])
    monkeypatch.setattr(refresh_mod, "refresh_similar", one_batch)
    monkeypatch.setattr(refresh_mod.time, "perf_counter", lambda: now[0])
    return batches


def test_no_budget_runs_every_batch(pending):
    assert refresh_mod.refresh_similar_pending(None, None, batch=3) == 10
    assert [len(b) for b in pending] == [3, 3, 3, 1]


def test_a_spent_budget_stops_before_the_next_batch(pending):
    assert refresh_mod.refresh_similar_pending(None, None, batch=3, max_seconds=1.5) == 6
    assert pending == [["u0", "u1", "u2"], ["u3", "u4", "u5"]]  # oldest first; the rest wait


def test_the_first_batch_runs_even_with_no_budget(pending):
    assert refresh_mod.refresh_similar_pending(None, None, batch=3, max_seconds=0.0) == 3
