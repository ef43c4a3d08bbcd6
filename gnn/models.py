"""Interest model v3: item vectors from identity, content and live state, user vectors from a
GIN readout of the user's recent behaviour. GIN and GCN share one base and differ only in
``init_conv``.

The seed's formulas, made concrete:

.. math::
    h_i = e_i + W^h x_i \\qquad\\text{(items: ID vector + projected content)}

    h_i(t) = h_i + W^s(s_i(t)), \\quad b_i(t) = b_i + w^s(s_i(t)) \\qquad\\text{(live state)}

    z_u = W^o\\,[\\,g_u^{(1)} \\Vert \\dots \\Vert g_u^{(L)} \\Vert h_{\\text{newest}}\\,], \\qquad
    g^{(l+1)} = \\mathrm{conv}(g^{(l)}, R) + g^{(l)}

    \\mathrm{score}(u, i) = z_u \\cdot h_i + b_i

``R`` are the user's ``k`` newest behaviour edges (type, recency rank, time gap, rating or
sentiment, count), from items and searched queries to the user; consecutive neighbours
are also linked by transition edges, so a second layer sees the order of behaviour.
Users have no parameters of their own: a new shopper has a vector after one event.
An item never seen in training (``id_row`` = vocabulary size) gets ``h_i`` from content
alone; ID dropout in training teaches the content path to stand on its own.

Items move with the live graph: ``s_i(t)`` are the item's behaviour statistics at the moment
(``gnn.counting``: decayed counts of new buyers over an hour, a day and a week, all time, the
trend and the age), and the scoring vector and bias add a learned function of them, so an
item that starts selling rises without retraining; the item's newest buyers move it too
(``gnn.readout``: their user vectors pooled by recency, through an MLP), so an item gets a
vector near its first buyers' interests at once. Users read the items' *base* vectors
``h_i`` (identity and content), so a user's vector never goes stale when an item's counts move.

Args:
    n_items: item vocabulary size (items seen in training).
    n_categories: category vocabulary size.
    text_dim: size of the title/query text vectors (0: no text model).
    dim: vector size ``d`` (user and item vectors; stored vectors add 2 columns).
    num_layers: message-passing layers over the user's behaviour graph.
    k: how many of a user's newest edges are read.
    dropout: dropout on neighbour vectors in training.

Shapes:
    - items: :class:`~gnn.features.ItemContent` of ``N`` items -> ``(N, d)`` vectors, ``(N,)`` biases
    - users: item table ``(I, d)``, query table ``(Q, d)``, :class:`~gnn.features.Recent` of ``B``
      users -> ``(B, d)``
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Dropout, Embedding, EmbeddingBag, LayerNorm, Linear, ModuleList, Parameter, ReLU, Sequential
from torch_geometric.nn import GCNConv, GINEConv

from gnn.behaviour import REL_TYPES
from gnn.counting import N_STATS
from gnn.features import (
    EDGE_SCALARS,
    KIND_QUERY,
    EdgeFeatures,
    ItemContent,
    Recent,
    behaviour_edges,
    transition_edges,
)
from gnn.readout import BuyerInputs, BuyerReadout


class ItemTower(torch.nn.Module):
    """``h_i = e_i + W^h x_i``: a learnable ID vector plus a projection of content
    (categories, title text vector, price); ``b_i`` likewise."""

    def __init__(self, n_items: int, n_categories: int, text_dim: int, dim: int) -> None:
        super().__init__()
        self.n_items, self.n_categories, self.text_dim, self.dim = n_items, n_categories, text_dim, dim
        self.ids = Embedding(n_items + 1, dim, padding_idx=n_items)
        self.id_bias = Embedding(n_items + 1, 1, padding_idx=n_items)
        self.categories = EmbeddingBag(n_categories + 1, dim, mode="mean", padding_idx=n_categories)
        self.text = Linear(text_dim, dim, bias=False) if text_dim else None
        self.extras = Linear(3, dim, bias=False)
        self.content_bias = Linear(dim, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """ID vectors small and random, the padding rows and ID biases zero."""
        torch.nn.init.normal_(self.ids.weight, std=0.1)
        torch.nn.init.normal_(self.categories.weight, std=0.1)
        with torch.no_grad():
            self.ids.weight[self.n_items].zero_()
            self.categories.weight[self.n_categories].zero_()
            self.id_bias.weight.zero_()
        if self.text is not None:
            self.text.reset_parameters()
        self.extras.reset_parameters()
        self.content_bias.reset_parameters()

    def project_text(self, text: Tensor) -> Tensor:
        """``W^h`` applied to text vectors (titles and queries share it: one semantic space)."""
        if self.text is None or text.shape[-1] == 0:
            return torch.zeros(*text.shape[:-1], self.dim, device=text.device)
        return self.text(text)

    def forward(self, content: ItemContent, id_dropout: float = 0.0) -> tuple[Tensor, Tensor]:
        """``(h, b)``: each item's vector and bias; in training, ``id_dropout`` of the IDs fall back to content."""
        id_row = content.id_row
        if self.training and id_dropout > 0:
            drop = torch.rand(id_row.shape, device=id_row.device) < id_dropout
            id_row = torch.where(drop, torch.full_like(id_row, self.n_items), id_row)
        x = self.categories(content.categories) + self.project_text(content.text) + self.extras(content.extras)
        h = self.ids(id_row) + x
        b = self.id_bias(id_row).squeeze(-1) + self.content_bias(x).squeeze(-1)
        return h, b

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(items={self.n_items}, categories={self.n_categories}, " \
               f"text={self.text_dim}, dim={self.dim})"


