"""The fast path between GNN refreshes: ``h_new = h + r W^r`` from the seed, made concrete.

Each event nudges the user's vector toward (or, for a negative review, away from) the
vector of the item it touched, scaled by the event type's weight; the next GNN refresh
re-anchors it. ``W^r`` is the active model's transform when it has one, else identity.
"""

from __future__ import annotations

import numpy as np

from ingest.events import TYPE_WEIGHT, EventType

ALPHA = 0.15
_MAX_WEIGHT = max(TYPE_WEIGHT.values())


def event_strength(event_type: str, sentiment: float | None = None) -> float:
    """How far one event moves a user: type weight relative to a purchase, signed by sentiment."""
    strength = ALPHA * TYPE_WEIGHT[EventType(event_type)] / _MAX_WEIGHT
    if sentiment is not None:
        strength *= sentiment
    return strength


def nudge(user: np.ndarray, target: np.ndarray, strength: float, w_r: np.ndarray | None = None) -> np.ndarray:
    """``normalise(user + strength * target W^r)``; vectors stay on the unit sphere like the GNN's."""
    r = target if w_r is None else target @ w_r
    moved = user + strength * r
    norm = np.linalg.norm(moved)
    return user if norm == 0 else moved / norm
