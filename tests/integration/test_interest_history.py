import math

from ingest.ledger import prune
from ingest.pipeline import sync_records
from ingest.writer import GraphWriter
from interestgraph.graph import read

DAY = 86_400_000


def test_profile_on_a_past_date_and_movers(driver, settings, prefix, tmp_path):
    p = prefix
    t0 = 1_793_000_000_000 - 1_793_000_000_000 % DAY + 12 * 3_600_000  # noon UTC
    recs = [
        {"event_id": f"{p}1", "user_id": f"{p}u", "type": "purchase", "ts": t0, "item_id": f"{p}shoe",
         "item": {"category": f"{p}sports"}},
        {"event_id": f"{p}2", "user_id": f"{p}u", "type": "view", "ts": t0 + 3 * DAY, "item_id": f"{p}book",
         "item": {"category": f"{p}books"}},
        {"event_id": f"{p}3", "user_id": f"{p}u", "type": "purchase", "ts": t0 + 3 * DAY + 1000,
         "item_id": f"{p}book"},
        {"event_id": f"{p}4", "user_id": f"{p}u", "type": "review", "ts": t0 + 4 * DAY, "item_id": f"{p}shoe",
         "rating": 1, "text": "hurt my feet"},
    ]
    sync_records("t", recs, GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    h = settings.half_life_ms
    from datetime import UTC, datetime

    def day(ms):
        return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()

    first_day = read(driver, settings, "analyst/interest_profile_on", user_id=f"{p}u", date=day(t0),
                     half_life_ms=h, k=10)
    assert [r["category"] for r in first_day] == [f"{p}sports"]
    end0 = t0 - t0 % DAY + DAY
    assert math.isclose(first_day[0]["weight"], 8.0 * 2 ** (-(end0 - t0) / h))

    later = {r["category"]: r["weight"] for r in read(
        driver, settings, "analyst/interest_profile_on", user_id=f"{p}u", date=day(t0 + 4 * DAY), half_life_ms=h, k=10)}
    end4 = end0 + 4 * DAY
    assert math.isclose(later[f"{p}sports"], 8.0 * 2 ** (-(end4 - t0) / h) - 3.0 * 2 ** (-(end4 - t0 - 4 * DAY) / h))
    assert later[f"{p}books"] > later[f"{p}sports"]

    # The live INTERESTED_IN agrees with the history replayed to its own updated_at.
    live = driver.execute_query(
        "MATCH (:User {id: $u})-[r:INTERESTED_IN]->(c) RETURN c.id AS c, r.weight AS w, r.updated_at.epochMillis AS at",
        u=f"{p}u").records
    for r in live:
        hist = sum(w * 2 ** (-(r["at"] - at) / h) for (c, w, at) in [
            (x["c"], x["w"], x["at"]) for x in driver.execute_query(
                "MATCH (:User {id: $u})-[d:INTEREST_DAY]->(c) RETURN c.id AS c, d.weight AS w, d.at.epochMillis AS at",
                u=f"{p}u").records] if c == r["c"])
        assert math.isclose(hist, r["w"], rel_tol=1e-9)

    window = {"from": day(t0), "to": day(t0 + 4 * DAY)}
    movers = read(driver, settings, "analyst/interest_movers", user_id=f"{p}u", half_life_ms=h, k=10, **window)
    by_cat = {r["category"]: r for r in movers}
    assert by_cat[f"{p}books"]["change"] > 0 and by_cat[f"{p}sports"]["change"] < 0
    assert movers[0]["category"] == f"{p}books"


def test_co_behaviour_is_derivable(driver, settings, prefix, tmp_path):
    p = prefix
    recs = [{"event_id": f"{p}{n}", "user_id": f"{p}{u}", "type": "view", "ts": 1_793_000_000_000 + n,
             "item_id": f"{p}{i}"} for n, (u, i) in enumerate([("a", "x"), ("b", "x"), ("b", "y"), ("a", "y"),
                                                                 ("c", "y")])]
    sync_records("t", recs, GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    rows = read(driver, settings, "analyst/co_behaviour_users", user_id=f"{p}a", k=5)
    assert [(r["user_id"], r["shared_items"]) for r in rows] == [(f"{p}b", 2), (f"{p}c", 1)]


def test_ledger_prune_drops_only_old_ids(driver, settings, prefix, tmp_path):
    sync_records("t", [{"event_id": f"{prefix}new", "user_id": f"{prefix}u", "type": "view",
                        "ts": 1_793_000_000_000, "item_id": f"{prefix}i"}],
                 GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    # An entry recorded 40 days ago (written directly: the writer always stamps "now").
    driver.execute_query("CREATE (:SeenEvent {id: $id, at: datetime() - duration({days: 40})})", id=f"{prefix}old")
    # Scoped to this test's namespace: a whole-ledger prune would forget other tests' (and real) ids.
    prune(driver, settings, days=30, prefix=prefix)
    left = driver.execute_query("MATCH (e:SeenEvent) WHERE e.id STARTS WITH $p RETURN collect(e.id) AS ids",
                                p=prefix).records[0]["ids"]
    assert left == [f"{prefix}new"]
