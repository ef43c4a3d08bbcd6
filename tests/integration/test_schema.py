from interestgraph.schema import VECTOR_INDEXES, apply


def test_schema_applies_twice_and_creates_everything(driver, settings):
    first = apply(driver, settings)
    second = apply(driver, settings)
    assert first == second
    constraints = {r["name"] for r in driver.execute_query("SHOW CONSTRAINTS YIELD name").records}
    assert {"user_id", "item_id", "category_id", "query_id", "seen_event_id"} <= constraints
    vectors = {r["name"]: r["state"] for r in driver.execute_query(
        "SHOW VECTOR INDEXES YIELD name, state").records}
    for name in VECTOR_INDEXES:
        assert vectors[name] == "ONLINE"
