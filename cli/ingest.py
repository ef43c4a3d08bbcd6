"""Events in: ``ingest`` (files or a followed stream), ``publish``, ``dataset``, ``ledger``."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import Command, driver, positive_int, say, settings
from cli.output import JsonFlag, emit
from interestgraph.errors import InputError

if TYPE_CHECKING:
    from neo4j import Driver

    from interestgraph.settings import Settings

BatchSize = Annotated[int, typer.Option("--batch-size", parser=positive_int)]


def embedder(d: Driver, s: Settings, embed: bool) -> Callable[[list[str]], int] | None:
    """The writer's per-commit hook: re-embed each batch's users with the active model (unless --no-embed)."""
    if not embed:
        return None
    from gnn.lifecycle import online_embedder

    return online_embedder(d, s)


def summary(p: dict[str, Any]) -> str:
    """The human line for an ingest result: counts, rate and where rejected lines went."""
    return (f"accepted {p['accepted']}, rejected {p['rejected']}, duplicates {p['duplicates']} "
            f"({p['events_per_s']:.0f} events/s)"
            + (f"; rejected lines are in {p['dead_letter']}" if p.get("dead_letter") else ""))


def ingest(
    paths: Annotated[list[str] | None, typer.Argument(metavar="PATH")] = None,
    follow: Annotated[str | None, typer.Option(
        "--follow", metavar="URL", help="consume redis://host:port/db/stream with a consumer group")] = None,
    group: Annotated[str, typer.Option("--group", help="--follow: the consumer group")] = "interestgraph",
    idle_exit: Annotated[float | None, typer.Option(
        "--idle-exit", metavar="S", help="--follow: stop after S seconds without new entries")] = None,
    max_seconds: Annotated[float | None, typer.Option(
        "--max-seconds", help="--follow: stop after this long")] = None,
    block_ms: Annotated[int, typer.Option(
        "--block-ms", parser=positive_int,
        help="--follow: wait at most this long for new entries before writing a batch")] = 200,
    no_embed: Annotated[bool, typer.Option(
        "--no-embed", "--no-delta",
        help="do not re-embed the users after each batch (the refresh backlog will)")] = False,
    dead_letter: Annotated[str | None, typer.Option(
        "--dead-letter", metavar="FILE",
        help="where rejected lines go (default $INTERESTGRAPH_HOME/dead-letter.jsonl)")] = None,
    batch_size: BatchSize = 10000,
    no_text: Annotated[bool, typer.Option(
        "--no-text", help="leave titles, queries and reviews to the nlp workers")] = False,
    backfill: Annotated[bool, typer.Option(
        "--backfill", help="load history on purpose: accept events older than the replay window "
                           "(INTERESTGRAPH_LEDGER_DAYS) and keep their ids for good")] = False,
    as_json: JsonFlag = False,
) -> int:
    """Exit status 0 when every line landed, 1 when some were rejected (see the dead-letter file)."""
    from ingest import runner

    s = settings()
    if follow:
        with driver(s) as d:
            out = runner.follow(d, s, follow, dead_letter=dead_letter, group=group, batch_size=batch_size,
                                block_ms=block_ms, max_seconds=max_seconds, idle_exit=idle_exit,
                                after_commit=embedder(d, s, not no_embed), announce=None if as_json else say,
                                backfill=backfill)
        emit(as_json, out, lambda p: summary({"accepted": 0, "rejected": 0, "duplicates": 0, **p}))
        return 1 if out.get("rejected") else 0
    if not paths:
        raise InputError("ingest needs at least one PATH, or --follow redis://host:port/db/stream")
    with driver(s) as d:
        out = runner.ingest_files(d, s, paths, dead_letter=dead_letter, batch_size=batch_size,
                                  after_commit=embedder(d, s, not no_embed), text=not no_text,
                                  quiet=as_json, backfill=backfill)
    emit(as_json, out, summary)
    return 1 if out["rejected"] else 0


def publish(paths: Annotated[list[str], typer.Argument(metavar="PATH")],
            stream: Annotated[str, typer.Option("--stream", metavar="URL", help="redis://host:port/db/stream")],
            as_json: JsonFlag = False) -> None:
    """Append event files to a Redis stream and say how many were published (no Neo4j settings needed)."""
    from ingest.runner import publish_files
    from interestgraph.settings import Settings

    emit(as_json, publish_files(Settings.without_graph(), stream, paths),
         lambda p: f"published {p['published']} events to {p['stream']}")


class DatasetAction(StrEnum):
    """What ``dataset`` can do."""

    load = "load"


class DatasetName(StrEnum):
    """The data sets ``dataset`` can load."""

    movielens_100k = "movielens-100k"
    ta_feng = "ta-feng"


def dataset(action: Annotated[DatasetAction, typer.Argument(metavar="ACTION", help="load")],
            name: Annotated[DatasetName, typer.Argument(metavar="NAME", help="movielens-100k or ta-feng")],
            sample: Annotated[float, typer.Option(
                "--sample", help="the share of customers to load (ta-feng only), e.g. 0.2")] = 1.0,
            dead_letter: Annotated[str | None, typer.Option("--dead-letter", metavar="FILE")] = None,
            batch_size: BatchSize = 10000,
            no_text: Annotated[bool, typer.Option("--no-text", help="leave the titles to the nlp workers")] = False,
            no_embed: Annotated[bool, typer.Option(
                "--no-embed", help="do not re-embed the users after each batch")] = False,
            as_json: JsonFlag = False) -> None:
    """Load a shipped data set into the graph, re-embedding users as it goes unless told not to."""
    from ingest.runner import load_dataset

    s = settings()
    with driver(s) as d:
        out = load_dataset(d, s, name=name.value, sample=sample, dead_letter=dead_letter, batch_size=batch_size,
                           after_commit=embedder(d, s, not no_embed), text=not no_text, quiet=as_json)
    emit(as_json, out, lambda p: f"{p['dataset']}: " + summary(p) + f" in {p['load_seconds']:.1f}s")


class LedgerAction(StrEnum):
    """What ``ledger`` can do."""

    prune = "prune"


def ledger(action: Annotated[LedgerAction, typer.Argument(metavar="ACTION", help="prune")],
           days: Annotated[float, typer.Option("--days", help="keep this many days of event ids")],
           as_json: JsonFlag = False) -> None:
    """Remove ledger entries older than ``days`` days."""
    from ingest.ledger import prune

    s = settings()
    with driver(s) as d:
        before_ms = prune(d, s, days)
    emit(as_json, {"pruned_before_ms": before_ms}, lambda p: f"ledger entries older than {days} days removed")


COMMANDS: list[Command] = [
    ("ingest", "ingest event files (JSON Lines or CSV, .gz too) or a Redis stream", ingest),
    ("publish", "append event files to a Redis stream (producers' side)", publish),
    ("dataset", "load a real data set shipped inside a package", dataset),
    ("ledger", "the exactly-once event ledger", ledger),
]

