from collections import Counter

from ingest.datasets import movielens
from ingest.events import parse_record


def test_converter_maps_every_rating_in_time_order():
    events = movielens.events()
    assert len(events) == 100_000
    assert len({e["user_id"] for e in events}) == 943
    assert len({e["item_id"] for e in events}) == 1682
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    kinds = Counter((e["type"], e.get("rating")) for e in events)
    assert set(kinds) == {("review", 1), ("review", 2), ("view", None), ("review", 4), ("review", 5)}
    # MovieLens-100K's published rating histogram.
    assert kinds[("view", None)] == 27_145 and kinds[("review", 4)] == 34_174 and kinds[("review", 1)] == 6_110
    assert len({e["event_id"] for e in events}) == 100_000


def test_records_pass_the_contract_and_carry_genres():
    events = movielens.events()
    first = parse_record(events[0], now_ms=1_800_000_000_000)
    assert first.ts_ms == events[0]["ts"] and first.user_id.startswith("ml100k-u")
    toy = next(e for e in events if e["item_id"] == "ml100k-i1")
    assert toy["item"] == {"title": "Toy Story (1995)", "category": ["Animation", "Children's", "Comedy"]}
    for rec in events[::997]:
        parse_record(rec, now_ms=1_800_000_000_000)
