import json
import os
import subprocess
import sys

import numpy as np

from gnn.refresh import refresh
from gnn.registry import active_card
from ingest.pipeline import sync
from ingest.writer import GraphWriter
from interestgraph.graph import read, write
from interestgraph.serve import recommend, similar
from workers.tasks import refresh as refresh_task

# A user's vector is written fresh (embedding_fresh); its indexed copy (embedding) follows in bulk.
EMB = """
MATCH (n) WHERE (n:User OR n:Item) AND n.id STARTS WITH $p
RETURN n.id AS id, size(coalesce(n.embedding_fresh, n.embedding)) AS dim, n.embedding_model AS model,
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
    users = [f"{prefix}u{n}" for n in range(3)]
    items = [f"{prefix}i{n}" for n in range(8)]
    report = refresh_task.apply_async(kwargs={"users": users, "items": items}).get(timeout=300)
    # It ran in the worker process, not here.
    assert report["owner"].split(":")[1] != str(os.getpid())
    assert (report["users"], report["items"]) == (3, 8)
    rows = driver.execute_query(EMB, p=prefix).records
    assert len(rows) == 3 + 8
    for r in rows:
        assert r["dim"] == settings.embedding_dim
        assert r["model"] == active_card(settings).tag and r["stamped"] and r["clean"]


def test_dirty_refresh_clears_the_marks(driver, settings, prefix, events_file, tmp_path):
    sync([events_file(shop(prefix))], GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    report = refresh(driver, settings, prefix=prefix)  # this test's backlog only, not every dirty node
    assert (report.users, report.items) == (3, 8)
    rows = driver.execute_query(EMB, p=prefix).records
    assert len(rows) == 11 and all(r["clean"] and r["dim"] == settings.embedding_dim for r in rows)


def test_recommend_excludes_what_the_user_has(driver, settings, prefix, events_file, tmp_path):
    sync([events_file(shop(prefix))], GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    user = f"{prefix}u0"
    has = {r["id"] for r in driver.execute_query(
        "MATCH (:User {id: $u})-[]->(i:Item) RETURN i.id AS id", u=user).records}
    assert has == {f"{prefix}i0", f"{prefix}i2", f"{prefix}i4", f"{prefix}i6"}
    # Hand-set vectors make the purchased i0 and the viewed i2 the user's exact matches and i1
    # the runner-up, so whatever else the database holds, only the filter can keep i0, i2 out.
    rng = np.random.default_rng()
    base = rng.normal(size=settings.embedding_dim)
    near = base + 0.05 * rng.normal(size=settings.embedding_dim)
    set_vec = ("MATCH (n {id: $id}) WHERE n:User OR n:Item "
               "CALL db.create.setNodeVectorProperty(n, 'embedding', $v)")
    for node_id, vec in ((user, base), (f"{prefix}i0", base), (f"{prefix}i2", base), (f"{prefix}i1", near)):
        driver.execute_query(set_vec, id=node_id, v=[float(x) for x in vec / np.linalg.norm(vec)])
    recs = recommend(driver, settings, user, k=5)
    ids = [r["item_id"] for r in recs]
    assert ids[0] == f"{prefix}i1" and not has & set(ids)
    assert [r["score"] for r in recs] == sorted((r["score"] for r in recs), reverse=True)


def test_answers_within_a_namespace(driver, settings, prefix, events_file, tmp_path):
    """With a prefix, items and users outside it never appear, however near; inside it the exact
    scores equal the vector index's (the same cosine mapped to [0, 1])."""
    other = prefix + "x-"  # a second namespace, outside both prefix + "u" and prefix + "i"
    sync([events_file(shop(prefix) + shop(other))], GraphWriter(driver, settings), tmp_path / "d.jsonl",
         progress=False)
    rng = np.random.default_rng()
    base = rng.normal(size=settings.embedding_dim)
    base /= np.linalg.norm(base)
    set_vec = ("MATCH (n {id: $id}) WHERE n:User OR n:Item "
               "CALL db.create.setNodeVectorProperty(n, 'embedding', $v)")

    def put(node_id: str, angle: float) -> None:
        """A unit vector at exactly ``angle`` radians from base (a random direction otherwise)."""
        side = rng.normal(size=settings.embedding_dim)
        side -= side.dot(base) * base
        vec = np.cos(angle) * base + np.sin(angle) * side / np.linalg.norm(side)
        driver.execute_query(set_vec, id=node_id, v=[float(x) for x in vec])

    user = f"{prefix}u0"
    put(user, 0.0)
    for n, angle in ((1, 0.3), (3, 0.6), (5, 0.9), (7, 1.2)):  # user u0's new items, in order of nearness
        put(f"{prefix}i{n}", angle)
        put(f"{other}i{n}", angle / 10)  # the other namespace's copies are nearer still
    put(f"{prefix}u1", 0.3)
    put(f"{prefix}u2", 0.6)
    put(f"{other}u1", 0.03)
    within = recommend(driver, settings, user, k=3, prefix=f"{prefix}i")
    assert [r["item_id"] for r in within] == [f"{prefix}i1", f"{prefix}i3", f"{prefix}i5"]
    everywhere = {r["item_id"]: r["score"] for r in recommend(driver, settings, user, k=8)}
    assert f"{other}i1" in everywhere  # without the prefix the nearer copies do come back
    for r in within:
        if r["item_id"] in everywhere:
            assert abs(r["score"] - everywhere[r["item_id"]]) < 1e-6
    peers = similar(driver, settings, user, k=5, prefix=f"{prefix}u")
    assert [r["user_id"] for r in peers] == [f"{prefix}u1", f"{prefix}u2"]  # the only others embedded there
    assert f"{other}u1" in {r["user_id"] for r in similar(driver, settings, user, k=3)}


