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
        (ev(ts=10**400), "more than a day in the future"),
        (ev(ts="\u0661795773600000"), "ASCII digits only"),
        (ev(user_id="u\u202e1"), "invisible format characters"),
        (ev(item_id="\uff49\uff11"), "outside printable ASCII"),
        (ev(item_id="i1 "), "leading or trailing whitespace"),
        (ev(item={"title": "a\ud800"}), "lone surrogate"),
        (ev(item={"title": "a\u200bb"}), "invisible format character"),
        (ev(item={"price": 1e308}), "item.price"),
        (ev(item={"price": "1e3"}), "item.price"),
        (ev(item={"price": True}), "item.price"),
        (ev(type="review", rating="1e0"), "rating must be an integer from 1 to 5"),
        (ev(type="review", rating=4.0), "rating must be an integer from 1 to 5"),
        (ev(type="search", item_id=None, query="\u200b"), "invisible format character"),
        (ev(type="search", item_id=None, query="\u3000 "), "query is blank"),
        (ev(ts="2016-06-30T12:00:60Z"), "leap second"),
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


@pytest.mark.parametrize(
    "record",
    [
        ev(ts="2016-12-31T23:59:60Z"),
        ev(ts="2017-01-01T08:59:60+09:00"),  # the same leap second, in Tokyo
        ev(type="review", rating="4", text="第一行\n第二行\tend"),
        ev(type="review", rating=2, text="a\r\nb"),
        ev(item={"title": "蓝牙耳机 =1+1", "category": ["音频", "audio"], "price": "199.00"}),
        ev(user_id="ml-100k-u1:a@b/c+d=e#f~g.h_i"),
        ev(item={"price": 0}),
        ev(item={"price": 1_000_000_000}),
    ],
)
def test_valid_edge_cases_are_accepted(record):
    parse_record(record, NOW)


def test_review_text_line_endings_become_newlines():
    assert parse_record(ev(type="review", rating=2, text="a\r\nb"), NOW).text == "a\nb"


def test_parse_record_wraps_anything_unexpected():
    class Hostile(dict):
        def get(self, *a, **k):
            raise RuntimeError("boom")

    with pytest.raises(InvalidEvent, match="cannot validate this record .RuntimeError"):
        parse_record(Hostile(), NOW)
