"""A model's life cycle in one call: export the graph, train, pass the validation gate, register,
activate, re-embed; and the hook that keeps shoppers' vectors current as their events are ingested.

This is the domain step behind ``interestgraph train``; entry points (the CLI, scripts) call
:func:`train_and_register` and print what it returns.

**The gate decides what is served.** Training fits the fusion head and compares the fused
ranking with every counting baseline on the newest validation moments (``gnn.gate``):

- it beats them: the new version is activated and ranks ``fused``;
- it does not, and the active version is a trained model that passed its own gate: that
  version stays active (the new one is registered, not activated);
- it does not, and nothing better is active: the new version is activated to keep the
  vectors current, but recommend ranks by the best counting baseline (``ranking``), so no
  shop is served worse than counting.

The decision and its figures are in the output, the model card and ``interestgraph status``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from neo4j import Driver

from interestgraph.settings import Settings


def train_and_register(driver: Driver, settings: Settings, *, model: str = "gin", epochs: int = 40,
                       seed: int = 0, prefix: str = "", activate: bool = True, refresh: bool = True,
                       progress: bool = False, readout: bool = False) -> dict[str, Any]:
    """Export the graph (or one id namespace, ``prefix``), train a ``model`` ("gin" or "gcn")
    for at most ``epochs`` epochs (items reading their newest buyers when ``readout``), register
    the version with its card and, with ``activate``, let the gate decide what becomes active;
    with ``refresh``, re-embed every item and user (of the namespace) when a new version was
    activated.

    Returns a summary: the model tag, whether it is active and what recommend ranks by, the
    gate's decision, the weights' path, the training metrics and, after a re-embedding, its
    report under ``"refresh"``.
    """
    from dataclasses import replace

    from gnn.export import export
    from gnn.refresh import backfill_item_stats
    from gnn.refresh import refresh as reembed
    from gnn.registry import STORED_EXTRA, active_card, register
    from gnn.train import TrainConfig, train
    from interestgraph.device import pick_device

    # Stored vectors carry STORED_EXTRA columns beyond the model's own dimensions.
    cfg = TrainConfig(arch=model, max_epochs=epochs, seed=seed, dim=settings.embedding_dim - STORED_EXTRA,
                      readout=readout)
    data = export(driver, settings, prefix=prefix, progress=progress)
    backfilled = backfill_item_stats(driver, settings, prefix)
    result = train(data, cfg, device=pick_device(settings.device), progress=progress)
    version = time.strftime("v%Y%m%d-%H%M%S", time.gmtime())
    newest = max((e.last_ms for edges in data.edges.values() for e in edges), default=None)
    card = result.card(version, meta={"data_cutoff_ms": newest, "users": len(data.edges), "prefix": prefix or None})
    gate = result.gate
    current = active_card(settings)
    # What this version would be served with: the gate's verdict, whether or not it is activated now.
    if gate is None or gate.head is None:
        ranking = "model"
        verdict = "no gate: " + (gate.reason if gate is not None else "too little history to hold a validation "
                                                                      "slice out")
    elif gate.activate:
        ranking, verdict = "fused", gate.reason
    else:
        ranking, verdict = gate.best_baseline, gate.reason
    if not activate:
        make_active, decision = False, f"registered only (--no-activate); it would rank {ranking}: {verdict}"
    elif ranking != "fused" and current.meta.get("trained") and current.ranking == "fused":
        make_active, decision = False, f"not activated, {current.tag} stays active: {verdict}"
    elif ranking == "fused":
        make_active, decision = True, f"activated: {verdict}"
    elif ranking == "model":
        make_active, decision = True, f"activated without a gate ({verdict})"
    else:
        make_active, decision = True, f"activated, but recommend ranks by {ranking} (counting): {verdict}"
    card = replace(card, ranking=ranking, meta={**card.meta, "decision": decision})
    saved = register(settings, card, result.model, result.vocab, activate=make_active,
                     head=gate.head if gate is not None else None)
    out: dict[str, Any] = {"model": saved.tag, "active": make_active, "ranking": ranking, "decision": decision,
                           "weights": saved.weights, "prefix": prefix or None, "items_backfilled": backfilled,
                           **result.metrics()}
    if make_active and refresh:
        # A namespace's model re-embeds that namespace only: other data keeps its vectors (and a
        # re-embedding of a whole shared database would take minutes, not seconds).
        out["refresh"] = reembed(driver, settings, all_nodes=True, progress=progress, prefix=prefix).as_dict()
    return out


def online_embedder(driver: Driver, settings: Settings) -> Callable[[list[str]], int]:
    """The ingest writer's ``after_commit`` hook: each commit's users are re-embedded with the
    active model on a thread of their own (ingest never waits for it)."""
    from gnn.online import UpdateBehind, UserUpdater
    from gnn.refresh import RuntimeCache

    return UpdateBehind(UserUpdater(driver, settings, RuntimeCache(settings)))
