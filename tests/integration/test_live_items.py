"""Items that move with the live graph, on the real Neo4j, Redis and Celery worker: a new item
bought by a few shoppers is recommended to the shoppers like them within seconds, with no
retraining; ingest keeps the items' live counters; train's gate says what it serves."""

import json
import subprocess
import sys
import time

import pytest

from gnn.refresh import RuntimeCache, item_buyers
from tests.integration.conftest import write_jsonl
from workers.tasks import refresh as refresh_task

CLI = [sys.executable, "-m", "cli"]
T0 = 1_795_000_000_000
COUNTERS = "MATCH (i:Item {id: $id}) RETURN i.live_total AS total, i.live_decayed AS decayed, i.live_ms AS at"


def taste_shop(p: str, users: int = 24, items: int = 12, others: int = 3) -> list[dict]:
    """Two tastes: ``users`` shoppers of group a buy every a-item, ``others`` of group b every
    b-item (so no b-item outsells what three a-shoppers buy), a purchase a minute."""
    out = []
    for g, n_users in (("a", users), ("b", others)):
        for u in range(n_users):
            for n, i in enumerate((u + k) % items for k in range(items)):
                out.append({"event_id": f"{p}{g}{u}-{i}", "user_id": f"{p}{g}u{u}", "type": "purchase",
                            "ts": T0 + (n * users + u) * 60_000, "item_id": f"{p}{g}{i}",
                            "item": {"title": f"{g} thing {i}", "category": f"{p}{g}", "price": 10.0 + i}})
    return out


def cli(*args: str) -> dict:
    done = subprocess.run([*CLI, *args, "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_new_item_bought_by_a_few_shoppers_reaches_similar_shoppers_within_seconds(driver, settings, prefix,
                                                                                      tmp_path):
    cli("ingest", str(write_jsonl(tmp_path / "shop.jsonl", taste_shop(prefix))), "--no-text", "--backfill")
    trained = cli("train", "--model", "gin", "--prefix", prefix, "--epochs", "3", "--readout")
    assert trained["ranking"] in ("fused", "model", "popularity", "popularity_1h", "popularity_1d", "popularity_7d",
                                  "item_knn", "item_knn_recent", "user_knn")
    assert trained["decision"] and trained["gate"] is not None
    # Every a-shopper has every a-item: what is left for au0 is the b-items, and what comes next.
    new = f"{prefix}a-new"
    buys = [{"event_id": f"{prefix}new{u}", "user_id": f"{prefix}au{u}", "type": "purchase",
             "ts": T0 + 10**8 + u * 1000, "item_id": new,
             "item": {"title": "a brand-new a thing", "category": f"{prefix}a", "price": 12.0}} for u in (1, 2, 3)]
    started = time.monotonic()
    cli("ingest", str(write_jsonl(tmp_path / "new.jsonl", buys)), "--no-text", "--backfill")
    counters = driver.execute_query(COUNTERS, id=new).records[0]
    assert counters["total"] == 3 and len(counters["decayed"]) == 3 and counters["at"] == T0 + 10**8 + 3000
    # The worker embeds the new item, with its three buyers, from the live graph (this item only:
    # the shared database's backlog belongs to other tests).
    report = refresh_task.apply_async(kwargs={"items": [new]}).get(timeout=120)
    assert report["items"] == 1
    # The item readout read the three buyers, newest first, with the vectors the graph holds for them.
    runtime = RuntimeCache(settings)()
    assert runtime.card.readout and runtime.model.buyers is not None
    buyers = item_buyers(driver, settings, runtime, [new], T0 + 10**8 + 4000)
    assert buyers is not None and buyers.mask[0].sum() == 3
    assert buyers.age_h[0, :3].tolist() == pytest.approx([n / 3600.0 for n in (1, 2, 3)])
    fresh = driver.execute_query("MATCH (u:User {id: $id}) RETURN u.embedding_fresh AS v",
                                 id=f"{prefix}au3").records[0]["v"]
    assert buyers.vectors[0, 0].tolist() == pytest.approx(fresh[:runtime.card.dim], abs=1e-6)
    mine = cli("recommend", f"{prefix}au0", "--k", "3", "--prefix", prefix)["items"]
    elapsed = time.monotonic() - started
    assert mine[0]["item_id"] == new, mine
    assert mine[0]["signals"]["item_knn"] > 0 and mine[0]["signals"]["popularity"] == 3
    assert elapsed < 60, f"took {elapsed:.1f}s"
    # A b-shopper has nothing in common with the new item's buyers: no co-behaviour brings it.
    theirs = {r["item_id"]: r["signals"] for r in cli("recommend", f"{prefix}bu0", "--k", "20", "--prefix",
                                                       prefix)["items"]}
    assert new not in theirs or theirs[new]["user_knn"] == theirs[new]["item_knn"] == 0


def test_replayed_events_do_not_count_buyers_twice(driver, prefix, tmp_path):
    events = taste_shop(prefix, users=3, items=4, others=1)
    path = write_jsonl(tmp_path / "shop.jsonl", events)
    cli("ingest", str(path), "--no-text", "--no-embed", "--backfill")
    before = driver.execute_query(COUNTERS, id=f"{prefix}a0").records[0]
    cli("ingest", str(path), "--no-text", "--no-embed", "--backfill")  # every id is in the ledger: nothing changes
    after = driver.execute_query(COUNTERS, id=f"{prefix}a0").records[0]
    assert before["total"] == after["total"] == 3 and before["decayed"] == after["decayed"]
    # A second behaviour of a buyer on the same item is not a new buyer.
    again = [{**events[0], "event_id": f"{prefix}again", "type": "view", "ts": events[0]["ts"] + 5}]
    cli("ingest", str(write_jsonl(tmp_path / "again.jsonl", again)), "--no-text", "--no-embed", "--backfill")
    assert driver.execute_query(COUNTERS, id=events[0]["item_id"]).records[0]["total"] == 3
