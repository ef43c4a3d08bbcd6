"""Event contract v1: the model and its validation.

One event per line, JSON Lines or CSV. ``parse_record`` turns one decoded record into an
:class:`Event` or raises :class:`InvalidEvent` with a reason a person can act on. Ids are
data: they are checked for type, length and control characters, never interpreted.
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
from enum import StrEnum
from typing import Any

MAX_ID_LEN = 256
MAX_QUERY_LEN = 512
MAX_TEXT_LEN = 5000
MAX_TITLE_LEN = 500
MAX_CATEGORIES = 32
# MovieLens-100K starts in 1997; anything before 1990 or more than a day ahead is a bug.
MIN_TS_MS = int(datetime(1990, 1, 1, tzinfo=UTC).timestamp() * 1000)
FUTURE_SLACK_MS = 86_400_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class EventType(StrEnum):
    VIEW = "view"
    CLICK = "click"
    CART = "cart"
    PURCHASE = "purchase"
    SEARCH = "search"
    REVIEW = "review"


class Behaviour(StrEnum):
    """Relationship types from a User to an Item that aggregate behaviour.

    A closed set: the writer passes one of these as a dynamic relationship type, so no
    caller-supplied string ever becomes a type.
    """

    VIEWED = "VIEWED"
    CLICKED = "CLICKED"
    ADDED_TO_CART = "ADDED_TO_CART"
    PURCHASED = "PURCHASED"
    REVIEWED = "REVIEWED"


BEHAVIOUR_OF: dict[EventType, Behaviour] = {
    EventType.VIEW: Behaviour.VIEWED,
    EventType.CLICK: Behaviour.CLICKED,
    EventType.CART: Behaviour.ADDED_TO_CART,
    EventType.PURCHASE: Behaviour.PURCHASED,
    EventType.REVIEW: Behaviour.REVIEWED,
}

# How much one event says about interest; purchase > cart > click > view.
TYPE_WEIGHT: dict[EventType, float] = {
    EventType.VIEW: 1.0,
    EventType.CLICK: 2.0,
    EventType.CART: 4.0,
    EventType.PURCHASE: 8.0,
    EventType.SEARCH: 1.5,
    EventType.REVIEW: 3.0,
}


class InvalidEvent(ValueError):
    """A record that breaks contract v1; the message is the dead-letter reason."""


@dataclass(frozen=True, slots=True)
class ItemMeta:
    title: str | None = None
    categories: tuple[str, ...] = ()
    price: float | None = None


@dataclass(frozen=True, slots=True)
class Event:
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


def _string(rec: Mapping[str, Any], name: str, *, required: bool, max_len: int,
            allow_newlines: bool = False) -> str | None:
    value = rec.get(name)
    if value is None or value == "":
        if required:
            raise InvalidEvent(f"missing required field {name!r}")
        return None
    if not isinstance(value, str):
        raise InvalidEvent(f"{name} must be a string, got {type(value).__name__} {value!r:.40}")
    if len(value) > max_len:
        raise InvalidEvent(f"{name} is {len(value)} characters, the limit is {max_len}")
    if _CONTROL.search(value) or (not allow_newlines and ("\n" in value or "\r" in value)):
        raise InvalidEvent(f"{name} contains control characters")
    if not value.strip():
        raise InvalidEvent(f"{name} is blank")
    return value


def parse_ts(value: Any, now_ms: int | None = None) -> int:
    """ISO-8601 (naive means UTC) or epoch milliseconds → epoch milliseconds."""
    if value is None or value == "":
        raise InvalidEvent("missing required field 'ts'")
    if isinstance(value, bool):
        raise InvalidEvent(f"ts must be ISO-8601 or epoch milliseconds, got {value!r}")
    ms: int
    if isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip())):
        num = float(value)
        if not math.isfinite(num):
            raise InvalidEvent(f"ts must be a finite number, got {value!r}")
        if 0 < num < 1e11:
            raise InvalidEvent(f"ts {value!r} looks like epoch seconds; expected epoch milliseconds")
        ms = int(num)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidEvent(f"ts {value!r:.60} is neither ISO-8601 nor epoch milliseconds") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        ms = int(dt.timestamp() * 1000)
    else:
        raise InvalidEvent(f"ts must be ISO-8601 or epoch milliseconds, got {type(value).__name__}")
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    if ms < MIN_TS_MS:
        raise InvalidEvent(f"ts {value!r} is before 1990-01-01, which no real event is")
    if ms > now_ms + FUTURE_SLACK_MS:
        raise InvalidEvent(f"ts {value!r} is more than a day in the future")
    return ms


def _rating(value: Any) -> int:
    if value is None or value == "":
        raise InvalidEvent("a review needs 'rating' (an integer from 1 to 5)")
    if isinstance(value, bool):
        raise InvalidEvent(f"rating must be an integer from 1 to 5, got {value!r}")
    try:
        num = float(value)
    except (TypeError, ValueError):
        raise InvalidEvent(f"rating must be an integer from 1 to 5, got {value!r:.40}") from None
    if not num.is_integer() or not 1 <= num <= 5:
        raise InvalidEvent(f"rating must be an integer from 1 to 5, got {value!r:.40}")
    return int(num)


def _item_meta(value: Any) -> ItemMeta | None:
    if value is None or value == {}:
        return None
    if not isinstance(value, Mapping):
        raise InvalidEvent(f"item must be an object with title/category/price, got {type(value).__name__}")
    title = _string(value, "title", required=False, max_len=MAX_TITLE_LEN)
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
            name = _string({"item.category": c}, "item.category", required=False, max_len=MAX_ID_LEN)
            if name and name not in cats:
                cats.append(name)
    price_raw = value.get("price")
    price: float | None = None
    if price_raw is not None and price_raw != "":
        try:
            price = float(price_raw)
        except (TypeError, ValueError):
            raise InvalidEvent(f"item.price must be a number, got {price_raw!r:.40}") from None
        if isinstance(price_raw, bool) or not math.isfinite(price) or price < 0:
            raise InvalidEvent(f"item.price must be a finite number >= 0, got {price_raw!r:.40}")
    if title is None and not cats and price is None:
        return None
    return ItemMeta(title=title, categories=tuple(cats), price=price)


def parse_record(rec: Any, now_ms: int | None = None) -> Event:
    """Validate one decoded record against contract v1.

    Raises:
        InvalidEvent: the record breaks the contract; the message says how.
    """
    if not isinstance(rec, Mapping):
        raise InvalidEvent(f"an event must be a JSON object, got {type(rec).__name__}")
    event_id = _string(rec, "event_id", required=True, max_len=MAX_ID_LEN)
    user_id = _string(rec, "user_id", required=True, max_len=MAX_ID_LEN)
    raw_type = rec.get("type")
    try:
        etype = EventType(str(raw_type)) if isinstance(raw_type, str) else EventType("")
    except ValueError:
        allowed = ", ".join(t.value for t in EventType)
        raise InvalidEvent(f"type must be one of {allowed}; got {raw_type!r:.40}") from None
    ts_ms = parse_ts(rec.get("ts"), now_ms)
    item_id = _string(rec, "item_id", required=etype is not EventType.SEARCH, max_len=MAX_ID_LEN)
    query = text = None
    rating = None
    if etype is EventType.SEARCH:
        query = _string(rec, "query", required=True, max_len=MAX_QUERY_LEN)
        if not normalise_query(query or ""):
            raise InvalidEvent("query is blank")
    if etype is EventType.REVIEW:
        # Star-only reviews (a rating without text, as in MovieLens) are reviews too.
        text = _string(rec, "text", required=False, max_len=MAX_TEXT_LEN, allow_newlines=True)
        rating = _rating(rec.get("rating"))
    item = _item_meta(rec.get("item")) if item_id is not None else None
    assert event_id is not None and user_id is not None
    return Event(event_id=event_id, user_id=user_id, type=etype, ts_ms=ts_ms, item_id=item_id,
                 query=query, text=text, rating=rating, item=item)
