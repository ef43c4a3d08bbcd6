"""Training, the per-event path, train/serve equality and the evaluation harness, on the real
Neo4j, Redis and Celery worker."""

import json
import subprocess
import sys

import numpy as np

from gnn.behaviour import newest
from gnn.counting import stats_at
from gnn.export import export
from gnn.registry import registered
from gnn.runtime import ModelRuntime
from ingest.datasets import movielens
from ingest.pipeline import sync_records
from ingest.synthetic import StreamShape, events
from ingest.writer import GraphWriter
from tests.integration.conftest import write_jsonl
from workers.tasks import refresh as refresh_task

CLI = [sys.executable, "-m", "cli"]
# A user's exact vector is embedding_fresh (embedding is its indexed copy, seconds behind); an item's is embedding.
VEC = ("MATCH (n {id: $id}) WHERE n:User OR n:Item RETURN coalesce(n.embedding_fresh, n.embedding) AS v, "
       "n.embedding_model AS model")
LIVE = ("UNWIND $ids AS id MATCH (i:Item {id: id}) RETURN i.id AS id, i.live_decayed AS decayed, i.live_ms AS at, "
        "i.live_total AS total, i.live_first_ms AS first, i.embedded_at.epochMillis AS embedded_ms")


def _train(prefix: str, *extra: str) -> dict:
    out = subprocess.run([*CLI, "train", "--model", "gin", "--prefix", prefix, "--epochs", "3", "--no-activate",
                          "--json", *extra], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_train_registers_a_version_without_activating(driver, settings, prefix, tmp_path):
    recs = list(events(StreamShape(events=3_000, users=150, items=80, seed=5, prefix=prefix)))
    sync_records("t", recs, GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    result = _train(prefix)
    assert result["model"].startswith("gin:v") and result["active"] is False
    assert 0.0 <= result["val_recall@20"] <= 1.0 and result["epochs_run"] <= 3 and result["examples"] > 1000
    card = json.loads(open(result["weights"].replace(".pt", ".json")).read())
    assert card["meta"]["trained"] is True and card["n_items"] == result["items"] > 0
    assert len(json.loads(open(card["vocab"]).read())["items"]) == card["n_items"]


def test_a_vector_written_by_the_worker_equals_the_trained_models(driver, settings, prefix, tmp_path):
    recs = list(events(StreamShape(events=2_000, users=60, items=40, seed=6, prefix=prefix, duplicate_rate=0.0)))
    sync_records("t", recs, GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    tag = _train(prefix)["model"]
    users = sorted({r["user_id"] for r in recs})
    items = sorted({r["item_id"] for r in recs if "item_id" in r})
    report = refresh_task.apply_async(kwargs={"users": users, "items": items, "model": tag}).get(timeout=300)
    assert (report["users"], report["items"], report["model"]) == (len(users), len(items), tag)
    # The trained model, in this process, on the training export of the same nodes.
    card = registered(settings, tag)
    rt = ModelRuntime.from_card(card, "cpu")
    data = export(driver, settings, prefix=prefix)
    rt.remember_items(data.items)
    rt.remember_queries(data.queries)
    want_users = rt.stored_users(rt.user_vectors([newest(data.edges[u], card.k) for u in users]))
    h, b = rt.item_vectors(data.items)
    # Items carry their live state as of when the worker embedded them (embedded_at).
    live = {r["id"]: r for r in driver.execute_query(LIVE, ids=[i.id for i in data.items]).records}
    stats = np.vstack([stats_at([live[i.id]["decayed"]], [live[i.id]["at"]], [live[i.id]["total"]],
                                [live[i.id]["first"]], live[i.id]["embedded_ms"]) for i in data.items])
    want_items = dict(zip([i.id for i in data.items], rt.stored_items(*rt.live_items(h, b, stats)), strict=True))
    assert card.live and any(live[i]["total"] for i in live)
    for user, want in zip(users, want_users, strict=True):
        got = driver.execute_query(VEC, id=user).records[0]
        assert got["model"] == tag and np.allclose(got["v"], want, atol=1e-5), user
    for item in items:
        got = driver.execute_query(VEC, id=item).records[0]
        assert np.allclose(got["v"], want_items[item], atol=1e-5), item


def test_ingest_re_embeds_each_batchs_users_with_the_model(driver, settings, prefix, events_file):
    def ev(n, user, item, kind="view"):
        return {"event_id": f"{prefix}e{n}", "user_id": f"{prefix}{user}", "type": kind, "ts": 1_795_000_000_000 + n,
                "item_id": f"{prefix}{item}", "item": {"title": f"thing {item}", "category": f"{prefix}c"}}

    first = events_file([ev(1, "u1", "i1"), ev(2, "u1", "i2"), ev(3, "u2", "i1")], "a.jsonl")
    subprocess.run([*CLI, "ingest", str(first), "--backfill", "--no-text", "--json"], capture_output=True, text=True,
                   check=True)
    state = ("MATCH (u:User {id: $id}) RETURN u.embedding_fresh AS v, u.dirty_since IS NULL AS clean, "
             "u.embedded_src_ms AS src, u.embedding_model AS model")
    u1 = driver.execute_query(state, id=f"{prefix}u1").records[0]
    assert u1["clean"] and len(u1["v"]) == settings.embedding_dim and u1["src"] is not None
    # The user's next event moves the vector at once; the other user's is untouched.
    u2 = driver.execute_query(state, id=f"{prefix}u2").records[0]
    second = events_file([ev(4, "u1", "i3", "purchase")], "b.jsonl")
    subprocess.run([*CLI, "ingest", str(second), "--backfill", "--no-text", "--json"], capture_output=True, text=True,
                   check=True)
    u1b = driver.execute_query(state, id=f"{prefix}u1").records[0]
    assert u1b["clean"] and u1b["src"] >= u1["src"] and not np.allclose(u1b["v"], u1["v"])
    assert driver.execute_query(state, id=f"{prefix}u2").records[0]["v"] == u2["v"]
    # --no-embed leaves the work to the refresh backlog: the user stays dirty.
    third = events_file([ev(5, "u2", "i3")], "c.jsonl")
    subprocess.run([*CLI, "ingest", str(third), "--backfill", "--no-text", "--no-embed"], capture_output=True,
                   check=True)
    assert not driver.execute_query(state, id=f"{prefix}u2").records[0]["clean"]


def test_status_reports_backlog_and_workers(settings):
    out = json.loads(subprocess.run([*CLI, "status", "--json"], capture_output=True, text=True, check=True).stdout)
    for key in ("dirty_users", "dirty_items", "oldest_dirty_s", "refresh_per_s", "gnn_p95_s", "active_model",
                "workers"):
        assert key in out
    assert out["workers"], "the Celery worker started by make should answer"


METHODS = ("popularity", "popularity_recent", "item_knn", "item_knn_recent", "user_knn", "mean_recent", "gds_fastrp",
           "gds_graphsage", "sasrec", "gin_static", "gin_model", "gin_dynamic", "gcn_static", "gcn_dynamic")


def test_evaluation_harness_runs_every_method(driver, settings, tmp_path):
    path = write_jsonl(tmp_path / "ml.jsonl", movielens.events()[:4000])
    # Through the command, as a user runs it: tests do not import the evaluation harness.
    done = subprocess.run([*CLI, "evaluate", "--events", str(path), "--epochs", "2", "--check-every", "100",
                           "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    assert [m["method"] for m in out["methods"]] == list(METHODS)
    for m in out["methods"]:
        assert 0.0 <= m["recall@20"] <= 1.0 and 0.0 <= m["ndcg@20"] <= m["recall@20"] + 1e-9
    assert out["past_events"] + out["stream_events"] == 4000 and out["scored_events"] > 0
    # Item-kNN has real signal on MovieLens; a broken harness would score it near zero.
    assert next(m for m in out["methods"] if m["method"] == "item_knn")["recall@20"] > 0.05
    # The vectors the workers' code wrote through Neo4j are the ones the harness scored with.
    check = out["serve_check"]
    assert check["users_compared"] > 0 and check["max_abs_diff"] < 1e-4
    assert out["per_event_update"]["users_per_s"] > 0
