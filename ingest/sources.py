"""File sources: JSON Lines and CSV, optionally gzip-compressed.

Each source yields ``(line_number, record_or_rejection)``: a decoded record (a mapping)
or a :class:`Rejection` for a line that cannot even be decoded. Validation of decoded
records is :func:`ingest.events.parse_record`'s job, so both formats share one contract.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from interestgraph.errors import InputError

# CSV columns; item metadata is flattened, and several categories are separated by "|".
CSV_COLUMNS = ("event_id", "user_id", "type", "ts", "item_id", "query", "text", "rating",
               "item_title", "item_category", "item_price")
_ITEM_COLUMNS = ("item_title", "item_category", "item_price")
MAX_LINE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Rejection:
    """A line that broke the contract: where it was, why, and the raw text."""

    source: str
    line: int
    reason: str
    raw: str

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "reason": self.reason, "raw": self.raw}


Record = dict[str, Any] | Rejection


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="strict", newline="")
    return open(path, encoding="utf-8", errors="strict", newline="")


def _format_of(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if last == ".csv":
        return "csv"
    raise InputError(f"{path}: expected a .jsonl, .ndjson, .json or .csv file (optionally .gz), got {path.name!r}")


def read_records(path: Path) -> Iterator[tuple[int, Record]]:
    """Yield ``(line_number, record)`` for every non-blank line of ``path``."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: expected a file, got a directory or special file")
    fmt = _format_of(path)
    try:
        with _open_text(path) as handle:
            yield from (_read_jsonl(handle, str(path)) if fmt == "jsonl" else _read_csv(handle, str(path)))
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: cannot be read: {e}") from e


def _read_jsonl(handle: TextIO, source: str) -> Iterator[tuple[int, Record]]:
    lineno = 0
    while True:
        try:
            line = handle.readline()
        except UnicodeDecodeError as e:
            lineno += 1
            yield lineno, Rejection(source, lineno, f"not valid UTF-8 ({e.reason})", "")
            return  # the decoder cannot resynchronise reliably after a bad byte
        if not line:
            return
        lineno += 1
        if not line.strip():
            continue
        if len(line.encode("utf-8")) > MAX_LINE_BYTES:
            yield lineno, Rejection(source, lineno, f"line is longer than {MAX_LINE_BYTES} bytes", line[:200])
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            yield lineno, Rejection(source, lineno, f"invalid JSON: {e.msg} at column {e.colno}", line.rstrip("\n"))
            continue
        if not isinstance(rec, dict):
            yield lineno, Rejection(source, lineno, f"an event must be a JSON object, got {type(rec).__name__}",
                                    line.rstrip("\n"))
            continue
        yield lineno, rec


def _read_csv(handle: TextIO, source: str) -> Iterator[tuple[int, Record]]:
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [h.strip() for h in header]
    missing = {"event_id", "user_id", "type", "ts"} - set(header)
    if missing:
        raise InputError(f"{source}: CSV header must name {', '.join(CSV_COLUMNS)}; missing {sorted(missing)}")
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        raise InputError(f"{source}: unknown CSV columns {sorted(unknown)}; expected {', '.join(CSV_COLUMNS)}")
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield start, Rejection(source, start, f"malformed CSV: {e}", "")
            continue
        except UnicodeDecodeError as e:
            yield start, Rejection(source, start, f"not valid UTF-8 ({e.reason})", "")
            return
        if not any(cell.strip() for cell in row):
            continue
        raw = ",".join(row)
        if len(row) != len(header):
            yield start, Rejection(source, start, f"expected {len(header)} columns, got {len(row)}", raw)
            continue
        cells = dict(zip(header, row, strict=True))
        rec: dict[str, Any] = {k: v for k, v in cells.items() if k not in _ITEM_COLUMNS and v != ""}
        item = {"title": cells.get("item_title") or None,
                "category": [c for c in (cells.get("item_category") or "").split("|") if c] or None,
                "price": cells.get("item_price") or None}
        if any(v is not None for v in item.values()):
            rec["item"] = item
        yield start, rec
