"""Producers that stall, flood or amplify: each limit against the real Neo4j and Redis."""

import json
import time

from ingest.events import MAX_CATEGORIES, parse_record
from ingest.writer import GraphWriter

NOW = int(time.time() * 1000)


def view(p, n, user, item="i", ts=None, **item_meta):
    rec = {"event_id": f"{p}e{n}", "user_id": f"{p}{user}", "type": "view", "ts": ts or NOW - 60_000 + n,
           "item_id": f"{p}{item}"}
    if item_meta:
        rec["item"] = item_meta
    return parse_record(rec)


def count(driver, cypher, **params):
    return driver.execute_query(cypher, **params).records[0]["n"]


def categories_of(driver, item):
    return {r["c"] for r in driver.execute_query("MATCH (:Item {id: $i})-[:IN_CATEGORY]->(c) RETURN c.id AS c",
                                                 i=item).records}


def interests_of(driver, user):
    return (count(driver, "MATCH (:User {id: $u})-[r:INTERESTED_IN]->() RETURN count(r) AS n", u=user),
            count(driver, "MATCH (:User {id: $u})-[r:INTEREST_DAY]->() RETURN count(r) AS n", u=user))


def test_categories_do_not_accumulate_on_an_item(driver, settings, prefix):
    p = prefix
    writer = GraphWriter(driver, settings)
    sets = [[f"{p}c{k}-{n}" for n in range(MAX_CATEGORIES)] for k in range(3)]
    for k, cats in enumerate(sets):  # three valid catalogue events, each in its own batch
        writer.write([view(p, k, "seller", category=cats)])
    assert categories_of(driver, f"{p}i") == set(sets[-1])
    writer.write([view(p, 10, "newcomer")])
    assert interests_of(driver, f"{p}newcomer") == (MAX_CATEGORIES, MAX_CATEGORIES)
    # An older catalogue event arriving late changes nothing; a newer one replaces the set.
    writer.write([view(p, 11, "seller", ts=NOW - 3_600_000, category=[f"{p}stale"])])
    assert categories_of(driver, f"{p}i") == set(sets[-1])
    writer.write([view(p, 12, "seller", category=[f"{p}audio"])])
    assert categories_of(driver, f"{p}i") == {f"{p}audio"}


def test_one_event_moves_at_most_the_category_cap_of_an_item_that_holds_more(driver, settings, prefix):
    p = prefix
    # An item amplified before the fix (categories were a union): 100 categories.
    driver.execute_query("MERGE (i:Item {id: $i}) WITH i UNWIND range(1, 100) AS n "
                         "MERGE (c:Category {id: $p + 'old' + n}) MERGE (i)-[:IN_CATEGORY]->(c)", i=f"{p}i", p=p)
    GraphWriter(driver, settings).write([view(p, 1, "u")])
    assert interests_of(driver, f"{p}u") == (MAX_CATEGORIES, MAX_CATEGORIES)


DAY = 86_400_000


def old_and_new(p, tmp_path):
    path = tmp_path / "archive.jsonl"
    recs = [{"event_id": f"{p}old", "user_id": f"{p}u", "type": "view", "ts": NOW - 40 * DAY, "item_id": f"{p}i"},
            {"event_id": f"{p}new", "user_id": f"{p}u", "type": "view", "ts": NOW - 60_000, "item_id": f"{p}i"}]
    path.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    return path


def test_events_older_than_the_replay_window_need_a_backfill(driver, settings, prefix, tmp_path):
    from ingest.ledger import prune
    from ingest.runner import ingest_files

    path, dead = old_and_new(prefix, tmp_path), tmp_path / "dead.jsonl"
    live = ingest_files(driver, settings, [path], dead_letter=dead, text=False, quiet=True)
    assert (live["accepted"], live["rejected"]) == (1, 1)
    assert "before the replay window" in dead.read_text()
    # On purpose: the old event lands, and its id outlives pruning, so the same history again is a no-op.
    back = ingest_files(driver, settings, [path], dead_letter=dead, text=False, quiet=True, backfill=True)
    assert (back["accepted"], back["duplicates"]) == (1, 1)
    prune(driver, settings, days=1, prefix=prefix)  # ... even once the window has passed (a 1-day one here)
    driver.execute_query("MATCH (e:SeenEvent) WHERE e.id STARTS WITH $p SET e.at = e.at - duration('P2D')", p=prefix)
    prune(driver, settings, days=1, prefix=prefix)
    kept = {r["id"] for r in driver.execute_query("MATCH (e:SeenEvent) WHERE e.id STARTS WITH $p RETURN e.id AS id",
                                                  p=prefix).records}
    assert kept == {f"{prefix}old"}
    again = ingest_files(driver, settings, [path], dead_letter=dead, text=False, quiet=True, backfill=True)
    assert (again["accepted"], again["duplicates"]) == (1, 1)  # new was pruned, so it counts again: not a backfill


def test_a_stream_consumer_refuses_events_older_than_the_replay_window(driver, settings, prefix, tmp_path):
    import os

    from ingest.deadletter import DeadLetters
    from ingest.ledger import ReplayWindow
    from ingest.streams import StreamConsumer, StreamSpec
    from interestgraph.settings import redis_password

    broker = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0")
    spec = StreamSpec.parse(f"{broker}/{prefix}events")
    client = spec.client(redis_password(), broker_url=broker)
    try:
        for line in old_and_new(prefix, tmp_path).read_text().splitlines():
            client.xadd(spec.stream, {"event": line})
        with DeadLetters(tmp_path / "dead.jsonl") as dead:
            total = StreamConsumer(spec, GraphWriter(driver, settings), dead, consumer="c1", block_ms=100,
                                   window=ReplayWindow(settings.ledger_days), client=client).drain(idle_exit_s=0.5)
        assert (total.accepted, total.rejected) == (1, 1)
        assert "before the replay window" in (tmp_path / "dead.jsonl").read_text()
    finally:
        client.delete(spec.stream)