class LiveState(torch.nn.Module):
    """``H_new = H + R W^r`` for items: the live statistics ``s_i(t)`` move an item's scoring
    vector and bias. The output layers start at zero, so a fresh model scores as the base does."""

    def __init__(self, dim: int, n_stats: int = N_STATS, hidden: int = 32) -> None:
        super().__init__()
        self.n_stats = n_stats
        self.vector = Sequential(Linear(n_stats, hidden), ReLU(), Linear(hidden, dim))
        self.bias = Sequential(Linear(n_stats, hidden), ReLU(), Linear(hidden, 1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Hidden layers at their default initialisation, output layers at zero."""
        for net in (self.vector, self.bias):
            net[0].reset_parameters()  # type: ignore[operator]
            torch.nn.init.zeros_(net[2].weight)  # type: ignore[arg-type]
            torch.nn.init.zeros_(net[2].bias)  # type: ignore[arg-type]

    def forward(self, h: Tensor, b: Tensor, stats: Tensor) -> tuple[Tensor, Tensor]:
        """The scoring ``(h(t), b(t))`` of items with base ``(h, b)`` and statistics ``stats``."""
        return h + self.vector(stats), b + self.bias(stats).squeeze(-1)


class EdgeEncoder(torch.nn.Module):
    """``R W^r``: an edge's type, recency rank and scalars (time gap, sentiment, count) as a
    ``d``-vector, shared by the layers (each layer's conv transforms it further)."""

    def __init__(self, k: int, dim: int) -> None:
        super().__init__()
        self.rel = Embedding(len(REL_TYPES) + 1, dim)
        self.rank = Embedding(k, dim)
        self.scalars = Linear(EDGE_SCALARS, dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Type and rank embeddings small and random, the scalar projection reset."""
        torch.nn.init.normal_(self.rel.weight, std=0.1)
        torch.nn.init.normal_(self.rank.weight, std=0.1)
        self.scalars.reset_parameters()

    def forward(self, e: EdgeFeatures) -> Tensor:
        """Each edge's ``d``-vector: its type, rank and scalar embeddings summed."""
        return self.rel(e.rel) + self.rank(e.rank) + self.scalars(e.scalars)


class InterestModel(torch.nn.Module, ABC):
    """Shared base: the item tower, ``num_layers`` convs over each user's behaviour graph
    and a jumping-knowledge readout. Subclasses choose the conv in :meth:`init_conv`."""

    def __init__(self, n_items: int, n_categories: int, text_dim: int, dim: int = 62, num_layers: int = 1,
                 k: int = 50, dropout: float = 0.2, live: bool = True, readout: bool = False) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        self.dim, self.num_layers, self.k = dim, num_layers, k
        self.items = ItemTower(n_items, n_categories, text_dim, dim)
        # v2 models (registered before items had live state) have no live layer.
        self.live = LiveState(dim) if live else None
        # Models registered before the buyer readout have none.
        self.buyers = BuyerReadout(dim) if live and readout else None
        self.query_marker = Parameter(torch.zeros(dim))
        self.user0 = Parameter(torch.zeros(dim))
        self.edges = EdgeEncoder(k, dim)
        self.convs = ModuleList(self.init_conv(dim, dim) for _ in range(num_layers))
        self.readout = Linear(dim * (num_layers + 1), dim)
        self.dropout = Dropout(dropout)
        self.reset_parameters()

    @abstractmethod
    def init_conv(self, in_channels: int, out_channels: int) -> torch.nn.Module:
        """One message-passing layer taking ``(x, edge_index, edge_attr)`` (edges as ``in_channels``-vectors)."""

    def reset_parameters(self) -> None:
        """Reset every part; the query marker and the users' starting vector start at zero."""
        self.items.reset_parameters()
        if self.live is not None:
            self.live.reset_parameters()
        if self.buyers is not None:
            self.buyers.reset_parameters()
        self.edges.reset_parameters()
        torch.nn.init.zeros_(self.query_marker)
        torch.nn.init.zeros_(self.user0)
        for conv in self.convs:
            conv.reset_parameters()  # type: ignore[operator]
        self.readout.reset_parameters()

    def query_vectors(self, text: Tensor) -> Tensor:
        """A searched query as a neighbour: its text vector in the items' space, marked as a query."""
        return self.items.project_text(text) + self.query_marker

    def forward(self, items: Tensor, queries: Tensor, recent: Recent) -> Tensor:
        """User vectors ``(B, d)`` from item vectors ``(I, d)``, query vectors ``(Q, d)`` and ``recent``."""
        B = len(recent)
        b_idx, r_idx = (recent.kind > 0).nonzero(as_tuple=True)  # row-major: each user's newest first
        E = len(b_idx)
        dev = b_idx.device
        rows = recent.row[b_idx, r_idx]
        is_query = recent.kind[b_idx, r_idx] == KIND_QUERY
        # Dropout on the tables, not per neighbour: the same item is dropped alike within a batch.
        items, queries = self.dropout(items), self.dropout(queries)
        nb = items[rows.clamp(max=max(len(items) - 1, 0))] if len(items) else torch.zeros(E, self.dim, device=dev)
        if len(queries) and bool(is_query.any()):
            nb = torch.where(is_query[:, None], queries[rows.clamp(max=len(queries) - 1)], nb)
        x = torch.cat([self.user0.expand(B, -1), nb])
        node = torch.arange(B, B + E, device=dev)
        to_user = torch.stack([node, b_idx])
        to_user_attr = self.edges(behaviour_edges(recent, b_idx, r_idx))
        # The newest neighbour of each user (-1: a user with no behaviour yet).
        first = torch.full((B,), -1, dtype=torch.long, device=dev)
        if E:
            starts = torch.ones(E, dtype=torch.bool, device=dev)
            starts[1:] = b_idx[1:] != b_idx[:-1]
            first[b_idx[starts]] = node[starts]
        outs = []
        for n, conv in enumerate(self.convs):
            if n < self.num_layers - 1:
                # Inner layers update every node: users, and neighbours through transitions.
                nxt = (b_idx[1:] == b_idx[:-1]).nonzero(as_tuple=True)[0]
                newer, older = node[nxt], node[nxt + 1]
                t = self.edges(transition_edges(r_idx[nxt]))
                edge_index = torch.cat([to_user, torch.stack([older, newer]), torch.stack([newer, older])], dim=1)
                x = conv(x, edge_index, torch.cat([to_user_attr, t, t])) + (x if n else 0)
                outs.append(x[:B])
            else:
                # The last layer is read at the users only: a bipartite pass into them.
                users = conv((x, x[:B]), to_user, to_user_attr) + (x[:B] if n else 0)
                outs.append(users)
        newest = torch.where((first >= 0)[:, None], x[first.clamp(min=0)], torch.zeros_like(outs[0]))
        return self.readout(torch.cat([*outs, newest], dim=-1))

    def live_items(self, h: Tensor, b: Tensor, stats: Tensor | None,
                   buyers: BuyerInputs | None = None) -> tuple[Tensor, Tensor]:
        """Items' scoring vectors and biases at the moment ``stats`` and ``buyers`` describe
        (base ones without)."""
        if self.live is None or stats is None:
            return h, b
        h, b = self.live(h, b, stats)
        if self.buyers is not None and buyers is not None:
            h, b = self.buyers(h, b, buyers)
        return h, b

    @staticmethod
    def scores(users: Tensor, items: Tensor, bias: Tensor) -> Tensor:
        """``z_u · h_i + b_i`` for every user-item pair: ``(B, I)``."""
        return users @ items.T + bias

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.items!r}, dim={self.dim}, num_layers={self.num_layers}, "
                f"k={self.k}, live={self.live is not None}, readout={self.buyers is not None})")


class GINModel(InterestModel):
    """GIN with edge features (`Hu et al., GINE <https://arxiv.org/abs/1905.12265>`_)."""

    def init_conv(self, in_channels: int, out_channels: int) -> torch.nn.Module:
        """A GINE layer whose MLP is Linear, LayerNorm, ReLU, Linear."""
        mlp = Sequential(Linear(in_channels, out_channels), LayerNorm(out_channels), ReLU(),
                         Linear(out_channels, out_channels))
        return GINEConv(mlp, train_eps=True)


class WeightedGCNConv(torch.nn.Module):
    """``GCNConv`` whose scalar edge weight is learned from the edge features.

    GCN's normalisation needs positive weights, so a softplus gate maps behaviour type,
    recency rank, gap and sentiment to one weight per message edge.
    """

    def __init__(self, in_channels: int, out_channels: int, edge_dim: int) -> None:
        super().__init__()
        self.gate = Linear(edge_dim, 1)
        self.conv = GCNConv(in_channels, out_channels, add_self_loops=True, normalize=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Reset the gate and the convolution."""
        self.gate.reset_parameters()
        self.conv.reset_parameters()

    def forward(self, x: Tensor | tuple[Tensor, Tensor], edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        """GCN over ``edge_index``, each edge weighted by the softplus of its gate."""
        weight = F.softplus(self.gate(edge_attr)).view(-1)
        if isinstance(x, tuple):  # GCNConv is not bipartite: targets are the first rows of the sources
            return self.conv(x[0], edge_index, weight)[:len(x[1])]
        return self.conv(x, edge_index, weight)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.conv.in_channels}, {self.conv.out_channels})"


class GCNModel(InterestModel):
    """GCN (`Kipf & Welling <https://arxiv.org/abs/1609.02907>`_) with learned edge weights."""

    def init_conv(self, in_channels: int, out_channels: int) -> torch.nn.Module:
        """A GCN layer whose edge weights are gated by the edge features."""
        return WeightedGCNConv(in_channels, out_channels, in_channels)


MODELS: dict[str, type[InterestModel]] = {"gin": GINModel, "gcn": GCNModel}
