"""File ingest, step by step: read -> validate -> dead-letter -> batch -> write.

``sync`` is the one entry point that the CLI and the ``ingest`` Celery queue call.
"""

from __future__ import annotations

import json
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ingest.deadletter import DeadLetters
from ingest.decode import preview
from ingest.events import Event, InvalidEvent, parse_record
from ingest.ledger import ReplayWindow
from ingest.sources import Record, Rejection, read_records
from ingest.writer import BatchResult, GraphWriter
from interestgraph.errors import InputError

DEFAULT_BATCH_SIZE = 10000
DEFAULT_WRITERS = 1


@dataclass
class IngestReport:
    """What an ingest did: events accepted, rejected and duplicate, its time and where rejected lines went."""

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    dead_letter: str | None = None

    @property
    def events_per_s(self) -> float:
        """Events (accepted and duplicate) per second of the run; 0 before any time has passed."""
        total = self.accepted + self.duplicates
        return total / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The fields plus ``events_per_s`` (rounded), as the CLI reports them."""
        return {**asdict(self), "events_per_s": round(self.events_per_s, 1)}


def validated(source: str, records: Iterable[tuple[int, Record]], dead: DeadLetters,
              now_ms: int | None = None, window: ReplayWindow | None = None) -> Iterator[Event]:
    """Records that pass contract v1 as events; the rest go to ``dead`` with their line numbers.

    With a ``window``, events dated before it are dead-lettered too (see :class:`ReplayWindow`).
    """
    for lineno, rec in records:
        if isinstance(rec, Rejection):
            dead.add(rec)
            continue
        try:
            ev = parse_record(rec, now_ms)
        except InvalidEvent as e:
            dead.add(Rejection(source, lineno, str(e), _dead_letter_text(rec)))
            continue
        except Exception as e:  # noqa: BLE001 - parse_record promises InvalidEvent; a record never stops the run
            dead.add(Rejection(source, lineno, f"cannot validate this record ({type(e).__name__})",
                               _dead_letter_text(rec)))
            continue
        too_old = window.refusal(ev.ts_ms, now_ms) if window is not None else None
        if too_old is not None:
            dead.add(Rejection(source, lineno, too_old, _dead_letter_text(rec)))
            continue
        yield ev


def _from_files(paths: Sequence[Path], dead: DeadLetters, window: ReplayWindow | None) -> Iterator[Event]:
    for path in paths:
        yield from validated(str(path), read_records(path), dead, window=window)


def _dead_letter_text(rec: Any) -> str:
    """The record as it came, for its dead letter; never fails (deep or odd records get their repr)."""
    try:
        text = json.dumps(rec, ensure_ascii=False, default=str)
    except Exception:  # noqa: BLE001 - RecursionError, a failing __str__: the reason matters more
        try:
            text = repr(rec)
        except Exception:  # noqa: BLE001
            text = f"<{type(rec).__name__}>"
    return preview(text)


def batches(events: Iterable[Event], size: int) -> Iterator[list[Event]]:
    """``events`` in lists of ``size`` (the last may be shorter); a size below 1 is an input error."""
    if size <= 0:
        raise InputError(f"batch_size must be > 0, got {size}")
    batch: list[Event] = []
    for ev in events:
        batch.append(ev)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def sync(paths: Sequence[Path], writer: GraphWriter, dead_letter: Path,
         batch_size: int = DEFAULT_BATCH_SIZE, progress: bool | None = None,
         window: ReplayWindow | None = None) -> IngestReport:
    """Ingest every file in ``paths``; returns counts of accepted, rejected and duplicate events.

    ``window`` refuses events dated before it (the entry points pass one unless backfilling).
    """
    for p in paths:
        if not p.is_file():
            raise InputError(f"{p}: no such file")
    return load(lambda dead: _from_files(paths, dead, window), writer, dead_letter, batch_size, progress)


def sync_records(source: str, records: Sequence[dict[str, Any]], writer: GraphWriter, dead_letter: Path,
                 batch_size: int = DEFAULT_BATCH_SIZE, progress: bool | None = None) -> IngestReport:
    """Ingest in-memory records (a data set loader's output); positions count from 1."""
    return load(lambda dead: validated(source, enumerate(records, start=1), dead), writer, dead_letter,
                batch_size, progress, total=len(records))


def load(events: Callable[[DeadLetters], Iterable[Event]], writer: GraphWriter, dead_letter: Path,
         batch_size: int, progress: bool | None, total: int | None = None,
         writers: int = DEFAULT_WRITERS) -> IngestReport:
    """Read and validate on this thread while the writer thread commits the previous batch.

    At most ``writers`` batches are in flight, which keeps memory flat on any stream
    length. More than one writer is correct (the decayed-weight merge is order-independent
    and the ledger keeps concurrent batches exactly-once) but measured slower here: popular
    categories and items make concurrent batches deadlock and retry, so the default is 1.
    """
    if writers <= 0:
        raise InputError(f"writers must be > 0, got {writers}")
    show = sys.stderr.isatty() if progress is None else progress
    report = IngestReport()
    started = time.perf_counter()
    in_flight: deque[tuple[Future[BatchResult], int]] = deque()

    def settle(fut: Future[BatchResult], size: int) -> None:
        result = fut.result()
        report.accepted += result.accepted
        report.duplicates += result.duplicates
        bar.update(size)
        bar.set_postfix(rejected=dead.count, dup=report.duplicates)

    with DeadLetters(dead_letter) as dead, \
            tqdm(desc="ingest", unit="ev", disable=not show, total=total, file=sys.stderr) as bar, \
            ThreadPoolExecutor(max_workers=writers, thread_name_prefix="ingest-writer") as pool:
        try:
            for batch in batches(events(dead), batch_size):
                while len(in_flight) >= writers:
                    settle(*in_flight.popleft())
                in_flight.append((pool.submit(writer.write, batch), len(batch)))
            while in_flight:
                settle(*in_flight.popleft())
        except BaseException:
            for fut, _ in in_flight:
                fut.cancel()
            raise
        report.rejected = dead.count
    writer.flush()  # the per-event embedding of the last batches, when it runs behind ingest
    report.seconds = time.perf_counter() - started
    report.dead_letter = str(dead_letter) if report.rejected else None
    return report
