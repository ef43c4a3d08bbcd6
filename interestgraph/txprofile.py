"""Where Neo4j's time goes, by statement: a sampling profile of its running transactions.

An engineer's tool beside the graph handle (benchmarks use it; the tests may not import them).
Community has no query log, so ``bench freshness --profile`` asks ``SHOW TRANSACTIONS`` every
50 ms which registered statement each open transaction is running (the statement text is matched
against :mod:`interestgraph.cypher_registry`; a transaction between statements, or committing,
shows its ``work`` tag, e.g. ``ingest batch``) and whether it waits for a lock, and on whom.
Samples times the period give thread-seconds: how many of Neo4j's threads a statement kept busy
(or blocked), comparable between the stream's first and last minutes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver

from interestgraph.cypher_registry import names, statement_text
from interestgraph.settings import Settings

SAMPLE = ("SHOW TRANSACTIONS YIELD transactionId, currentQuery, status, metaData "
          "WHERE NOT currentQuery STARTS WITH 'SHOW TRANSACTIONS'")
BLOCKED = " [blocked]"


@dataclass
class Sample:
    """One look at the open transactions: seconds since the start, label counts, (waiter, holder) counts."""

    t: float
    running: Counter[str] = field(default_factory=Counter)
    blocked_by: Counter[tuple[str, str]] = field(default_factory=Counter)


def label_rows(rows: list[dict[str, Any]], by_text: dict[str, str]) -> Sample:
    """A sample from ``SHOW TRANSACTIONS`` rows: each transaction named by its statement (else its
    ``work`` tag), ``[blocked]`` when it waits for a lock, and who holds that lock."""
    label = {}
    for r in rows:
        text = (r.get("currentQuery") or "").strip()
        label[r["transactionId"]] = by_text.get(text) or (r.get("metaData") or {}).get("work") or (
            "(other statement)" if text else "(between statements)")
    sample = Sample(0.0)
    for r in rows:
        name, status = label[r["transactionId"]], str(r.get("status") or "")
        if status.startswith("Blocked"):
            sample.running[name + BLOCKED] += 1
            for holder in status.split("[", 1)[-1].rstrip("]").split(","):
                sample.blocked_by[(name, label.get(holder.strip(), "(other transaction)"))] += 1
        else:
            sample.running[name] += 1
    return sample


def summarise(samples: list[Sample], start: float, end: float, period: float, top: int = 15) -> dict[str, Any]:
    """Thread-seconds per statement (and per waiter <- holder pair) over samples in ``[start, end)``."""
    chosen = [s for s in samples if start <= s.t < end]
    running: Counter[str] = Counter()
    blocked: Counter[tuple[str, str]] = Counter()
    for s in chosen:
        running.update(s.running)
        blocked.update(s.blocked_by)
    # Each sample stands for one period of the window (samples may be late on a busy machine).
    scale = (end - start) / len(chosen) if chosen else period
    return {"from_s": round(start, 1), "to_s": round(end, 1), "samples": len(chosen),
            "thread_s": {k: round(v * scale, 2) for k, v in running.most_common(top)},
            "blocked_by": {f"{w} <- {h}": round(v * scale, 2) for (w, h), v in blocked.most_common(top)}}


class TransactionSampler:
    """Samples Neo4j's open transactions on a thread of its own between ``start()`` and ``stop()``."""

    def __init__(self, driver: Driver, settings: Settings, period: float = 0.05) -> None:
        self.driver, self.settings, self.period = driver, settings, period
        self.by_text = {statement_text(n).strip(): n for n in names()}
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="tx-sampler")
        self._t0 = 0.0

    def start(self) -> TransactionSampler:
        """Begin sampling; times are seconds from now."""
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling (waits for the sample in progress)."""
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        with self.driver.session(database=self.settings.neo4j_database) as session:
            while not self._stop.is_set():
                started = time.monotonic()
                sample = label_rows(session.run(SAMPLE).data(), self.by_text)
                sample.t = started - self._t0
                self.samples.append(sample)
                self._stop.wait(max(0.0, self.period - (time.monotonic() - started)))

    def report(self, stream_s: float, window_s: float = 100.0) -> dict[str, Any]:
        """The stream's first and last ``window_s`` seconds (halves of a shorter stream)."""
        w = min(window_s, stream_s / 2)
        return {"definition": "thread-seconds of Neo4j per statement (and per lock waiter <- holder), from "
                              f"SHOW TRANSACTIONS sampled every {self.period * 1000:.0f} ms, in the stream's first "
                              "and last window: how many of its threads a statement kept busy or waiting",
                "first": summarise(self.samples, 0.0, w, self.period),
                "last": summarise(self.samples, stream_s - w, stream_s, self.period)}
