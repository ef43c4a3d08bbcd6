"""The interest model on tiny hand-built graphs: shapes, determinism, cold starts, the stored form."""

import numpy as np
import torch

from gnn.behaviour import Edge, newest
from gnn.features import KIND_ITEM, KIND_QUERY, PAD, pack
from gnn.models import GCNModel, GINModel
from gnn.registry import ModelCard, Vocabulary, instantiate
from gnn.runtime import ItemRecord, ModelRuntime, QueryRecord

TEXT = 8


def card(arch="gin", **kw) -> ModelCard:
    base = dict(arch=arch, version="t", dim=6, num_layers=2, k=4, n_items=3, n_categories=2, text_dim=TEXT,
                text_model="tm", item_norm=50.0)
    return ModelCard(**{**base, **kw})


def runtime(arch="gin", **kw) -> ModelRuntime:
    c = card(arch, **kw)
    return ModelRuntime(c, instantiate(c), Vocabulary(["i1", "i2", "i3"], ["audio", "books"]))


def items() -> list[ItemRecord]:
    rng = np.random.default_rng(0)
    return [ItemRecord(f"i{n}", 1, rng.normal(size=TEXT).tolist(), "tm", 10.0 * n, ("audio",)) for n in (1, 2, 3)]


def edges() -> list[Edge]:
    return [Edge("VIEWED", "i1", 1_000, 1_000), Edge("PURCHASED", "i2", 2_000, 5_000, 2),
            Edge("REVIEWED", "i3", 3_000, 3_000, 1, -1.0), Edge("SEARCHED", "q1", 4_000, 4_000)]


def test_recent_edges_are_packed_newest_first_with_their_features():
    rows = {"i1": 0, "i2": 1, "i3": 2}
    rec = pack([newest(edges(), 4), []], 4, rows.__getitem__, {"q1": 0}.__getitem__)
    assert rec.kind.tolist() == [[KIND_ITEM, KIND_QUERY, KIND_ITEM, KIND_ITEM], [PAD] * 4]
    assert rec.row[0].tolist() == [1, 0, 2, 0]  # i2 (last 5000), q1, i3, i1
    assert rec.has_sentiment[0].tolist() == [0.0, 0.0, 1.0, 0.0] and rec.sentiment[0, 2] == -1.0
    assert rec.gap[0, 0] == 0.0 and (rec.gap[0, 1:] > 0).all()  # gaps from the newest edge
    assert rec.count[0, 0] > 0 and rec.count[0, 1] == 0  # count 2 vs 1


def test_shapes_for_gin_and_gcn_and_the_stored_form():
    for arch in ("gin", "gcn"):
        rt = runtime(arch)
        rt.remember_items(items())
        rt.remember_queries([QueryRecord("q1", 1, [0.5] * TEXT, "tm")])
        z = rt.user_vectors([newest(edges(), 4), newest(edges()[:1], 4), []])
        assert z.shape == (3, 6) and torch.isfinite(z).all()
        h, b = rt.item_vectors(items())
        assert h.shape == (3, 6) and b.shape == (3,)
        stored = rt.stored_items(h, b)
        assert stored.shape == (3, 8) and np.allclose(np.linalg.norm(stored, axis=1), 50.0)
        users = rt.stored_users(z)
        assert users.shape == (3, 8) and np.allclose(users[:, 6], 0.1) and (users[:, 7] == 0).all()


def test_cosine_on_the_stored_form_ranks_exactly_by_the_model_score():
    rt = runtime()
    rt.remember_items(items())
    rt.remember_queries([QueryRecord("q1", 1, [0.5] * TEXT, "tm")])
    z = rt.user_vectors([newest(edges(), 4)])
    h, b = rt.item_vectors(items())
    score = (z @ h.T + b).numpy()[0]
    u, v = rt.stored_users(z)[0], rt.stored_items(h, b)
    cosine = v @ u / (np.linalg.norm(v, axis=1) * np.linalg.norm(u))
    assert list(np.argsort(-score)) == list(np.argsort(-cosine))
    assert np.allclose(cosine * np.linalg.norm(u) * 50.0, score, atol=1e-5)


def test_same_card_same_vectors_and_batch_independent():
    a, b = runtime(), runtime()
    for rt in (a, b):
        rt.remember_items(items())
        rt.remember_queries([QueryRecord("q1", 1, [0.5] * TEXT, "tm")])
    alone = a.user_vectors([newest(edges(), 4)])
    batched = b.user_vectors([newest(edges()[:2], 4), newest(edges(), 4), []])
    assert torch.equal(a.user_vectors([newest(edges(), 4)]), alone)
    assert torch.allclose(alone[0], batched[1], atol=1e-6)


def test_a_new_user_has_a_vector_after_one_event_and_it_moves_with_the_next():
    rt = runtime()
    rt.remember_items(items())
    empty, one, two = rt.user_vectors([[], [Edge("VIEWED", "i1", 1, 1)],
                                      [Edge("VIEWED", "i2", 2, 2), Edge("VIEWED", "i1", 1, 1)]])
    assert not torch.allclose(empty, one) and not torch.allclose(one, two)


def test_an_item_never_seen_in_training_is_embedded_from_content():
    rt = runtime()
    new = ItemRecord("brand-new", 1, items()[0].text, "tm", 10.0, ("audio",))
    known = items()[0]
    (h_new, h_known), (b_new, b_known) = rt.item_vectors([new, known])
    # Same content; the known item adds its ID vector (zero-initialised bias, random ID vector).
    model = rt.model
    id_part = model.items.ids.weight[0].detach()
    assert torch.allclose(h_known - h_new, id_part, atol=1e-6)
    assert rt.content([new]).id_row.item() == rt.card.n_items  # the "unknown" row


def test_text_from_another_text_model_counts_as_missing():
    rt = runtime()
    same = ItemRecord("x", 1, [1.0] * TEXT, "tm", None, ())
    other = ItemRecord("x", 1, [1.0] * TEXT, "another-model", None, ())
    none = ItemRecord("x", 1, None, None, None, ())
    c = rt.content([same, other, none])
    assert c.extras[:, 2].tolist() == [1.0, 0.0, 0.0]
    assert torch.equal(c.text[1], torch.zeros(TEXT))


def test_gin_and_gcn_differ_only_in_init_conv():
    gin, gcn = instantiate(card("gin")), instantiate(card("gcn"))
    assert isinstance(gin, GINModel) and isinstance(gcn, GCNModel)
    shared = {k for k in gin.state_dict() if not k.startswith("convs.")}
    assert shared == {k for k in gcn.state_dict() if not k.startswith("convs.")}
