import pytest

from ingest.events import EventType, InvalidEvent, parse_record, parse_ts, query_id

NOW = 1_800_000_000_000


def ev(**kw):
    base = {"event_id": "e1", "user_id": "u1", "type": "view", "ts": "2026-11-27T10:00:00Z", "item_id": "i1"}
    base.update(kw)
    return base


def test_valid_view_with_item_metadata():
    e = parse_record(ev(item={"title": "蓝牙耳机", "category": "audio", "price": 199.0}), NOW)
    assert e.type is EventType.VIEW
    assert e.ts_ms == 1_795_773_600_000
    assert e.item is not None and e.item.categories == ("audio",) and e.item.price == 199.0


def test_epoch_ms_and_iso_agree():
    assert parse_ts("2026-11-27T10:00:00Z", NOW) == parse_ts(1_795_773_600_000, NOW)
    assert parse_ts("2026-11-27T10:00:00", NOW) == parse_ts("2026-11-27T11:00:00+01:00", NOW)


@pytest.mark.parametrize(
    "record, reason",
    [
        (ev(type="like"), "type must be one of"),
        (ev(user_id=None), "missing required field 'user_id'"),
        (ev(user_id=7), "user_id must be a string"),
        (ev(item_id=None), "missing required field 'item_id'"),
        (ev(type="search", item_id=None), "missing required field 'query'"),
        (ev(type="review", text="ok"), "rating"),
        (ev(type="review", text="ok", rating=6), "rating must be an integer from 1 to 5"),
        (ev(type="review", text="ok", rating=3.5), "rating must be an integer from 1 to 5"),
        (ev(ts="yesterday"), "neither ISO-8601 nor epoch milliseconds"),
        (ev(ts=1_795_773_600), "looks like epoch seconds"),
        (ev(ts="1970-01-02T00:00:00Z"), "before 1990"),
        (ev(ts="2031-01-01T00:00:00Z"), "in the future"),
        (ev(user_id="u\x00"), "control characters"),
        (ev(user_id="   "), "blank"),
        (ev(user_id="u" * 300), "limit is 256"),
        (ev(item={"price": -1}), "item.price must be a finite number >= 0"),
        (ev(item={"category": 5}), "item.category must be a string or a list"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_invalid_records_say_why(record, reason):
    with pytest.raises(InvalidEvent, match=reason):
        parse_record(record, NOW)


def test_injection_shaped_ids_are_just_data():
    e = parse_record(ev(user_id="x'}) DETACH DELETE n //"), NOW)
    assert e.user_id == "x'}) DETACH DELETE n //"


def test_review_sentiment_from_rating():
    assert parse_record(ev(type="review", text="差", rating=1), NOW).sentiment == -1.0
    assert parse_record(ev(type="review", text="好", rating=5), NOW).sentiment == 1.0


def test_query_id_is_stable_over_case_and_spacing():
    assert query_id("Bluetooth  Earbuds") == query_id(" bluetooth earbuds ")
    assert query_id("蓝牙耳机") != query_id("耳机")