def test_cli_json_and_clear_errors(settings, prefix, events_file):
    path = events_file(shop(prefix, users=1, items=2) + ["not json"])
    exe = [sys.executable, "-m", "cli"]
    out = subprocess.run([*exe, "ingest", str(path), "--backfill", "--json", "--dead-letter", str(path) + ".dead"],
                         capture_output=True, text=True)
    assert out.returncode == 1, out.stderr  # something was rejected; the rest landed
    payload = json.loads(out.stdout)
    assert {k: payload[k] for k in ("accepted", "rejected", "duplicates")} == {"accepted": 1, "rejected": 1,
                                                                            "duplicates": 0}
    assert payload["events_per_s"] > 0
    missing = subprocess.run([*exe, "recommend", f"{prefix}nobody"], capture_output=True, text=True)
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"interestgraph recommend: no user with id '{prefix}nobody' in the graph"
    bad = subprocess.run([*exe, "ingest", "/no/such/file.jsonl"], capture_output=True, text=True)
    assert bad.returncode == 2 and "no such file" in bad.stderr


def test_item_buyer_during_refresh_keeps_it_dirty_as_of_the_read(driver, settings, prefix, events_file, tmp_path):
    """An item whose new buyer arrives between the refresh's read and its write gets the vector and
    stays dirty from the read on (how stale the vector is), not from its first mark; without a
    buyer in between, the write clears the mark."""
    writer = GraphWriter(driver, settings)
    sync([events_file(shop(prefix))], writer, tmp_path / "d.jsonl", progress=False)
    refresh(driver, settings, prefix=prefix)
    item = f"{prefix}i1"
    live = "MATCH (i:Item {id: $id}) RETURN coalesce(i.dirty_seq, 0) AS seq, coalesce(i.live_seq, 0) AS live_seq"
    before = driver.execute_query(live, id=item).records[0]
    late = {"event_id": f"{prefix}late", "user_id": f"{prefix}u9", "type": "purchase", "ts": 1795700800000,
            "item_id": item}
    sync([events_file([late], "late.jsonl")], writer, tmp_path / "d2.jsonl", progress=False)
    first_mark = driver.execute_query("MATCH (i:Item {id: $id}) RETURN i.dirty_since.epochMillis AS ms",
                                      id=item).records[0]["ms"]
    read_ms = first_mark + 5_000  # the refresh read after the first mark; the new buyer came after the read
    vec = [0.5] * settings.embedding_dim
    row = {"id": item, "vec": vec, "seq": before["seq"], "live_seq": before["live_seq"], "due_ms": None,
           "read_ms": read_ms}
    assert [r["id"] for r in write(driver, settings, "gnn/write_item_vectors", rows=[row], model="m")] == [item]
    got = driver.execute_query("MATCH (i:Item {id: $id}) RETURN i.dirty_since.epochMillis AS ms, "
                               "i.embedding_fresh AS v, i.live_seq AS live_seq", id=item).records[0]
    assert got["live_seq"] == before["live_seq"] + 1 and got["v"] == vec
    assert got["ms"] == read_ms  # stale since the read, not since its first mark
    current = {**row, "live_seq": got["live_seq"], "read_ms": read_ms + 1_000}
    write(driver, settings, "gnn/write_item_vectors", rows=[current], model="m")
    assert driver.execute_query("MATCH (i:Item {id: $id}) RETURN i.dirty_since IS NULL AS clean",
                                id=item).records[0]["clean"]


