"""Producers that stall, flood or amplify: each limit against the real Neo4j and Redis."""

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
