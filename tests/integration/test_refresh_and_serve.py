import json
import os
import subprocess
import sys

from gnn.refresh import refresh
from ingest.pipeline import sync
from ingest.writer import GraphWriter
from interestgraph.serve import recommend
from workers.tasks import refresh as refresh_task

EMB = """
MATCH (n) WHERE (n:User OR n:Item) AND n.id STARTS WITH $p
RETURN n.id AS id, size(n.embedding) AS dim, n.embedding_model AS model,
       n.embedded_at IS NOT NULL AS stamped, n.dirty_since IS NULL AS clean
ORDER BY id
"""


def shop(p: str, users: int = 3, items: int = 8) -> list:
    out = []
    n = 0
    for u in range(users):
        for i in range(items):
            if (u + i) % 2 == 0:
                n += 1
                kind = "purchase" if i < 2 else "view"
                out.append({"event_id": f"{p}e{n}", "user_id": f"{p}u{u}", "type": kind,
                            "ts": 1795600800000 + n * 1000, "item_id": f"{p}i{i}",
                            "item": {"title": f"item {i}", "category": f"{p}c{i % 3}", "price": 10.0 + i}})
    return out


def test_celery_worker_writes_embeddings(driver, settings, prefix, events_file, tmp_path):
    sync([events_file(shop(prefix))], GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    report = refresh_task.apply_async(kwargs={}).get(timeout=300)
    # It ran in the worker process, not here.
    assert report["owner"].split(":")[1] != str(os.getpid())
    rows = driver.execute_query(EMB, p=prefix).records
    assert len(rows) == 3 + 8
    for r in rows:
        assert r["dim"] == settings.embedding_dim
        assert r["model"] == "gin:init-s0" and r["stamped"] and r["clean"]


def test_recommend_excludes_purchases(driver, settings, prefix, events_file, tmp_path):
    sync([events_file(shop(prefix))], GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    refresh(driver, settings)
    user = f"{prefix}u0"
    purchased = {r["id"] for r in driver.execute_query(
        "MATCH (:User {id: $u})-[:PURCHASED]->(i) RETURN i.id AS id", u=user).records}
    assert purchased == {f"{prefix}i0"}
    unfiltered = {r["id"] for r in driver.execute_query(
        "MATCH (u:User {id: $u}) CALL db.index.vector.queryNodes('item_embedding', 500, u.embedding) "
        "YIELD node RETURN node.id AS id", u=user).records}
    assert purchased <= unfiltered  # so the filter below has something to remove
    recs = recommend(driver, settings, user, k=200)
    ids = [r["item_id"] for r in recs]
    assert ids and not (set(ids) & purchased)
    assert [r["score"] for r in recs] == sorted((r["score"] for r in recs), reverse=True)


def test_cli_json_and_clear_errors(settings, prefix, events_file):
    path = events_file(shop(prefix, users=1, items=2) + ["not json"])
    exe = [sys.executable, "-m", "interestgraph.cli"]
    out = subprocess.run([*exe, "ingest", str(path), "--json", "--dead-letter", str(path) + ".dead"],
                         capture_output=True, text=True, check=True)
    payload = json.loads(out.stdout)
    assert {k: payload[k] for k in ("accepted", "rejected", "duplicates")} == {"accepted": 1, "rejected": 1,
                                                                            "duplicates": 0}
    assert payload["events_per_s"] > 0
    missing = subprocess.run([*exe, "recommend", f"{prefix}nobody"], capture_output=True, text=True)
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"interestgraph recommend: no user with id '{prefix}nobody' in the graph"
    bad = subprocess.run([*exe, "ingest", "/no/such/file.jsonl"], capture_output=True, text=True)
    assert bad.returncode == 2 and "no such file" in bad.stderr
