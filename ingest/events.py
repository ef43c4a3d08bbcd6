"""Event contract v1: the model and its validation.

One event per line, JSON Lines or CSV. ``parse_record`` turns one decoded record into an
:class:`Event` or raises :class:`InvalidEvent` with a reason a person can act on, and
nothing else, whatever the input. Ids are data: they are checked, never interpreted.

The rules (the README's "Bad input and security" lists them too):

- ids (``event_id``, ``user_id``, ``item_id``) match ``ID_PATTERN``: 1 to 256 printable
  ASCII characters (U+0021-U+007E, spaces inside), no leading or trailing space. So no
  controls, bidi overrides, zero-width or fullwidth characters, and no look-alikes from
  other scripts.
- text (titles, queries, categories, review text) holds no character of the Unicode
  categories Cc, Cf, Zl, Zp or Cs (controls, format characters such as zero-width and bidi
  marks, line/paragraph separators, lone surrogates); review text may hold ``\n`` and
  ``\t`` (``\r\n`` becomes ``\n``) and a zero-width joiner between two emoji.
  Categories are names and ids at once, so they may not start or end with whitespace.
- numbers are ASCII digits: ``ts`` as epoch milliseconds (an integer, or a string of at
  most 20 digits) or ISO-8601 in ASCII; a leap second ``23:59:60`` (30 June or 31
  December, UTC) becomes ``23:59:59.999``; ``rating`` is an integer 1-5 or one of the
  strings ``"1"``..``"5"``; ``item.price`` is a number (or a decimal string) in
  ``[0, MAX_PRICE]``.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The event and behaviour types and their weights live in interestgraph.constants; they are
# re-exported here because the contract is written in terms of them.
from interestgraph.constants import BEHAVIOUR_OF as BEHAVIOUR_OF
from interestgraph.constants import DAY_MS, EventType
from interestgraph.constants import TYPE_WEIGHT as TYPE_WEIGHT
from interestgraph.constants import Behaviour as Behaviour

MAX_ID_LEN = 256
MAX_QUERY_LEN = 512
MAX_TEXT_LEN = 5000
MAX_TITLE_LEN = 500
MAX_CATEGORIES = 32
# MovieLens-100K starts in 1997; anything before 1990 or more than a day ahead is a bug.
MIN_TS_MS = int(datetime(1990, 1, 1, tzinfo=UTC).timestamp() * 1000)
FUTURE_SLACK_MS = DAY_MS
MAX_PRICE = 1e9
# Printable ASCII, no space at either end.
ID_PATTERN = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?")
# Unicode 14 (Python 3.11) categories Cc, Cf, Zl, Zp and Cs; a unit test checks this list
# against unicodedata, so a newer Python's additions show up there.
_FORBIDDEN_RANGES = (
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C),
    (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F), (0xD800, 0xDFFF),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)
_FORBIDDEN = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _FORBIDDEN_RANGES) + "]")
_ZWJ = "\u200d"
_DIGITS_MS = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,9})?")
_ISO_CHARS = re.compile(r"[0-9TtWZz:.,+\- ]{4,40}")
_LEAP_SECOND = re.compile(r"(.*[T ][0-9]{2}:[0-9]{2}:)60(?:[.,][0-9]+)?((?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)")
_DECIMAL = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,15})?")


class InvalidEvent(ValueError):
    """A record that breaks contract v1; the message is the dead-letter reason."""


@dataclass(frozen=True, slots=True)
class ItemMeta:
    """What an event says about its item: title, categories, price (each optional)."""

    title: str | None = None
    categories: tuple[str, ...] = ()
    price: float | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One validated contract-v1 event."""

    event_id: str
    user_id: str
    type: EventType
    ts_ms: int
    item_id: str | None = None
    query: str | None = None
    text: str | None = None
    rating: int | None = None
    item: ItemMeta | None = None

    @property
    def sentiment(self) -> float | None:
        """Review sentiment in [-1, 1]; from the rating until a text model scores it."""
        if self.rating is None:
            return None
        return (self.rating - 3) / 2.0


