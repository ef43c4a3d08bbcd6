"""A loaded interest model, ready to embed: the one code path from inputs to vectors.

Training (for validation), the evaluation harness, the ingest fast path and the Celery
workers all embed through :class:`ModelRuntime`, so a vector is computed by the same code
from the same inputs wherever it is computed.

- Items: :meth:`ModelRuntime.item_vectors` from :class:`ItemRecord` s (content as stored on
  the node). Vectors are cached per process by id and content version (``content_seq``),
  so the per-event path reads ids, never vectors.
- Queries: their text vector, projected into the items' space, cached the same way.
- Users: :meth:`ModelRuntime.user_vectors` from each user's newest edges.

Stored vectors (``embedding`` on nodes, in the cosine vector indexes) carry two extra
columns so that cosine search ranks exactly by the model's score ``z·h + b``: items are
``[h, b/c, pad]`` with ``pad`` making every item's norm ``card.item_norm``, users ``[z, c, 0]``.
The constant ``c`` is small so that user-to-user cosine (similar shoppers) is about ``z`` alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from gnn.behaviour import Edge
from gnn.features import ItemContent, item_content, pack
from gnn.models import InterestModel
from gnn.readout import BuyerInputs
from gnn.registry import ModelCard, Vocabulary, load
from interestgraph.device import pick_device


@dataclass(frozen=True)
class ItemRecord:
    """An item's content as the graph stores it."""

    id: str
    content_seq: int = 0
    text: Sequence[float] | None = None
    text_model: str | None = None
    price: float | None = None
    categories: Sequence[str] = ()


@dataclass(frozen=True)
class QueryRecord:
    """A searched query's text vector as the graph stores it."""

    id: str
    content_seq: int = 0
    text: Sequence[float] | None = None
    text_model: str | None = None


def item_inputs(records: Sequence[ItemRecord], item_index: dict[str, int], category_index: dict[str, int], *,
                text_dim: int, text_model: str | None) -> ItemContent:
    """The item tower's inputs for ``records``; text from another text model counts as missing."""
    texts = [r.text if (text_model is None or r.text_model == text_model) else None for r in records]
    return item_content([item_index.get(r.id, len(item_index)) for r in records],
                        [[category_index[x] for x in r.categories if x in category_index] for r in records],
                        texts, [r.price for r in records], category_pad=len(category_index), text_dim=text_dim)


USER_BIAS_COLUMN = 0.1  # c above


SMALL_BATCH = 1024  # users: below this the readout runs on one CPU thread


@contextmanager
def one_intra_op_thread(device: torch.device, batch: int) -> Iterator[None]:
    """Run a small batch's CPU ops on one thread: the per-event readout is many small ops, and a
    second OpenMP thread only spins against Neo4j and ingest for the same cores (measured on the
    2-core dev box under load: 300 users in 281 ms with two threads, 26 ms with one). Bulk
    batches keep every thread (14,006 users: 0.31 s of compute with two, 0.83 s with one)."""
    if device.type != "cpu" or batch >= SMALL_BATCH:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class VectorTable:
    """Vectors (and biases) by id, each with the content version it was computed from."""

    def __init__(self, dim: int, device: torch.device) -> None:
        self.rows: dict[str, int] = {}
        self.seq: list[int] = []
        self.vectors = torch.zeros(64, dim, device=device)
        self.bias = torch.zeros(64, device=device)

    def __len__(self) -> int:
        return len(self.seq)

    def stale(self, versions: Iterable[tuple[str, int]]) -> list[str]:
        """Ids that are missing, or cached from older content."""
        out = []
        for node_id, seq in versions:
            row = self.rows.get(node_id)
            if row is None or self.seq[row] != seq:
                out.append(node_id)
        return sorted(set(out))

    def put(self, ids: Sequence[str], seqs: Sequence[int], vectors: Tensor, bias: Tensor | None = None) -> None:
        """Store vectors (and biases) for ``ids`` at content versions ``seqs``, growing the table as needed."""
        need = len(self.seq) + sum(1 for i in ids if i not in self.rows)
        if need > len(self.vectors):
            cap = max(need, 2 * len(self.vectors))
            grown = torch.zeros(cap, self.vectors.shape[1], device=self.vectors.device)
            grown[:len(self.vectors)] = self.vectors
            gbias = torch.zeros(cap, device=self.bias.device)
            gbias[:len(self.bias)] = self.bias
            self.vectors, self.bias = grown, gbias
        for n, (node_id, seq) in enumerate(zip(ids, seqs, strict=True)):
            row = self.rows.get(node_id)
            if row is None:
                row = self.rows[node_id] = len(self.seq)
                self.seq.append(seq)
            else:
                self.seq[row] = seq
            self.vectors[row] = vectors[n]
            if bias is not None:
                self.bias[row] = bias[n]

    def row(self, node_id: str) -> int:
        """The table row of ``node_id`` (KeyError when it is not cached)."""
        return self.rows[node_id]

    @property
    def table(self) -> Tensor:
        """The filled rows of the vector table."""
        return self.vectors[:len(self.seq)]


