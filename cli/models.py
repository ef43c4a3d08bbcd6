"""The interest model: ``train``, ``evaluate``, ``refresh``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from cli.common import Command, driver, positive_int, settings
from cli.output import JsonFlag, emit, table


class Arch(StrEnum):
    """The GNN architectures ``train`` can build."""

    gin = "gin"
    gcn = "gcn"


def train(model: Annotated[Arch, typer.Option("--model")] = Arch.gin,
          epochs: Annotated[int, typer.Option(
              "--epochs", parser=positive_int, help="at most this many epochs (early stopping)")] = 40,
          seed: Annotated[int, typer.Option("--seed")] = 0,
          prefix: Annotated[str, typer.Option("--prefix", help="train on one id namespace only")] = "",
          no_activate: Annotated[bool, typer.Option(
              "--no-activate", help="register without making it the active model")] = False,
          no_refresh: Annotated[bool, typer.Option(
              "--no-refresh", help="do not re-embed afterwards (everything, or the --prefix namespace)")] = False,
          readout: Annotated[bool, typer.Option(
              "--readout", help="items also read their newest buyers (slower to train; see README)")] = False,
          as_json: JsonFlag = False) -> None:
    """Train a model on the graph, register it and (unless told not to) activate it and re-embed."""
    from gnn.lifecycle import train_and_register

    s = settings()
    with driver(s) as d:
        out = train_and_register(d, s, model=model.value, epochs=epochs, seed=seed, prefix=prefix,
                                 activate=not no_activate, refresh=not no_refresh, progress=not as_json,
                                 readout=readout)
    emit(as_json, out, lambda p: (f"trained {p['model']} in {p['seconds']}s on {p['examples']} next-item examples: "
                                  f"val Recall@20 {p['val_recall@20']}, NDCG@20 {p['val_ndcg@20']} "
                                  f"(best epoch {p['best_epoch']}{', refit on all' if p['refit'] else ''}); "
                                  f"{p['decision']}"
                                  + (f"; re-embedded {p['refresh']['users']} users, {p['refresh']['items']} items"
                                     if "refresh" in p else "")
                                  + (f" under {p['prefix']!r} (nodes outside it keep their vectors until they "
                                     "change or `interestgraph refresh --all`)" if p["prefix"] and "refresh" in p
                                     else "")))


class Dataset(StrEnum):
    """The data sets ``evaluate`` can replay."""

    movielens_100k = "movielens-100k"
    ta_feng = "ta-feng"


def evaluate(dataset: Annotated[Dataset, typer.Option("--dataset")] = Dataset.movielens_100k,
             sample: Annotated[float | None, typer.Option(
                 "--sample", help="the share of customers replayed (ta-feng; default 0.2)")] = None,
             events: Annotated[str | None, typer.Option(
                 "--events", metavar="PATH", help="any contract-v1 event file instead of --dataset")] = None,
             cut: Annotated[float, typer.Option(
                 "--cut", help="the past is this time quantile of the events")] = 0.8,
             epochs: Annotated[int, typer.Option(
                 "--epochs", parser=positive_int, help="at most this many epochs per model")] = 40,
             seed: Annotated[int, typer.Option("--seed")] = 0,
             check_every: Annotated[int, typer.Option(
                 "--check-every", "--chunk", parser=positive_int,
                 help="events between the Neo4j train/serve checks")] = 500,
             keep: Annotated[bool, typer.Option("--keep", help="keep the evaluation namespace afterwards")] = False,
             stream_limit: Annotated[int | None, typer.Option(
                 "--stream-limit", parser=positive_int, help="replay only the first N events")] = None,
             readout: Annotated[bool, typer.Option(
                 "--readout", help="the GIN and GCN items also read their newest buyers")] = False,
             as_json: JsonFlag = False) -> None:
    """Replay a data set (or an event file) as a live stream and score every method on it."""
    from bench.evaluate import evaluate_methods

    s = settings()
    with driver(s) as d:
        out = evaluate_methods(d, s, source=events or dataset.value, sample=sample, quantile=cut, epochs=epochs,
                               seed=seed,
                               keep=keep, stream_limit=stream_limit, check_every=check_every, progress=not as_json,
                               readout=readout)
    emit(as_json, out, evaluation)


def evaluation(p: dict[str, Any]) -> list[Any]:
    """The human lines for an evaluation: the split, the per-method table and the update rate."""
    return [f"{p['dataset']}: {p['past_events']} past events, {p['stream_events']} replayed, "
            f"{p['scored_events']} scored ({p['cold_user_events']} from users unseen at the cut, "
            f"{p['cold_item_events']} on items unseen at the cut), {p['seconds']}s",
            table(p["methods"], ["method", "val_recall@20", "recall@20", "ndcg@20", "cold_items_recall@20"]),
            f"per-event update: {p['per_event_update']['users_per_s']} users/s; serve check: {p['serve_check']}"]


def refresh(all_nodes: Annotated[bool, typer.Option("--all", help="re-embed every user and item")] = False,
            in_process: Annotated[bool, typer.Option(
                "--in-process", help="run here instead of on a gnn worker")] = False,
            timeout: Annotated[float, typer.Option("--timeout", help="seconds to wait for the worker")] = 600.0,
            as_json: JsonFlag = False) -> None:
    """Re-embed dirty (or all) users and items, on a gnn worker unless ``--in-process``."""
    s = settings()
    if in_process:
        from gnn.refresh import refresh as reembed

        with driver(s) as d:
            out = reembed(d, s, all_nodes=all_nodes, progress=not as_json).as_dict()
    else:
        from workers.client import refresh as via_worker

        out = via_worker(all_nodes, timeout)
    emit(as_json, out, lambda p: (f"re-embedded {p['users']} users and {p['items']} items with {p['model']} "
                                  f"on {p['device']} in {p['seconds']:.2f}s ({p['batches']} batches)"))


COMMANDS: list[Command] = [
    ("train", "train a GIN or GCN on the graph, register it and re-embed", train),
    ("evaluate", "replay real events as a live stream and compare every method", evaluate),
    ("refresh", "re-embed dirty (or all) users and items now", refresh),
]

