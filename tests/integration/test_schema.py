from interestgraph.schema import VECTOR_INDEXES, apply
from textenc.encoders import model_dim, text_model_dir


def test_schema_applies_twice_and_creates_everything(driver, settings):
    text_dim = model_dim(text_model_dir())
    first = apply(driver, settings, text_dim)
    second = apply(driver, settings, text_dim)
    assert first == second
    constraints = {r["name"] for r in driver.execute_query("SHOW CONSTRAINTS YIELD name").records}
    assert {"user_id", "item_id", "category_id", "query_id", "seen_event_id"} <= constraints
    vectors = {r["name"]: r["state"] for r in driver.execute_query(
        "SHOW VECTOR INDEXES YIELD name, state").records}
    for name in VECTOR_INDEXES:
        assert vectors[name] == "ONLINE"