class ModelRuntime:
    """One model version on its device, with per-process item and query vector caches."""

    def __init__(self, card: ModelCard, model: InterestModel, vocab: Vocabulary, device: torch.device | None = None):
        self.card = card
        self.device = device or torch.device("cpu")
        self.model = model.eval().to(self.device)
        self.vocab = vocab
        self.item_index = {i: n for n, i in enumerate(vocab.items)}
        self.category_index = {c: n for n, c in enumerate(vocab.categories)}
        self.items = VectorTable(card.dim, self.device)
        self.queries = VectorTable(card.dim, self.device)
        # Several threads may embed at once (refresh batches in parallel): the caches change
        # under this lock and are read under it.
        self.lock = threading.RLock()

    @classmethod
    def from_card(cls, card: ModelCard, device_choice: str = "auto") -> ModelRuntime:
        """The runtime of ``card``'s model, its weights loaded onto the chosen device."""
        model, vocab = load(card)
        return cls(card, model, vocab, pick_device(device_choice))

    # --- items and queries -------------------------------------------------------------

    def content(self, records: Sequence[ItemRecord]) -> ItemContent:
        """The item tower's inputs for ``records``, indexed by this model's vocabulary."""
        return item_inputs(records, self.item_index, self.category_index, text_dim=self.card.text_dim,
                           text_model=self.card.text_model)

    @torch.inference_mode()
    def item_vectors(self, records: Sequence[ItemRecord]) -> tuple[Tensor, Tensor]:
        """``(h, b)`` for each record, on the CPU."""
        if not records:
            return torch.zeros(0, self.card.dim), torch.zeros(0)
        h, b = self.model.items(self.content(records).to(self.device))
        return h.float().cpu(), b.float().cpu()

    @torch.inference_mode()
    def live_items(self, h: Tensor, b: Tensor, stats: np.ndarray | None,
                   buyers: BuyerInputs | None = None) -> tuple[Tensor, Tensor]:
        """Items' scoring ``(h(t), b(t))`` from their base vectors, live statistics ``stats``
        (``(N, N_STATS)``; None, or a model without live state: the base ones) and newest
        ``buyers`` (None, or a model without the readout: not read), on the CPU."""
        st = torch.from_numpy(np.asarray(stats, np.float32)).to(self.device) if stats is not None else None
        by = buyers.to(self.device) if buyers is not None else None
        hl, bl = self.model.live_items(h.to(self.device), b.to(self.device), st, by)
        return hl.float().cpu(), bl.float().cpu()

    def remember_items(self, records: Sequence[ItemRecord]) -> tuple[Tensor, Tensor]:
        """Compute the items' vectors and cache them at their content versions; returns ``(h, b)``."""
        h, b = self.item_vectors(records)
        with self.lock:
            self.items.put([r.id for r in records], [r.content_seq for r in records], h, b)
        return h, b

    @torch.inference_mode()
    def remember_queries(self, records: Sequence[QueryRecord]) -> None:
        """Compute the queries' vectors from their text and cache them (no text, or another model's: zeros)."""
        if not records:
            return
        dim = self.card.text_dim
        text = np.zeros((len(records), dim), np.float32)
        for n, r in enumerate(records):
            same_model = self.card.text_model is None or r.text_model == self.card.text_model
            if r.text is not None and dim and len(r.text) == dim and same_model:
                text[n] = r.text
        vectors = self.model.query_vectors(torch.from_numpy(text).to(self.device))
        with self.lock:
            self.queries.put([r.id for r in records], [r.content_seq for r in records], vectors)

    # --- users -------------------------------------------------------------------------

    @torch.inference_mode()
    def user_vectors(self, edge_lists: Sequence[Sequence[Edge]]) -> Tensor:
        """``z_u`` for each user's newest edges (every target must be remembered), on the CPU."""
        if not edge_lists:
            return torch.zeros(0, self.card.dim)
        with self.lock, one_intra_op_thread(self.device, len(edge_lists)):
            recent = pack(edge_lists, self.card.k, self.items.row, self.queries.row).to(self.device)
            return self.model(self.items.table, self.queries.table, recent).float().cpu()

    # --- stored form ---------------------------------------------------------------------

    def stored_items(self, h: Tensor, b: Tensor) -> np.ndarray:
        """``[h, b/c, pad]`` with every row's norm ``card.item_norm`` (rows above it are scaled down)."""
        v = torch.cat([h, b[:, None] / USER_BIAS_COLUMN], dim=1).double()
        norm = v.norm(dim=1, keepdim=True)
        bound = self.card.item_norm
        v = torch.where(norm > bound, v * (bound / norm.clamp(min=1e-12)), v)
        pad = (bound ** 2 - (v ** 2).sum(dim=1, keepdim=True)).clamp(min=0).sqrt()
        return torch.cat([v, pad], dim=1).numpy()

    @staticmethod
    def stored_users(z: Tensor) -> np.ndarray:
        """``[z, c, 0]``: its dot product with a stored item is the model's score."""
        c = torch.full((len(z), 1), USER_BIAS_COLUMN, dtype=z.dtype)
        return torch.cat([z, c, torch.zeros_like(c)], dim=1).double().numpy()
