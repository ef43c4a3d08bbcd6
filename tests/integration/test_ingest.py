import json

from ingest.pipeline import sync
from ingest.writer import GraphWriter

COUNTS = """
MATCH (n) WHERE (n:User OR n:Item OR n:Category) AND n.id STARTS WITH $p
RETURN labels(n)[0] AS label, count(*) AS n
"""
RELS = """
MATCH (a)-[r]->(b) WHERE a.id STARTS WITH $p
RETURN type(r) AS type, count(*) AS n, sum(coalesce(r.count, 0)) AS events
"""


def sample(p: str) -> list:
    item1 = {"title": "蓝牙耳机", "category": f"{p}audio", "price": 199.0}
    item2 = {"title": "Phone case", "category": [f"{p}audio", f"{p}phones"], "price": 9.5}
    return [
        {"event_id": f"{p}e1", "user_id": f"{p}u1", "type": "view", "ts": "2026-11-20T10:00:00Z",
         "item_id": f"{p}i1", "item": item1},
        {"event_id": f"{p}e2", "user_id": f"{p}u1", "type": "view", "ts": 1795600800000, "item_id": f"{p}i1"},
        {"event_id": f"{p}e3", "user_id": f"{p}u1", "type": "click", "ts": "2026-11-20T10:05:00Z",
         "item_id": f"{p}i1"},
        "{this line is not json",
        {"event_id": f"{p}e4", "user_id": f"{p}u1", "type": "purchase", "ts": "2026-11-20T10:10:00Z",
         "item_id": f"{p}i2", "item": item2},
        {"event_id": f"{p}e5", "user_id": f"{p}u2", "type": "cart", "ts": "2026-11-21T09:00:00Z",
         "item_id": f"{p}i2"},
        {"event_id": f"{p}e6", "user_id": f"{p}u2", "type": "search", "ts": "2026-11-21T09:01:00Z",
         "query": f"{p} Bluetooth Earbuds"},
        {"event_id": f"{p}e7", "user_id": f"{p}u1", "type": "search", "ts": "2026-11-21T09:02:00Z",
         "query": f"  {p}  bluetooth   earbuds "},
        {"event_id": f"{p}e8", "user_id": f"{p}u2", "type": "like", "ts": "2026-11-21T09:03:00Z",
         "item_id": f"{p}i1"},
        {"event_id": f"{p}e9", "user_id": f"{p}u2", "type": "review", "ts": "2026-11-21T09:04:00Z",
         "item_id": f"{p}i1", "rating": 1, "text": "用了两天就坏了"},
        {"event_id": f"{p}e1", "user_id": f"{p}u1", "type": "view", "ts": "2026-11-20T10:00:00Z",
         "item_id": f"{p}i1"},
        {"event_id": f"{p}e10", "user_id": f"x'}}) DETACH DELETE n //{p}", "type": "view",
         "ts": "2026-11-21T09:05:00Z", "item_id": f"{p}i1"},
    ]


def snapshot(driver, p):
    nodes = {r["label"]: r["n"] for r in driver.execute_query(COUNTS, p=p).records}
    rels = {r["type"]: (r["n"], r["events"]) for r in driver.execute_query(RELS, p=p).records}
    weights = driver.execute_query(
        "MATCH (a)-[r]->() WHERE a.id STARTS WITH $p RETURN type(r) AS t, a.id AS a, r.weight AS w "
        "ORDER BY t, a, w", p=p).records
    return nodes, rels, [tuple(r) for r in weights]


def test_ingest_counts_dead_letters_and_replay(driver, settings, prefix, events_file, tmp_path):
    p = prefix
    path = events_file(sample(p))
    dead = tmp_path / "dead.jsonl"
    # A Query node's id hashes its normalised text, so the query text carries this test's prefix:
    # the Query is new and this test's own, with no intent (MEANS) that would move interests at
    # ingest, and nothing here touches a query another test or real data uses.
    report = sync([path], GraphWriter(driver, settings), dead, batch_size=4, progress=False)
    assert (report.accepted, report.rejected, report.duplicates) == (9, 2, 1)

    rejected = [json.loads(line) for line in dead.read_text().splitlines()]
    assert [r["line"] for r in rejected] == [4, 9]
    assert rejected[0]["reason"].startswith("invalid JSON")
    assert rejected[1]["reason"] == "type must be one of view, click, cart, purchase, search, review; got 'like'"

    nodes, rels, weights = snapshot(driver, p)
    assert nodes == {"User": 2, "Item": 2, "Category": 2}
    assert rels == {
        "VIEWED": (1, 2), "CLICKED": (1, 1), "PURCHASED": (1, 1), "ADDED_TO_CART": (1, 1),
        "SEARCHED": (2, 2), "REVIEWED": (1, 1), "IN_CATEGORY": (3, 0), "INTERESTED_IN": (4, 0),
        "INTEREST_DAY": (5, 0),  # u1 acted on two days: the epoch-ms event is on 25 Nov
    }
    review = driver.execute_query(
        "MATCH (:User {id: $u})-[r:REVIEWED]->(:Item {id: $i}) "
        "RETURN r.rating AS rating, r.sentiment AS s, r.text AS t",
        u=f"{p}u2", i=f"{p}i1").records[0]
    assert (review["rating"], review["s"], review["t"]) == (1, -1.0, "用了两天就坏了")
    queries = driver.execute_query(
        "MATCH (u:User)-[:SEARCHED]->(q:Query) WHERE u.id STARTS WITH $p RETURN DISTINCT q.text AS text", p=p).records
    assert [r["text"] for r in queries] == [f"{p} bluetooth earbuds"]  # both spellings: one Query
    # The injection-shaped id is a plain string on a User node, and nothing was deleted.
    odd = driver.execute_query("MATCH (u:User {id: $id}) RETURN count(u) AS n",
                               id=f"x'}}) DETACH DELETE n //{p}").records[0]["n"]
    assert odd == 1

    again = sync([path], GraphWriter(driver, settings), dead, batch_size=3, progress=False)
    assert (again.accepted, again.duplicates) == (0, 10)
    assert snapshot(driver, p) == (nodes, rels, weights)


def test_negative_review_lowers_interest(driver, settings, prefix, events_file, tmp_path):
    p = prefix
    base = {"user_id": f"{p}u", "item_id": f"{p}i", "item": {"category": f"{p}c"}}
    sync([events_file([{**base, "event_id": f"{p}a", "type": "purchase", "ts": "2026-11-20T10:00:00Z"}])],
         GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    q = "MATCH (:User {id: $u})-[r:INTERESTED_IN]->(:Category {id: $c}) RETURN r.weight AS w"
    before = driver.execute_query(q, u=f"{p}u", c=f"{p}c").records[0]["w"]
    sync([events_file([{**base, "event_id": f"{p}b", "type": "review", "ts": "2026-11-20T10:00:00Z",
                        "rating": 1, "text": "terrible"}], name="b.jsonl")],
         GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    after = driver.execute_query(q, u=f"{p}u", c=f"{p}c").records[0]["w"]
    assert before == 8.0 and after == 5.0
