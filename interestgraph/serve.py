"""Recommendations and similar shoppers, answered from the vector indexes."""

from __future__ import annotations

from typing import Any

from neo4j import Driver

from interestgraph.errors import InputError, NotFoundError
from interestgraph.graph import read
from interestgraph.settings import Settings

MAX_K = 1000


def similar_candidates(k: int) -> int:
    """How many users the vector index proposes for a top-``k`` similar-users answer, which the
    fresh vectors then rank: over-fetching makes up for the HNSW approximation and for the
    seconds the indexed copies lag behind (``README``: the recall table)."""
    return max(4 * k, 40) + 1


def _check(driver: Driver, settings: Settings, user_id: str, k: int) -> None:
    if not 1 <= k <= MAX_K:
        raise InputError(f"k must be between 1 and {MAX_K}, got {k}")
    state = read(driver, settings, "serve/user_state", user_id=user_id)[0]
    if not state["exists"]:
        raise NotFoundError(f"no user with id {user_id!r} in the graph")
    if not state["embedded"]:
        raise NotFoundError(f"user {user_id!r} has no embedding yet; run `interestgraph refresh` "
                            "(or wait for the gnn workers)")


def recommend(driver: Driver, settings: Settings, user_id: str, k: int = 10, prefix: str = "") -> list[dict[str, Any]]:
    """Top-``k`` items by cosine similarity to the user's embedding, minus items the user already has
    behaviour on; with a ``prefix``, only items whose id starts with it (one namespace, scored exactly)."""
    _check(driver, settings, user_id, k)
    return [dict(r) for r in read(driver, settings, "serve/recommend_items", user_id=user_id, k=k, prefix=prefix)]


def similar(driver: Driver, settings: Settings, user_id: str, k: int = 10, prefix: str = "") -> list[dict[str, Any]]:
    """Top-``k`` users by cosine similarity of their embeddings; with a ``prefix``, only users whose id
    starts with it."""
    _check(driver, settings, user_id, k)
    return [dict(r) for r in read(driver, settings, "serve/similar_users", user_id=user_id, k=k,
                                  candidates=similar_candidates(k), prefix=prefix)]
