"""File sources: JSON Lines and CSV, optionally gzip-compressed.

Each source yields ``(line_number, record_or_rejection)``: a decoded record (a mapping)
or a :class:`Rejection` for a line that cannot even be decoded. Validation of decoded
records is :func:`ingest.events.parse_record`'s job, so both formats share one contract.

Files are read as bytes, one line at a time with a length bound (``MAX_LINE_BYTES``, see
:mod:`ingest.decode`), so a bad byte or an over-long line costs exactly that line (a CSV
record spanning several lines costs that record), and no line, however long or however
well it compresses, is ever held in memory whole. A leading UTF-8 byte order mark is
skipped. Lines end with ``\\n`` (a ``\\r`` before it is dropped). Blank lines are skipped, at
most ``MAX_BLANK_LINES`` of them per file: past that, the rest of the file is one rejection.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.decode import BOM, MAX_LINE_BYTES, DecodeError, decode_utf8, loads, preview
from interestgraph.errors import InputError

__all__ = ["CSV_COLUMNS", "MAX_LINE_BYTES", "Record", "Rejection", "decode_json_record", "read_records"]

# CSV columns; item metadata is flattened, and several categories are separated by "|".
CSV_COLUMNS = ("event_id", "user_id", "type", "ts", "item_id", "query", "text", "rating",
               "item_title", "item_category", "item_price")
_ITEM_COLUMNS = ("item_title", "item_category", "item_price")
_SKIP_CHUNK = 64 * 1024  # the rest of an over-long line is read and dropped in pieces this big
# Blank lines record nothing, cost a loop turn each and compress ~1000:1: past this many in one
# file, the rest of the file is one dead letter (an 8 KB .gz of blank lines took 5 s of CPU).
MAX_BLANK_LINES = 100_000


@dataclass(frozen=True, slots=True)
class Rejection:
    """A line that broke the contract: where it was, why, and the raw text."""

    source: str
    line: int
    reason: str
    raw: str

    def as_dict(self) -> dict[str, Any]:
        """The line as the dead-letter file stores it."""
        return {"source": self.source, "line": self.line, "reason": self.reason, "raw": self.raw}


Record = dict[str, Any] | Rejection


def decode_json_record(raw: bytes | str, source: str, line: int) -> dict[str, Any] | Rejection:
    """One JSON record (a JSONL line or a stream entry) → a dict, or a :class:`Rejection`; never raises.

    Applies, in order: the size cap (``MAX_LINE_BYTES``), strict UTF-8 (one leading byte
    order mark skipped), the depth and number-length caps, no duplicate keys, no lone
    surrogates, and "must be a JSON object".
    """
    try:
        if isinstance(raw, str):
            # A str may come from anywhere (even hold lone surrogates): measure it as bytes.
            raw = raw.encode("utf-8", errors="surrogatepass")
        if len(raw) > MAX_LINE_BYTES:
            return Rejection(source, line, f"line is longer than {MAX_LINE_BYTES} bytes", preview(raw[:200], 200))
        text = decode_utf8(raw)
        if not text.strip():
            return Rejection(source, line, "empty record", "")
        rec = loads(text)
    except DecodeError as e:
        return Rejection(source, line, str(e), preview(raw))
    except Exception as e:  # noqa: BLE001 - a record's failure is never the run's
        return Rejection(source, line, f"cannot decode ({type(e).__name__})", preview(raw))
    if not isinstance(rec, dict):
        return Rejection(source, line, f"an event must be a JSON object, got {type(rec).__name__}", preview(raw))
    return rec


def _open_binary(path: Path) -> io.BufferedIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


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
        handle = _open_binary(path)
    except OSError as e:
        raise InputError(f"{path}: cannot be read: {e}") from e
    with handle:
        lines = _Lines(handle)
        try:
            yield from (_read_jsonl(lines, str(path)) if fmt == "jsonl" else _read_csv(lines, str(path)))
        except (OSError, EOFError, zlib.error) as e:
            # A truncated or corrupt .gz, or a failing disk: what was read stands, and the rest
            # of the file is one dead letter, so the run goes on to the next file.
            at = lines.lineno + 1
            yield at, Rejection(str(path), at, f"the rest of the file cannot be read "
                                               f"({type(e).__name__}: {str(e)[:200]})", "")


class _LineTooLong(Exception):
    def __init__(self, lineno: int, head: bytes) -> None:
        super().__init__(lineno)
        self.lineno = lineno
        self.head = head


class _RecordTooLong(Exception):
    def __init__(self, lineno: int) -> None:
        super().__init__(lineno)
        self.lineno = lineno


class _Lines:
    """Physical lines of a binary stream, each at most ``MAX_LINE_BYTES`` long.

    ``next_bytes`` returns a line's bytes (without ``\\n``/``\\r\\n``), raises
    :class:`_LineTooLong` (the rest of that line already skipped) or ``StopIteration``.
    As an iterator it yields text lines with their ending (what ``csv.reader`` wants); a
    line that is not UTF-8 is yielded with replacement characters, so the CSV record
    around it keeps its shape, and noted in ``bad`` so that record is rejected. It raises
    :class:`_RecordTooLong` once the lines since ``record_bytes`` was reset pass
    ``MAX_LINE_BYTES`` (a CSV record is bounded like a line). It can be resumed after any error.
    """

    def __init__(self, handle: io.BufferedIOBase) -> None:
        self._handle = handle
        self.lineno = 0  # the number of the last line read
        self.record_bytes = 0
        self.bad: tuple[int, str, bytes] | None = None  # the first undecodable line since reset

    def reset(self) -> None:
        self.record_bytes = 0
        self.bad = None

    def _read_line(self) -> bytes:
        """The next physical line as bytes, line end included; raises ``_LineTooLong`` past the limit."""
        chunk = self._handle.readline(MAX_LINE_BYTES + 1)
        if not chunk:
            raise StopIteration
        self.lineno += 1
        if self.lineno == 1 and chunk.startswith(BOM):
            chunk = chunk[len(BOM):]
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            head = chunk[:200]
            del chunk
            while True:  # drop the rest of the line without holding it
                rest = self._handle.readline(_SKIP_CHUNK)
                if not rest or rest.endswith(b"\n"):
                    break
            raise _LineTooLong(self.lineno, head)
        return chunk

    def next_bytes(self) -> bytes:
        chunk = self._read_line()
        if chunk.endswith(b"\n"):
            chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk[:-1]
        return chunk

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        chunk = self._read_line()
        self.record_bytes += len(chunk)
        if self.record_bytes > MAX_LINE_BYTES:
            raise _RecordTooLong(self.lineno)
        try:
            return decode_utf8(chunk)
        except DecodeError as e:
            if self.bad is None:
                self.bad = (self.lineno, str(e), chunk)
            return chunk.decode("utf-8", errors="replace")


def _too_long(source: str, e: _LineTooLong) -> tuple[int, Rejection]:
    return e.lineno, Rejection(source, e.lineno, f"line is longer than {MAX_LINE_BYTES} bytes", preview(e.head, 200))


def _too_many_blank(source: str, lineno: int) -> tuple[int, Rejection]:
    return lineno, Rejection(source, lineno, f"more than {MAX_BLANK_LINES} blank lines in this file; "
                                             "the rest of the file is skipped", "")


def _read_jsonl(lines: _Lines, source: str) -> Iterator[tuple[int, Record]]:
    blank = 0
    while True:
        try:
            raw = lines.next_bytes()
        except StopIteration:
            return
        except _LineTooLong as e:
            yield _too_long(source, e)
            continue
        if not raw.strip():
            blank += 1
            if blank > MAX_BLANK_LINES:
                yield _too_many_blank(source, lines.lineno)
                return
            continue
        yield lines.lineno, decode_json_record(raw, source, lines.lineno)


def _csv_header(reader: Iterator[list[str]], lines: _Lines, source: str) -> list[str] | None:
    """The checked column names, or None for an empty file; raises ``InputError`` for a bad header."""
    try:
        header = next(reader)
    except StopIteration:
        return None
    except (_LineTooLong, _RecordTooLong, csv.Error) as e:
        raise InputError(f"{source}: the CSV header cannot be read ({_why(e)})") from None
    if lines.bad is not None:
        raise InputError(f"{source}: the CSV header cannot be read ({lines.bad[1]})")
    header = [h.strip() for h in header]
    missing = {"event_id", "user_id", "type", "ts"} - set(header)
    if missing:
        raise InputError(f"{source}: CSV header must name {', '.join(CSV_COLUMNS)}; missing {sorted(missing)}")
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        raise InputError(f"{source}: unknown CSV columns {sorted(unknown)}; expected {', '.join(CSV_COLUMNS)}")
    return header


def _csv_record(header: list[str], row: list[str], source: str, start: int) -> tuple[int, Record]:
    """One CSV row as a record (item columns nested under ``item``), or its rejection."""
    raw = ",".join(row)
    if len(row) != len(header):
        return start, Rejection(source, start, f"expected {len(header)} columns, got {len(row)}", preview(raw))
    cells = dict(zip(header, row, strict=True))
    rec: dict[str, Any] = {k: v for k, v in cells.items() if k not in _ITEM_COLUMNS and v != ""}
    item = {"title": cells.get("item_title") or None,
            "category": [c for c in (cells.get("item_category") or "").split("|") if c] or None,
            "price": cells.get("item_price") or None}
    if any(v is not None for v in item.values()):
        rec["item"] = item
    return start, rec


def _read_csv(lines: _Lines, source: str) -> Iterator[tuple[int, Record]]:
    # strict: an unclosed quote at the end of the file or text after a closing quote is an
    # error, not a silently merged or altered record.
    reader = csv.reader(lines, strict=True)
    header = _csv_header(reader, lines, source)
    if header is None:
        return
    blank = 0
    while True:
        start = lines.lineno + 1
        lines.reset()
        rejected: tuple[int, Rejection] | None = None
        done = False
        try:
            row = next(reader)
        except StopIteration:
            done = True
        except _LineTooLong as e:
            if e.lineno > start:  # a quoted field spanning lines was cut by the over-long line
                also = f"; line {lines.bad[0]}: {lines.bad[1]}" if lines.bad else ""
                yield start, Rejection(source, start, f"CSV record (lines {start}-{e.lineno - 1}) is cut by "
                                                      f"line {e.lineno}, which is too long{also}", "")
            yield _too_long(source, e)
            continue
        except _RecordTooLong as e:
            rejected = start, Rejection(source, start, f"CSV record (lines {start}-{e.lineno}) is longer than "
                                                       f"{MAX_LINE_BYTES} bytes; is a quote left open?", "")
        except csv.Error as e:
            rejected = start, Rejection(source, start, f"malformed CSV: {e}", "")
        if lines.bad is not None:  # a bad byte costs its record, and only that
            at, reason, raw_line = lines.bad
            where = "" if at == start else f"line {at}: "
            rejected = start, Rejection(source, start, where + reason, preview(raw_line))
        if rejected is not None:
            yield rejected
            continue
        if done:
            return
        if not any(cell.strip() for cell in row):
            blank += 1
            if blank > MAX_BLANK_LINES:
                yield _too_many_blank(source, start)
                return
            continue
        yield _csv_record(header, row, source, start)


def _why(e: Exception) -> str:
    if isinstance(e, _LineTooLong):
        return f"line {e.lineno} is longer than {MAX_LINE_BYTES} bytes"
    if isinstance(e, _RecordTooLong):
        return f"longer than {MAX_LINE_BYTES} bytes"
    return str(e)
