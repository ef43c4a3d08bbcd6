"""``bench``: the benchmarks; each prints one JSON object (indented for people)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

import typer

from cli.common import Command, driver, positive_int, settings
from cli.output import JsonFlag, emit


class Benchmark(StrEnum):
    """The benchmarks ``bench`` can run."""

    ingest = "ingest"
    freshness = "freshness"
    inference = "inference"
    recall = "recall"
    nlp = "nlp"


def count_option(name: str, help_text: str | None = None) -> Any:
    """A positive-integer option."""
    return typer.Option(name, parser=positive_int, help=help_text)


def bench(what: Annotated[Benchmark, typer.Argument(metavar="WHAT", help="ingest|freshness|inference|recall|nlp")],
          rate: Annotated[list[int] | None, count_option(
              "--rate", "freshness: events/s (repeat to find the highest sustainable rate; default 500)")] = None,
          duration: Annotated[float, typer.Option("--duration", help="freshness: seconds of stream")] = 60.0,
          events: Annotated[int, count_option("--events")] = 100_000,
          users: Annotated[int, count_option("--users")] = 20_000,
          items: Annotated[int, count_option("--items")] = 10_000,
          batch_size: Annotated[int, count_option("--batch-size")] = 10000,
          no_baseline: Annotated[bool, typer.Option("--no-baseline", help="skip the LOAD CSV baseline")] = False,
          keep: Annotated[bool, typer.Option("--keep", help="keep the benchmark's nodes afterwards")] = False,
          profile: Annotated[bool, typer.Option(
              "--profile", help="freshness: where Neo4j's time went, by statement (neo4j_profile)")] = False,
          as_json: JsonFlag = False) -> None:
    """Run one benchmark and print its JSON result."""
    s = settings()
    progress = not as_json
    if what is Benchmark.nlp:
        from bench.nlp import benchmark_nlp as nlp

        out = nlp(s, progress=progress)
    elif what is Benchmark.freshness:
        from bench.freshness import benchmark_freshness as freshness

        with driver(s) as d:
            out = freshness(d, s, rates=rate or [500], duration=duration, users=users, items=items,
                            progress=progress, profile=profile)
    elif what is Benchmark.recall:
        from bench.recall import benchmark_recall as recall

        with driver(s) as d:
            out = recall(d, s, users=users, items=items, progress=progress)
    elif what is Benchmark.inference:
        from bench.inference import benchmark_inference as inference

        with driver(s) as d:
            out = inference(d, s, users=users, items=items, progress=progress)
    else:
        from bench.ingest import benchmark_ingest as ingest

        with driver(s) as d:
            out = ingest(d, s, events_n=events, users=users, items=items, batch_size=batch_size,
                         baseline=not no_baseline, keep=keep, progress=progress)
    emit(as_json, out, lambda p: json.dumps(p, indent=2))


COMMANDS: list[Command] = [("bench", "benchmarks; each prints one JSON object", bench)]

