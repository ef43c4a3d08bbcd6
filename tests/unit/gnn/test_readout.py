"""The item readout over its newest buyers (gnn.readout): it moves an item without retraining,
reads only the past, and every reader gives it the same inputs."""

from __future__ import annotations

import numpy as np
import torch

from gnn.behaviour import Edge
from gnn.counting import LiveCounts
from gnn.export import TrainingData
from gnn.models import GINModel
from gnn.readout import BUYERS, BuyerInputs, gather, pooled
from gnn.registry import ModelCard, Vocabulary
from gnn.runtime import ItemRecord, ModelRuntime
from gnn.train import build_examples, time_slices, vocabulary
from interestgraph.constants import HOUR_MS as HOUR


def test_recent_buyers_are_the_newest_first_touches_each_buyer_once():
    c = LiveCounts(2)
    for n in range(2 * BUYERS + 5):
        c.add(f"u{n}", 0, HOUR * n, tag=100 + n)
    c.add("u3", 0, HOUR * 99)  # a repeat: the buyer is not counted again
    rows, times = c.recent_buyers()
    assert rows.shape == (2, BUYERS)
    newest = list(range(2 * BUYERS + 4, BUYERS + 4, -1))
    assert [c.user_keys[r] for r in rows[0]] == [f"u{n}" for n in newest]
    assert times[0].tolist() == [HOUR * n for n in newest]
    assert (rows[1] == -1).all()  # nobody bought item 1
    assert c.user_tags[c.user_rows["u7"]] == 107


def test_pooling_weighs_recent_buyers_and_ignores_empty_slots():
    vectors = np.zeros((1, 3, 2), np.float32)
    vectors[0, 0] = [1, 0]  # an hour ago
    vectors[0, 1] = [0, 1]  # a month ago
    vectors[0, 2] = [5, 5]  # not a buyer
    times = np.array([[99 * HOUR, (99 - 30 * 24) * HOUR, 0]])
    x = pooled(BuyerInputs.of(vectors, times, np.array([[True, True, False]]), 100 * HOUR))
    day, week, ever = x[0, :2], x[0, 2:4], x[0, 4:6]
    assert day[0] > 0.99 and day[1] < 0.01  # the day horizon sees the recent buyer only
    assert torch.allclose(ever, torch.tensor([0.5, 0.5]))  # all time: both alike, the empty slot not at all
    assert week[0] > week[1]


def _runtime(seed: int = 0) -> ModelRuntime:
    torch.manual_seed(seed)
    model = GINModel(n_items=2, n_categories=0, text_dim=0, dim=8, readout=True).eval()
    assert model.buyers is not None
    for layer in (model.buyers.vector, model.buyers.bias):  # as trained: the output is not zero
        torch.nn.init.normal_(layer.weight)
    card = ModelCard(arch="gin", version="t", dim=8, n_items=2, live=True, readout=True)
    return ModelRuntime(card, model, Vocabulary(["a", "b"], []))


def test_a_new_items_vector_follows_its_first_buyers_without_retraining():
    rt = _runtime()
    records = [ItemRecord("a"), ItemRecord("b"), ItemRecord("new")]  # "new" was never trained on
    h, b = rt.remember_items(records)
    counts = LiveCounts(3)
    users = np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
    stats = counts.item_stats(HOUR)
    rows, times = counts.recent_buyers()
    before = rt.live_items(h, b, stats, gather(users, rows, times, HOUR))
    for n in range(3):
        counts.add(f"u{n}", 2, HOUR + n)  # three buyers of the new item
    rows, times = counts.recent_buyers()
    after = rt.live_items(h, b, counts.item_stats(HOUR + 10), gather(users, rows, times, HOUR + 10))
    moved = (after[0] - before[0]).norm(dim=1)
    assert moved[2] > 1e-3 and moved[0] < 1e-6 and moved[1] < 1e-6
    # Other buyers give another vector: the readout reads who they are, not only how many.
    rows2 = np.where(rows >= 0, rows + 1, -1)
    other = rt.live_items(h, b, counts.item_stats(HOUR + 10), gather(users, rows2, times, HOUR + 10))
    assert (other[0][2] - after[0][2]).norm() > 1e-3
    # A model registered before the readout ignores buyers.
    old = GINModel(n_items=2, n_categories=0, text_dim=0, dim=8).eval()
    assert old.buyers is None


def shop() -> TrainingData:
    rng = np.random.default_rng(3)
    items = [ItemRecord(f"i{j:02d}") for j in range(20)]
    edges = {f"u{u:02d}": [Edge("PURCHASED", f"i{j:02d}", HOUR * (u + 7 * k), HOUR * (u + 7 * k))
                           for k, j in enumerate(rng.choice(20, size=5, replace=False))] for u in range(40)}
    return TrainingData(items, [], edges)


def test_training_buyers_are_examples_strictly_before_the_slice_start():
    data = shop()
    vocab = vocabulary(data)
    ex = build_examples(data, vocab, {}, k=8)
    sl = time_slices(ex, len(vocab.items), max_slices=8, per_slice=20, buyers=True)
    assert sl.buyer_example.shape == (len(sl.starts_ms), len(vocab.items), BUYERS)
    seen = 0
    for s, start in enumerate(sl.starts_ms):
        for item in range(len(vocab.items)):
            for slot, e in enumerate(sl.buyer_example[s, item].tolist()):
                if e < 0:
                    continue
                seen += 1
                assert ex.time_ms[e] < start  # the buyer's stand-in is from before the slice
                # ... and it is that buyer's newest example before the slice.
                mine = np.flatnonzero((ex.user == ex.user[e]) & (ex.time_ms < start))
                assert ex.time_ms[e] == ex.time_ms[mine].max()
                # The buyer did touch the item before the slice, and the age says when.
                touch = np.flatnonzero((ex.user == ex.user[e]) & (ex.target == item))
                assert len(touch) == 1 and ex.time_ms[touch[0]] < start
                assert np.isclose(sl.buyer_age_h[s, item, slot], (start - ex.time_ms[touch[0]]) / HOUR)
    assert seen > 50
