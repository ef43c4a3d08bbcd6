"""ingest.pipeline.batches: a validated event stream cut into write batches, lazily and in order."""

from __future__ import annotations

import itertools

import pytest

from ingest.events import parse_record
from ingest.pipeline import batches
from interestgraph.errors import InputError

NOW = 1_795_000_000_000


def events(n: int) -> list:
    return [parse_record({"event_id": f"e{k}", "user_id": "u", "type": "view", "ts": NOW - k, "item_id": "i"}, NOW)
            for k in range(n)]


@pytest.mark.parametrize(("n", "size", "sizes"), [
    (0, 3, []), (1, 3, [1]), (3, 3, [3]), (7, 3, [3, 3, 1]), (9, 3, [3, 3, 3]), (5, 1, [1] * 5), (4, 100, [4])])
def test_full_batches_then_the_remainder_in_order(n, size, sizes):
    evs = events(n)
    got = list(batches(evs, size))
    assert [len(b) for b in got] == sizes
    assert [ev.event_id for b in got for ev in b] == [ev.event_id for ev in evs]


def test_each_batch_is_a_list_of_its_own():
    first, second = batches(events(4), 2)
    assert first is not second and [e.event_id for e in first] == ["e0", "e1"]


def test_it_is_lazy_on_an_endless_stream():
    # A stream (``ingest --follow``) never ends: a batch is handed over as soon as it is full.
    taken = []

    def endless():
        for k in itertools.count():
            taken.append(k)
            yield k

    it = batches(endless(), 3)
    assert next(it) == [0, 1, 2] and taken == [0, 1, 2]
    assert next(it) == [3, 4, 5] and len(taken) == 6


@pytest.mark.parametrize("size", [0, -1])
def test_a_batch_size_below_one_is_an_input_error(size):
    with pytest.raises(InputError, match=f"batch_size must be > 0, got {size}"):
        list(batches(events(2), size))
