"""Bounded decoding of one raw record: bytes in, a JSON value or a :class:`DecodeError` out.

A record is untrusted bytes. Before anything is parsed it must fit the limits below, so no
input can make the decoder spend unbounded memory or stack, and every failure is a
:class:`DecodeError` whose message is the dead-letter reason (never an ``OverflowError``,
``RecursionError`` or ``UnicodeEncodeError`` from deeper down).

- ``MAX_LINE_BYTES``: one record (a JSONL line, a CSV record, a stream entry) in bytes.
- strict UTF-8; one leading byte order mark is skipped.
- ``MAX_DEPTH``: arrays and objects nest at most this deep (checked on the text before
  parsing, outside strings).
- ``MAX_NUMBER_CHARS``: a JSON number is at most this many characters; ``NaN`` and
  ``Infinity`` are not JSON and are refused; a float that overflows to infinity is refused.
- an object may not repeat a key.
- no string (key or value) may hold a lone surrogate (``"\\ud800"``): it cannot be stored.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_LINE_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40
BOM = b"\xef\xbb\xbf"

# Strings (with their escapes) as one token each, so brackets inside them are not counted.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[{]|[\]}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


class DecodeError(ValueError):
    """A record that cannot be decoded; the message is the reason."""


def decode_utf8(raw: bytes) -> str:
    """Strict UTF-8, without one leading byte order mark."""
    if raw.startswith(BOM):
        raw = raw[len(BOM):]
    try:
        return raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise DecodeError(f"not valid UTF-8: byte {e.start} ({e.reason})") from None


def preview(raw: bytes | str, limit: int = 2000) -> str:
    """Raw input for a dead letter: at most ``limit`` characters, always writable as UTF-8."""
    if isinstance(raw, bytes):
        text = raw[:limit * 4].decode("utf-8", errors="backslashreplace")
    else:
        text = raw[:limit]
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text[:limit])


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse ``text`` if arrays/objects nest deeper than ``limit`` (a scan, no recursion)."""
    if text.count("[") + text.count("{") <= limit:
        return  # cannot nest deeper than its number of brackets
    depth = 0
    for m in _STRUCTURE.finditer(text):
        tok = m.group()
        if tok in ("[", "{"):
            depth += 1
            if depth > limit:
                raise DecodeError(f"JSON nests deeper than {limit} levels")
        elif tok in ("]", "}"):
            depth -= 1


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise DecodeError(f"a JSON number is longer than {MAX_NUMBER_CHARS} characters")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise DecodeError(f"a JSON number is longer than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if not math.isfinite(value):
        raise DecodeError(f"JSON number {text} is out of range")
    return value


def _constant(text: str) -> Any:
    raise DecodeError(f"{text} is not a JSON value")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DecodeError(f"duplicate key {preview(key, 40)!r} in a JSON object")
            seen.add(key)
    return out


def _check_strings(value: Any, depth: int = 0) -> None:
    # Bounded by MAX_DEPTH, which check_depth enforced before parsing.
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise DecodeError("a string holds a lone surrogate (not encodable as UTF-8)")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_strings(k, depth + 1)
            _check_strings(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_strings(v, depth + 1)


# Decoders are built once (json.loads with hooks would build one per call). Numbers are
# runs of these characters, so a text without a run longer than the cap needs no int hook.
_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_float=_float, parse_constant=_constant)
_DECODER_LONG = json.JSONDecoder(object_pairs_hook=_object, parse_float=_float, parse_constant=_constant,
                                 parse_int=_int)
_LONG_RUN = re.compile(r"[0-9eE.+\-]{" + str(MAX_NUMBER_CHARS + 1) + ",}")
# A surrogate in the value comes from an escape (or was in the text already).
_MAY_HOLD_SURROGATE = re.compile("\\\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def loads(text: str) -> Any:
    """``json.loads`` within the limits above; raises only :class:`DecodeError`."""
    try:
        check_depth(text)
        value = (_DECODER_LONG if _LONG_RUN.search(text) else _DECODER).decode(text)
        if _MAY_HOLD_SURROGATE.search(text):
            _check_strings(value)
        return value
    except DecodeError:
        raise
    except json.JSONDecodeError as e:
        raise DecodeError(f"invalid JSON: {e.msg} at column {e.colno}") from None
    except RecursionError:
        raise DecodeError(f"JSON nests deeper than {MAX_DEPTH} levels") from None
    except Exception as e:  # noqa: BLE001 - any other failure is this record's, never the run's
        raise DecodeError(f"cannot decode JSON ({type(e).__name__}: {str(e)[:100]})") from None
