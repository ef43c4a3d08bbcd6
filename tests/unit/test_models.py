import torch

from gnn.extract import _tensors
from gnn.features import EDGE_DIM, NODE_DIM, REL_TYPES, node_features
from gnn.models import GCNEncoder, GINEncoder
from gnn.registry import ModelCard, build
from interestgraph.device import pick_device


def tiny_graph():
    # user u1 viewed i1 and purchased i2; i1 and i2 are in category c.
    nodes = {
        ("User", "u1"): node_features("User", None, 2, None),
        ("Item", "i1"): node_features("Item", "earbuds", 2, 199.0),
        ("Item", "i2"): node_features("Item", "case", 2, 9.0),
        ("Category", "c"): node_features("Category", "audio", 2, None),
    }
    rels = {
        "0": (("User", "u1"), ("Item", "i1"), "VIEWED", 1.0, None, 1_795_000_000_000),
        "1": (("User", "u1"), ("Item", "i2"), "PURCHASED", 8.0, None, 1_795_100_000_000),
        "2": (("Item", "i1"), ("Category", "c"), "IN_CATEGORY", None, None, None),
        "3": (("Item", "i2"), ("Category", "c"), "IN_CATEGORY", None, None, None),
    }
    return _tensors(nodes, rels, [("User", "u1")])


def test_subgraph_tensors_are_canonical():
    sub = tiny_graph()
    assert sub.x.shape == (4, NODE_DIM)
    assert sub.edge_index.shape == (2, 8) and sub.edge_attr.shape == (8, EDGE_DIM)
    assert sub.keys == sorted(sub.keys) and sub.seeds == [("User", "u1")]
    fresh = sub.edge_attr[:, -1]
    assert fresh.max() == 1.0 and 0.9 < fresh.min() < 1.0  # the older view is 100,000 s staler


def test_gin_and_gcn_shapes_and_unit_norm():
    sub = tiny_graph()
    for cls in (GINEncoder, GCNEncoder):
        model = cls(NODE_DIM, 16, 8, num_layers=2, edge_dim=EDGE_DIM).eval()
        out = model(sub.x, sub.edge_index, sub.edge_attr)
        assert out.shape == (4, 8)
        assert torch.allclose(out.norm(dim=-1), torch.ones(4), atol=1e-5)


def test_family_differs_only_in_conv():
    gin = GINEncoder(NODE_DIM, 16, 8, 2, EDGE_DIM)
    gcn = GCNEncoder(NODE_DIM, 16, 8, 2, EDGE_DIM)
    assert type(gin).__mro__[1] is type(gcn).__mro__[1]
    assert type(gin.convs[0]).__name__ == "GINEConv" and type(gcn.convs[0]).__name__ == "WeightedGCNConv"
    assert "num_layers=2" in repr(gin)


def test_seeded_build_is_bit_for_bit_deterministic():
    sub = tiny_graph()
    card = ModelCard(arch="gin", version="t", out_channels=8, hidden_channels=16, seed=3)
    a = build(card)(sub.x, sub.edge_index, sub.edge_attr)
    b = build(card)(sub.x, sub.edge_index, sub.edge_attr)
    assert torch.equal(a, b)
    other = build(ModelCard(arch="gin", version="t", out_channels=8, hidden_channels=16, seed=4))
    assert not torch.equal(a, other(sub.x, sub.edge_index, sub.edge_attr))


def test_structure_reaches_the_user_vector():
    sub = tiny_graph()
    model = build(ModelCard(arch="gin", version="t", out_channels=8, hidden_channels=16))
    base = model(sub.x, sub.edge_index, sub.edge_attr)[sub.seed_index]
    heavier = sub.edge_attr.clone()
    heavier[:, len(REL_TYPES)] *= 3  # a stronger behaviour weight on every edge
    moved = model(sub.x, sub.edge_index, heavier)[sub.seed_index]
    assert not torch.allclose(base, moved)


def test_device_choice():
    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
