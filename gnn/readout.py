"""The item readout over its newest buyers: the mirror of the user readout.

A user's vector is read out of the items they touched; an item's live vector is read out of
the users who touched it lately. So an item a few shoppers bought moves towards their
interests at once, without retraining, and a new item has a meaningful vector after its
first buyers (before them it has content only).

GIN-style: the messages are the buyers' own user vectors, summed with recency weights at
three horizons (a day, a week, all time: the edge features are the touch's age and the
item's buyer count), and an MLP maps the sums to a change of the item's scoring vector and
bias. The output layer starts at zero, so a fresh model scores as without it.

Every reader gives the same inputs, as of its moment and never after it:

- training: each buyer's vector from their newest example before the time slice (a
  snapshot taken at each epoch's start, no gradient through it);
- the workers: the buyers' ``User.embedding_fresh`` from the graph;
- the evaluation: the buyers' vectors as the replay last computed them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.nn import Linear, ReLU, Sequential

from interestgraph.constants import DAY_MS, HOUR_MS

BUYERS = 10  # an item's newest buyers read
WEIGHT_HORIZONS_H = (DAY_MS / HOUR_MS, 7 * DAY_MS / HOUR_MS, float("inf"))


@dataclass
class BuyerInputs:
    """An item batch's newest buyers: ``vectors (N, M, d)`` (zeros where none), ``age_h (N, M)``
    hours since each buyer's first touch, ``mask (N, M)`` which slots hold a buyer."""

    vectors: Tensor
    age_h: Tensor
    mask: Tensor

    def to(self, device: torch.device) -> BuyerInputs:
        """The same inputs on ``device``."""
        return BuyerInputs(self.vectors.to(device), self.age_h.to(device), self.mask.to(device))

    @classmethod
    def of(cls, vectors: np.ndarray, times_ms: np.ndarray, mask: np.ndarray, now_ms: int) -> BuyerInputs:
        """From numpy: vectors ``(N, M, d)``, first-touch times ``(N, M)``, ``mask (N, M)`` as of ``now_ms``."""
        age = np.where(mask, np.maximum(now_ms - times_ms, 0) / HOUR_MS, 0.0)
        return cls(torch.from_numpy(np.asarray(vectors, np.float32)), torch.from_numpy(age.astype(np.float32)),
                   torch.from_numpy(np.asarray(mask, bool)))


def pooled(inputs: BuyerInputs) -> Tensor:
    """``(N, 3d + 3)``: the buyers' vectors averaged with each horizon's recency weights, and
    ``log1p`` of each horizon's total weight (how many buyers, how lately)."""
    out, mass = [], []
    for horizon in WEIGHT_HORIZONS_H:
        w = torch.exp(-inputs.age_h / horizon) * inputs.mask
        total = w.sum(dim=1, keepdim=True)
        out.append(torch.einsum("nm,nmd->nd", w, inputs.vectors) / total.clamp(min=1e-6))
        mass.append(torch.log1p(total))
    return torch.cat([*out, *mass], dim=1)


class BuyerReadout(torch.nn.Module):
    """The MLP of the readout: pooled buyers -> (change of the scoring vector, change of the bias)."""

    def __init__(self, dim: int, hidden: int = 32) -> None:
        super().__init__()
        self.mlp = Sequential(Linear(3 * dim + len(WEIGHT_HORIZONS_H), hidden), ReLU())
        self.vector = Linear(hidden, dim)
        self.bias = Linear(hidden, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The hidden layer at its default initialisation, the output layers at zero."""
        self.mlp[0].reset_parameters()  # type: ignore[operator]
        for out in (self.vector, self.bias):
            torch.nn.init.zeros_(out.weight)
            torch.nn.init.zeros_(out.bias)

    def forward(self, h: Tensor, b: Tensor, inputs: BuyerInputs) -> tuple[Tensor, Tensor]:
        """Scoring ``(h, b)`` moved by the items' newest buyers (an item without any keeps its own)."""
        x = self.mlp(pooled(inputs))
        has = inputs.mask.any(dim=1, keepdim=True)
        return h + self.vector(x) * has, b + (self.bias(x) * has).squeeze(-1)


def gather(vectors: np.ndarray, rows: np.ndarray, times_ms: np.ndarray, now_ms: int) -> BuyerInputs:
    """Buyer inputs from a table of user vectors ``(U, d)`` and each item's buyer rows into it
    ``(N, M)`` (-1: no buyer, or one without a vector)."""
    mask = rows >= 0
    table = np.concatenate([np.asarray(vectors, np.float32), np.zeros((1, vectors.shape[1]), np.float32)])
    return BuyerInputs.of(table[np.where(mask, rows, len(table) - 1)], times_ms, mask, now_ms)
