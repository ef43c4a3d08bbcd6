import itertools
import math

from ingest.aggregate import aggregate, decay
from ingest.events import TYPE_WEIGHT, Event, EventType

H = 1000.0  # a 1 s half-life makes the arithmetic easy to read


def e(i, t, typ=EventType.VIEW, user="u", item_id="i", **kw):
    return Event(event_id=f"e{i}", user_id=user, type=typ, ts_ms=t, item_id=item_id, **kw)


def test_one_row_per_user_item_type_with_decayed_weight():
    rows = aggregate([e(1, 0), e(2, 1000), e(3, 2000)], H)
    assert len(rows.behaviours) == 1
    b = rows.behaviours[0]
    assert (b["count"], b["first_ms"], b["last_ms"], b["rel"]) == (3, 0, 2000, "VIEWED")
    assert math.isclose(b["w"], 1.0 * (0.25 + 0.5 + 1.0))


def test_weight_does_not_depend_on_arrival_order():
    events = [e(1, 0), e(2, 1500), e(3, 700), e(4, 3000, EventType.PURCHASE)]
    weights = set()
    for perm in itertools.permutations(events):
        rows = aggregate(list(perm), H)
        weights.add(round(sum(r["w"] for r in rows.interests), 12))
    assert len(weights) == 1


def test_merge_rule_matches_batch_split():
    # Two batches merged with the stored-as-of-last_at rule equal one batch.
    a, b = aggregate([e(1, 0), e(2, 400)], H), aggregate([e(3, 300), e(4, 900)], H)
    wa, la = a.behaviours[0]["w"], a.behaviours[0]["last_ms"]
    wb, lb = b.behaviours[0]["w"], b.behaviours[0]["last_ms"]
    at = max(la, lb)
    merged = decay(wa, la, at, H) + decay(wb, lb, at, H)
    whole = aggregate([e(1, 0), e(2, 400), e(3, 300), e(4, 900)], H).behaviours[0]["w"]
    assert math.isclose(merged, whole)


def test_negative_review_lowers_interest_and_keeps_latest_text():
    rows = aggregate([
        e(1, 0, EventType.REVIEW, text="good", rating=5),
        e(2, 10, EventType.REVIEW, text="broke", rating=1),
    ], 1e12)
    assert rows.reviews == [{"user": "u", "item": "i", "rating": 1, "sentiment": -1.0, "text": "broke", "at_ms": 10}]
    # +1 then -1 sentiment, with no decay to speak of, cancel out.
    assert math.isclose(rows.interests[0]["w"], 0.0, abs_tol=1e-9)
    only_bad = aggregate([e(3, 0, EventType.REVIEW, text="broke", rating=1)], H)
    assert only_bad.interests[0]["w"] == -TYPE_WEIGHT[EventType.REVIEW]


def test_search_rows_use_query_hash_and_item_metadata_latest_wins():
    from ingest.events import ItemMeta, query_id

    rows = aggregate([
        Event("s1", "u", EventType.SEARCH, 5, query="Blue Tooth"),
        e(2, 1, item=ItemMeta(title="old", categories=("a",))),
        e(3, 9, item=ItemMeta(title="new", categories=("b",), price=3.0)),
    ], H)
    assert rows.searches[0]["query"] == query_id("blue tooth") and rows.searches[0]["text"] == "blue tooth"
    assert rows.items == [{"id": "i", "title": "new", "price": 3.0, "meta_ms": 9, "categories": ["b"],
                           "categories_ms": 9}]


def test_the_newest_category_set_replaces_older_ones_so_an_item_never_accumulates_categories():
    from ingest.events import MAX_CATEGORIES, ItemMeta

    sets = [tuple(f"c{k}-{n}" for n in range(MAX_CATEGORIES)) for k in range(3)]
    events = [e(k, 100 + k, item=ItemMeta(categories=cats)) for k, cats in enumerate(sets)]
    events.append(e(9, 50, item=ItemMeta(categories=("older",))))  # older, later in the batch: loses
    events.append(e(10, 200, item=ItemMeta(title="title only")))  # names no category: keeps the set
    (row,) = aggregate(events, H).items
    assert row["categories"] == list(sets[2]) and row["categories_ms"] == 102
    assert row["title"] == "title only"