def normalise_query(text: str) -> str:
    """Case-fold, NFKC and collapse whitespace so equal searches share one Query node."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def query_id(text: str) -> str:
    """Stable id of a search query: a hash of its normalised text."""
    return "q" + hashlib.sha1(normalise_query(text).encode("utf-8")).hexdigest()[:20]


def _present(rec: Mapping[str, Any], name: str, required: bool) -> Any:
    value = rec.get(name)
    if value is None or (isinstance(value, str) and value == ""):
        if required:
            raise InvalidEvent(f"missing required field {name!r}")
        return None
    if not isinstance(value, str):
        raise InvalidEvent(f"{name} must be a string, got {type(value).__name__} {_show(value)}")
    return value


def _show(value: Any, limit: int = 40) -> str:
    """A value for a reason: short, and never a lone surrogate (reasons are written as UTF-8)."""
    text = value if isinstance(value, str) else repr(value)
    text = repr(text[:limit]) if isinstance(value, str) else text[:limit]
    return _FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _id(rec: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = _present(rec, name, required)
    if value is None:
        return None
    if len(value) > MAX_ID_LEN:
        raise InvalidEvent(f"{name} is {len(value)} characters, the limit is {MAX_ID_LEN}")
    if not ID_PATTERN.fullmatch(value):
        if not value.strip():
            raise InvalidEvent(f"{name} is blank")
        if _FORBIDDEN.search(value):
            raise InvalidEvent(f"{name} contains control characters or invisible format characters")
        if value != value.strip():
            raise InvalidEvent(f"{name} has leading or trailing whitespace")
        raise InvalidEvent(f"{name} {_show(value)} has characters outside printable ASCII "
                           "(ids are U+0021-U+007E, spaces inside)")
    return value


def _forbidden_in(value: str, allow_layout: bool) -> str | None:
    """The first character of ``value`` that text may not hold, or None."""
    for m in _FORBIDDEN.finditer(value):
        c, at = m.group(), m.start()
        if allow_layout and (c in "\n\t" or (c == _ZWJ and _joins_emoji(value, at))):
            continue
        return c
    return None


def _joins_emoji(value: str, at: int) -> bool:
    before = value[at - 1] if at > 0 else ""
    after = value[at + 1] if at + 1 < len(value) else ""
    return (bool(before) and (unicodedata.category(before) in ("So", "Sk") or before == "\ufe0f")
            and bool(after) and unicodedata.category(after) == "So")


def _text(rec: Mapping[str, Any], name: str, *, required: bool, max_len: int,
          allow_layout: bool = False, trimmed: bool = False) -> str | None:
    value = _present(rec, name, required)
    if value is None:
        return None
    if allow_layout:
        value = value.replace("\r\n", "\n")
    if len(value) > max_len:
        raise InvalidEvent(f"{name} is {len(value)} characters, the limit is {max_len}")
    bad = _forbidden_in(value, allow_layout)
    if bad is not None:
        kind = unicodedata.category(bad)
        what = {"Cc": "a control character", "Cf": "an invisible format character", "Zl": "a line separator",
                "Zp": "a paragraph separator", "Cs": "a lone surrogate"}.get(kind, kind)
        raise InvalidEvent(f"{name} contains {what} (U+{ord(bad):04X})")
    if not value.strip():
        raise InvalidEvent(f"{name} is blank")
    if trimmed and value != value.strip():
        raise InvalidEvent(f"{name} has leading or trailing whitespace")
    return value


def parse_ts(value: Any, now_ms: int | None = None) -> int:
    """ISO-8601 (naive means UTC) or epoch milliseconds → epoch milliseconds."""
    if value is None or (isinstance(value, str) and value == ""):
        raise InvalidEvent("missing required field 'ts'")
    if isinstance(value, bool):
        raise InvalidEvent(f"ts must be ISO-8601 or epoch milliseconds, got {value!r}")
    ms: int
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    text = value.strip(" \t") if isinstance(value, str) else ""
    if isinstance(value, int):
        ms = _ms_in_range(_not_seconds(value, value), value, now_ms)
    elif isinstance(value, float) or (isinstance(value, str) and _DIGITS_MS.fullmatch(text)):
        num = float(value)
        if not math.isfinite(num):
            raise InvalidEvent(f"ts must be a finite number, got {_show(value)}")
        ms = _ms_in_range(_not_seconds(int(num), value), value, now_ms)
    elif isinstance(value, str):
        if not _ISO_CHARS.fullmatch(text):
            raise InvalidEvent(f"ts {_show(value, 60)} is neither ISO-8601 nor epoch milliseconds "
                               "(ASCII digits only)")
        ms = _ms_in_range(_iso_ms(text, value), value, now_ms)
    else:
        raise InvalidEvent(f"ts must be ISO-8601 or epoch milliseconds, got {type(value).__name__}")
    return ms


def _iso_ms(text: str, value: str) -> int:
    leap = _LEAP_SECOND.fullmatch(text)
    if leap:
        text = f"{leap.group(1)}59.999{leap.group(2)}"
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        utc = dt.astimezone(UTC)
        ms = int(dt.timestamp() * 1000)
    except (ValueError, OverflowError):
        raise InvalidEvent(f"ts {_show(value, 60)} is neither ISO-8601 nor epoch milliseconds") from None
    if leap and not (utc.hour == 23 and utc.minute == 59 and (utc.month, utc.day) in ((6, 30), (12, 31))):
        raise InvalidEvent(f"ts {_show(value, 60)} has second 60, which only a leap second "
                           "(23:59:60 UTC on 30 June or 31 December) has")
    return ms


def _not_seconds(ms: int, value: Any) -> int:
    if 0 < ms < 100_000_000_000:
        raise InvalidEvent(f"ts {_show(value)} looks like epoch seconds; expected epoch milliseconds")
    return ms


def _ms_in_range(ms: int, value: Any, now_ms: int) -> int:
    # Compared as integers: a 400-digit ts is out of range, not an OverflowError.
    if ms < MIN_TS_MS:
        raise InvalidEvent(f"ts {_show(value)} is before 1990-01-01, which no real event is")
    if ms > now_ms + FUTURE_SLACK_MS:
        raise InvalidEvent(f"ts {_show(value)} is more than a day in the future")
    return ms


def _rating(value: Any) -> int:
    if value is None or value == "":
        raise InvalidEvent("a review needs 'rating' (an integer from 1 to 5)")
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    if isinstance(value, str) and len(value) == 1 and value in "12345":
        return int(value)
    raise InvalidEvent(f"rating must be an integer from 1 to 5, got {_show(value)}")


def _price(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and value == ""):
        return None
    bad = InvalidEvent(f"item.price must be a finite number >= 0 and <= {MAX_PRICE:.0f}, got {_show(value)}")
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        if not 0 <= value <= MAX_PRICE:
            raise bad
        return float(value)
    if isinstance(value, float):
        price = value
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip(" ")):
        price = float(value)
    else:
        raise bad
    if not (math.isfinite(price) and 0 <= price <= MAX_PRICE):
        raise bad
    return price


def _item_meta(value: Any) -> ItemMeta | None:
    if value is None or (isinstance(value, Mapping) and not value):
        return None
    if not isinstance(value, Mapping):
        raise InvalidEvent(f"item must be an object with title/category/price, got {type(value).__name__}")
    title = _text(value, "title", required=False, max_len=MAX_TITLE_LEN)
    raw_cat = value.get("category")
    cats: list[str] = []
    if isinstance(raw_cat, str):
        raw_cat = [raw_cat]
    if raw_cat is not None:
        if not isinstance(raw_cat, list) or not all(isinstance(c, str) for c in raw_cat):
            raise InvalidEvent("item.category must be a string or a list of strings")
        if len(raw_cat) > MAX_CATEGORIES:
            raise InvalidEvent(f"item.category has {len(raw_cat)} entries, the limit is {MAX_CATEGORIES}")
        for c in raw_cat:
            name = _text({"item.category": c}, "item.category", required=False, max_len=MAX_ID_LEN, trimmed=True)
            if name and name not in cats:
                cats.append(name)
    price = _price(value.get("price"))
    if title is None and not cats and price is None:
        return None
    return ItemMeta(title=title, categories=tuple(cats), price=price)


def parse_record(rec: Any, now_ms: int | None = None) -> Event:
    """Validate one decoded record against contract v1.

    Raises:
        InvalidEvent: the record breaks the contract; the message says how. Nothing else is
            raised for any input: an unexpected failure is this record's, with its reason.
    """
    try:
        return _parse(rec, now_ms)
    except InvalidEvent:
        raise
    except Exception as e:  # noqa: BLE001 - whatever a record does, it fails alone
        raise InvalidEvent(f"cannot validate this record ({type(e).__name__}: {_show(str(e), 100)})") from None


def _parse(rec: Any, now_ms: int | None) -> Event:
    if not isinstance(rec, Mapping):
        raise InvalidEvent(f"an event must be a JSON object, got {type(rec).__name__}")
    event_id = _id(rec, "event_id", required=True)
    user_id = _id(rec, "user_id", required=True)
    raw_type = rec.get("type")
    try:
        etype = EventType(raw_type) if isinstance(raw_type, str) else EventType("")
    except ValueError:
        allowed = ", ".join(t.value for t in EventType)
        raise InvalidEvent(f"type must be one of {allowed}; got {_show(raw_type)}") from None
    ts_ms = parse_ts(rec.get("ts"), now_ms)
    item_id = _id(rec, "item_id", required=etype is not EventType.SEARCH)
    query = text = None
    rating = None
    if etype is EventType.SEARCH:
        query = _text(rec, "query", required=True, max_len=MAX_QUERY_LEN)
        if not normalise_query(query or ""):
            raise InvalidEvent("query is blank")
    if etype is EventType.REVIEW:
        # Star-only reviews (a rating without text, as in MovieLens) are reviews too.
        text = _text(rec, "text", required=False, max_len=MAX_TEXT_LEN, allow_layout=True)
        rating = _rating(rec.get("rating"))
    item = _item_meta(rec.get("item")) if item_id is not None else None
    assert event_id is not None and user_id is not None
    ev = Event(event_id=event_id, user_id=user_id, type=etype, ts_ms=ts_ms, item_id=item_id,
               query=query, text=text, rating=rating, item=item)
    _check_encodable(ev)
    return ev


def _check_encodable(ev: Event) -> None:
    """Every string reaches the database as UTF-8: prove it here, not in the driver mid-batch."""
    strings = [ev.event_id, ev.user_id, ev.item_id, ev.query, ev.text]
    if ev.item is not None:
        strings += [ev.item.title, *ev.item.categories]
    try:
        "".join([s for s in strings if s is not None]).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEvent("a field cannot be encoded as UTF-8") from None
