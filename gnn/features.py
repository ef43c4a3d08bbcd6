"""What the interest model reads, as tensors: item content and users' recent behaviour.

Both are built here and only here, from the same inputs in training, evaluation and the
workers (one feature path):

- :class:`ItemContent`: an item's identity row, categories, title text vector and price.
- :class:`Recent`: each user's ``k`` newest behaviour edges (``gnn.behaviour``), padded,
  with their edge features (type, recency rank, time gap, sentiment, count).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from gnn.behaviour import ITEM, REL_TYPES, Edge

RECENT_K = 50
# An edge is described by its type (one of REL_TYPES, or TRANSITION between consecutive
# neighbours), its recency rank (0 = newest) and these scalars: gap, sentiment, has sentiment, count.
TRANSITION = len(REL_TYPES)
EDGE_SCALARS = 4
PAD, KIND_ITEM, KIND_QUERY = 0, 1, 2
HOUR_MS = 3_600_000.0


def gap_feature(gap_ms: float) -> float:
    """Time since the user's newest behaviour, log-compressed: 0 now, ~1 after a week, ~1.6 after a year."""
    return math.log1p(max(gap_ms, 0.0) / HOUR_MS) / 5.0


def count_feature(count: int) -> float:
    """An edge's event count, log-compressed: 0 for one event, ~1 at twenty."""
    return math.log1p(max(count, 1) - 1) / 3.0


