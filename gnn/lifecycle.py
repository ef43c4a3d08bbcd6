"""A model's life cycle in one call: export the graph, train, write the card, register, re-embed;
and the hook that keeps shoppers' vectors current as their events are ingested.

This is the domain step behind ``interestgraph train``; entry points (the CLI, scripts) call
:func:`train_and_register` and print what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from neo4j import Driver

from interestgraph.settings import Settings


def train_and_register(driver: Driver, settings: Settings, *, model: str = "gin", epochs: int = 40,
                       seed: int = 0, prefix: str = "", activate: bool = True, refresh: bool = True,
                       progress: bool = False) -> dict[str, Any]:
    """Export the graph (or one id namespace, ``prefix``), train a ``model`` ("gin" or "gcn")
    for at most ``epochs`` epochs, register the version with its card and, with ``activate``,
    make it the active model; with ``activate`` and ``refresh``, re-embed every item and user.

    Returns a summary: the model tag, whether it is active, the weights' path, the training
    metrics and, after a re-embedding, its report under ``"refresh"``.
    """
    from gnn.registry import STORED_EXTRA
    from gnn.train import TrainConfig
    from gnn.train import train_and_register as train_config_and_register

    # Stored vectors carry STORED_EXTRA columns beyond the model's own dimensions.
    cfg = TrainConfig(arch=model, max_epochs=epochs, seed=seed, dim=settings.embedding_dim - STORED_EXTRA)
    return train_config_and_register(driver, settings, cfg, prefix=prefix, activate=activate, reembed=refresh,
                                     progress=progress)


def online_embedder(driver: Driver, settings: Settings) -> Callable[[list[str]], int]:
    """The ingest writer's ``after_commit`` hook: each commit's users are re-embedded with the
    active model on a thread of their own (ingest never waits for it)."""
    from gnn.online import UpdateBehind, UserUpdater
    from gnn.refresh import RuntimeCache

    return UpdateBehind(UserUpdater(driver, settings, RuntimeCache(settings)))