def test_recent_read_from_a_kept_cutoff_returns_the_same_edges(driver, settings, prefix, events_file, tmp_path):
    """gnn/recent_behaviour starting from the cutoff a user keeps returns exactly what the full
    two-pass read does, after newer edges, a re-touched old edge and a late old event; a cutoff
    kept for fewer edges than asked is not used; the per-event write keeps the model's cutoff."""
    writer, user = GraphWriter(driver, settings), f"{prefix}u0"
    k = active_card(settings).k

    def view(n: int, item: int, minute: int) -> dict:
        return {"event_id": f"{prefix}e{n}", "user_id": user, "type": "view", "ts": 1795600800000 + minute * 60_000,
                "item_id": f"{prefix}i{item}"}

    sync([events_file([view(n, n, 10 + n) for n in range(k + 5)])], writer, tmp_path / "d.jsonl", progress=False)
    refresh(driver, settings, users=[user], similar=False)
    kept = driver.execute_query("MATCH (u:User {id: $id}) RETURN u.recent_cutoff_ms AS ms, u.recent_cutoff_k AS k",
                                id=user).records[0]
    assert (kept["ms"], kept["k"]) == (1795600800000 + (10 + 5) * 60_000, k)  # the k-th newest of k + 5

    def recent(kk: int, cached: bool) -> list:
        if not cached:
            driver.execute_query("MATCH (u:User {id: $id}) SET u.saved = [u.recent_cutoff_ms, u.recent_cutoff_k] "
                                 "REMOVE u.recent_cutoff_ms, u.recent_cutoff_k", id=user)
        try:
            return [r["edges"] for r in read(driver, settings, "gnn/recent_behaviour", ids=[user], k=kk)]
        finally:
            if not cached:
                driver.execute_query("MATCH (u:User {id: $id}) SET u.recent_cutoff_ms = u.saved[0], "
                                     "u.recent_cutoff_k = u.saved[1] REMOVE u.saved", id=user)

    assert recent(k, cached=True) == recent(k, cached=False)
    # Newer edges, an old edge touched again, a late event older than the cutoff: the kept cutoff is old now.
    later = [view(1000, 1000, 500), view(1001, 2, 501), view(1002, 1002, 0)]
    sync([events_file(later, "later.jsonl")], writer, tmp_path / "d2.jsonl", progress=False)
    got = recent(k, cached=True)
    assert got == recent(k, cached=False)
    targets = [e[1] for e in got[0]]
    assert targets[:2] == [f"{prefix}i2", f"{prefix}i1000"] and f"{prefix}i1002" not in targets
    assert len(recent(k + 3, cached=True)[0]) == k + 3  # kept for k: the full read for more
    assert recent(k + 3, cached=True) == recent(k + 3, cached=False)
