"""The domain's constants, each defined once: event types, the relationship types behaviour
becomes, how much each event says about interest, and how weights decay.

Every other Python module imports them from here (``ingest.events`` re-exports the event
names). Cypher takes the weights and the half-life as parameters where it can; relationship
types cannot be parameters in a ``MATCH`` pattern, so the ``.cypher`` files spell them out,
and ``tests/unit/interestgraph/test_constants.py`` checks every such literal (and every decay expression)
against this module. The half-life itself is a setting (``Settings.half_life_days``).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "EventType", "Behaviour", "SEARCHED", "REL_TYPES", "BEHAVIOUR_OF", "REL_OF_EVENT", "TYPE_WEIGHT",
    "STRUCTURE_REL_TYPES", "INTEREST_BANDS", "DAY_MS", "HOUR_MS", "LIVE_HORIZONS_MS", "decay",
]


class EventType(StrEnum):
    """The ``type`` of a contract-v1 event."""

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


# The relationship from a User to a Query they searched for.
SEARCHED = "SEARCHED"

# Every behaviour relationship the interest model reads, in its feature-column order (a
# trained model depends on this order: append, never reorder).
REL_TYPES: tuple[str, ...] = (*(b.value for b in Behaviour), SEARCHED)

BEHAVIOUR_OF: dict[EventType, Behaviour] = {
    EventType.VIEW: Behaviour.VIEWED,
    EventType.CLICK: Behaviour.CLICKED,
    EventType.CART: Behaviour.ADDED_TO_CART,
    EventType.PURCHASE: Behaviour.PURCHASED,
    EventType.REVIEW: Behaviour.REVIEWED,
}

# Event type -> the relationship type it aggregates into, searches included.
REL_OF_EVENT: dict[EventType, str] = {**{t: b.value for t, b in BEHAVIOUR_OF.items()}, EventType.SEARCH: SEARCHED}

# How much one event says about interest; purchase > cart > click > view. A review moves
# interest by this times its sentiment.
TYPE_WEIGHT: dict[EventType, float] = {
    EventType.VIEW: 1.0,
    EventType.CLICK: 2.0,
    EventType.CART: 4.0,
    EventType.PURCHASE: 8.0,
    EventType.SEARCH: 1.5,
    EventType.REVIEW: 3.0,
}

# The graph's other relationship types (not behaviour).
STRUCTURE_REL_TYPES: frozenset[str] = frozenset({"IN_CATEGORY", "MEANS", "INTERESTED_IN", "INTEREST_DAY", "SIMILAR_TO"})

# ``analyst/interest_map`` returns interests as virtual INTEREST_1..INTEREST_<n> relationships.
INTEREST_BANDS = 5

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
# Items' live statistics count new buyers with exponential decay over these horizons: an hour,
# a day, a week (``Item.live_decayed`` holds one count per horizon; gnn.counting reads them).
LIVE_HORIZONS_MS: tuple[int, ...] = (HOUR_MS, DAY_MS, 7 * DAY_MS)


def decay(weight: float, from_ms: int, to_ms: int, half_life_ms: float) -> float:
    """``weight`` as of ``from_ms``, decayed to ``to_ms``.

    The Cypher form of the same expression is ``w * 2.0 ^ (-(to_ms - from_ms) / $half_life_ms)``.
    """
    return weight * 2.0 ** (-(to_ms - from_ms) / half_life_ms)