@dataclass
class Recent:
    """``B`` users' newest ``k`` edges, newest first, padded with ``kind == PAD``."""

    kind: Tensor  # [B, k] long: PAD, KIND_ITEM or KIND_QUERY
    row: Tensor  # [B, k] long: row in the item or query table
    rel: Tensor  # [B, k] long: index into REL_TYPES
    gap: Tensor  # [B, k] float
    sentiment: Tensor  # [B, k] float, 0 when none
    has_sentiment: Tensor  # [B, k] float
    count: Tensor  # [B, k] float

    @property
    def k(self) -> int:
        """The number of edge slots per user."""
        return int(self.kind.shape[1])

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    def to(self, device: torch.device) -> Recent:
        """The same batch on ``device``."""
        return Recent(*(getattr(self, f).to(device) for f in self.__dataclass_fields__))

    @classmethod
    def empty(cls, n: int, k: int) -> Recent:
        """A batch of ``n`` users with nothing but padding."""
        z = np.zeros((n, k), np.int64)
        f = np.zeros((n, k), np.float32)
        return cls.from_numpy(z, z.copy(), z.copy(), f, f.copy(), f.copy(), f.copy())

    @classmethod
    def from_numpy(cls, kind: np.ndarray, row: np.ndarray, rel: np.ndarray, gap: np.ndarray, sentiment: np.ndarray,
                   has_sentiment: np.ndarray, count: np.ndarray) -> Recent:
        """A batch over the arrays :func:`fill_row` fills, without copying them."""
        return cls(torch.from_numpy(kind), torch.from_numpy(row), torch.from_numpy(rel), torch.from_numpy(gap),
                   torch.from_numpy(sentiment), torch.from_numpy(has_sentiment), torch.from_numpy(count))

    def slice(self, index: np.ndarray | Tensor) -> Recent:
        """The users at ``index`` as a batch of their own."""
        idx = torch.as_tensor(index)
        return Recent(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


_REL_INDEX = {r: n for n, r in enumerate(REL_TYPES)}


def fill_row(out: tuple[np.ndarray, ...], b: int, edges: Sequence[Edge],
             item_row: Callable[[str], int], query_row: Callable[[str], int]) -> None:
    """Write one user's edges (newest first, at most k) into row ``b`` of the padded arrays."""
    kind, row, rel, gap, sentiment, has_sentiment, count = out
    if not edges:
        return
    newest_ms = edges[0].last_ms
    for r, e in enumerate(edges):
        is_item = e.kind == ITEM
        kind[b, r] = KIND_ITEM if is_item else KIND_QUERY
        row[b, r] = item_row(e.target) if is_item else query_row(e.target)
        rel[b, r] = _REL_INDEX[e.rel]
        gap[b, r] = gap_feature(newest_ms - e.last_ms)
        if e.sentiment is not None:
            sentiment[b, r] = e.sentiment
            has_sentiment[b, r] = 1.0
        count[b, r] = count_feature(e.count)


def pack(edge_lists: Sequence[Sequence[Edge]], k: int, item_row: Callable[[str], int],
         query_row: Callable[[str], int]) -> Recent:
    """Pad users' edge lists (each newest first) into one :class:`Recent` batch."""
    n = len(edge_lists)
    arrays = (np.zeros((n, k), np.int64), np.zeros((n, k), np.int64), np.zeros((n, k), np.int64),
              np.zeros((n, k), np.float32), np.zeros((n, k), np.float32), np.zeros((n, k), np.float32),
              np.zeros((n, k), np.float32))
    for b, edges in enumerate(edge_lists):
        fill_row(arrays, b, edges[:k], item_row, query_row)
    return Recent.from_numpy(*arrays)


@dataclass
class EdgeFeatures:
    """Message edges' descriptions: type and rank (embedded by the model) and scalars."""

    rel: Tensor  # [E] long: REL_TYPES index, or TRANSITION
    rank: Tensor  # [E] long
    scalars: Tensor  # [E, EDGE_SCALARS] float

    @staticmethod
    def cat(parts: Sequence[EdgeFeatures]) -> EdgeFeatures:
        """The parts' edges in one set, in order."""
        return EdgeFeatures(torch.cat([p.rel for p in parts]), torch.cat([p.rank for p in parts]),
                            torch.cat([p.scalars for p in parts]))


def behaviour_edges(recent: Recent, b_idx: Tensor, r_idx: Tensor) -> EdgeFeatures:
    """Features of the neighbour -> user messages at positions ``(b_idx, r_idx)``."""
    scalars = torch.stack([recent.gap[b_idx, r_idx], recent.sentiment[b_idx, r_idx],
                           recent.has_sentiment[b_idx, r_idx], recent.count[b_idx, r_idx]], dim=1)
    return EdgeFeatures(recent.rel[b_idx, r_idx], r_idx, scalars)


def transition_edges(r_idx: Tensor) -> EdgeFeatures:
    """Features of transitions between consecutive neighbours (the rank is the newer one's)."""
    return EdgeFeatures(torch.full_like(r_idx, TRANSITION), r_idx,
                        torch.zeros(len(r_idx), EDGE_SCALARS, device=r_idx.device))


@dataclass
class ItemContent:
    """``N`` items' inputs to the item tower (``H = X W^h``)."""

    id_row: Tensor  # [N] long: row in the model's item vocabulary, or the vocabulary size (unknown)
    categories: Tensor  # [N, C] long: category vocabulary rows, padded with the category vocabulary size
    text: Tensor  # [N, T] float (T may be 0): the title's text vector, zeros when missing
    extras: Tensor  # [N, 3] float: log price, has price, has text

    def __len__(self) -> int:
        return int(self.id_row.shape[0])

    def to(self, device: torch.device) -> ItemContent:
        """The same items on ``device``."""
        return ItemContent(self.id_row.to(device), self.categories.to(device), self.text.to(device),
                           self.extras.to(device))


def item_content(id_rows: Sequence[int], categories: Sequence[Sequence[int]], texts: Sequence[Sequence[float] | None],
                 prices: Sequence[float | None], *, category_pad: int, text_dim: int) -> ItemContent:
    """Build :class:`ItemContent` from per-item values (texts of the wrong size count as missing)."""
    n = len(id_rows)
    width = max([len(c) for c in categories] + [1])
    cats = np.full((n, width), category_pad, np.int64)
    text = np.zeros((n, text_dim), np.float32)
    extras = np.zeros((n, 3), np.float32)
    for i in range(n):
        cs = categories[i]
        cats[i, :len(cs)] = cs
        t = texts[i]
        if t is not None and text_dim and len(t) == text_dim:
            text[i] = t
            extras[i, 2] = 1.0
        p = prices[i]
        if p is not None:
            extras[i, 0] = math.log1p(max(float(p), 0.0)) / 5.0
            extras[i, 1] = 1.0
    return ItemContent(torch.as_tensor(np.asarray(id_rows, np.int64)), torch.from_numpy(cats), torch.from_numpy(text),
                       torch.from_numpy(extras))
