"""The transaction sampler's labelling and windows (``SHOW TRANSACTIONS`` rows as Neo4j returns them)."""

from __future__ import annotations

from interestgraph.cypher_registry import statement_text
from interestgraph.txprofile import Sample, label_rows, summarise

WRITE = statement_text("gnn/write_user_vectors")


def test_statements_are_named_and_lock_waits_point_at_their_holder():
    rows = [
        {"transactionId": "neo4j-transaction-7", "currentQuery": WRITE + "\n", "status": "Running", "metaData": {}},
        {"transactionId": "neo4j-transaction-8", "currentQuery": "", "status": "Running",
         "metaData": {"app": "interestgraph", "work": "ingest batch"}},
        {"transactionId": "neo4j-transaction-9", "currentQuery": WRITE,
         "status": "Blocked by: [neo4j-transaction-8, neo4j-transaction-3]", "metaData": {}},
        {"transactionId": "neo4j-transaction-10", "currentQuery": "MATCH (n) RETURN n", "status": "Running",
         "metaData": None},
    ]
    s = label_rows(rows, {WRITE.strip(): "gnn/write_user_vectors"})
    assert s.running == {"gnn/write_user_vectors": 1, "ingest batch": 1, "gnn/write_user_vectors [blocked]": 1,
                         "(other statement)": 1}
    assert s.blocked_by == {("gnn/write_user_vectors", "ingest batch"): 1,
                            ("gnn/write_user_vectors", "(other transaction)"): 1}


def test_windows_count_thread_seconds_of_their_own_samples_only():
    samples = [Sample(t / 10, running={"a": 2, "b": 1}) for t in range(10)]  # 0.0 .. 0.9 s
    samples += [Sample(1.0 + t / 10, running={"b": 1}) for t in range(10)]  # 1.0 .. 1.9 s
    first, last = summarise(samples, 0.0, 1.0, 0.1), summarise(samples, 1.0, 2.0, 0.1)
    assert first["samples"] == last["samples"] == 10
    assert first["thread_s"] == {"a": 2.0, "b": 1.0}  # two threads on a for the whole second
    assert last["thread_s"] == {"b": 1.0}
    assert summarise(samples, 5.0, 6.0, 0.1)["thread_s"] == {}
