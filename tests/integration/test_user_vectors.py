"""The user write path on the real Neo4j, Redis and Celery worker: the fresh vector
(``embedding_fresh``) is exact right after an event while the indexed copy (``embedding``) lags;
the index sync catches the copy up (and skips moves below its threshold); ``similar`` ranks
by the fresh vectors, so a lagging index never changes the order of its answer."""

import json
import os
import subprocess
import sys
import time

import numpy as np

from gnn.behaviour import Histories
from gnn.online import UserUpdater, load_items
from gnn.refresh import RuntimeCache, refresh
from gnn.user_index import MIN_COSINE, sync_user_index
from ingest.events import parse_record
from ingest.writer import GraphWriter
from interestgraph.constants import BEHAVIOUR_OF
from interestgraph.serve import similar
from tests.waiting import wait_until
from workers.tasks import sync_user_index as sync_task

CLI = [sys.executable, "-m", "cli"]
STATE = ("MATCH (u:User {id: $id}) RETURN u.embedding_fresh AS fresh, u.embedding AS indexed, "
         "u.index_due_ms AS due, u.indexed_lag_ms AS lag, u.dirty_since IS NULL AS clean")
SET_VECTORS = ("MATCH (u:User {id: $id}) SET u.embedding_fresh = $fresh, u.index_due_ms = null "
               "WITH u CALL db.create.setNodeVectorProperty(u, 'embedding', $indexed)")


def state(driver, user: str) -> dict:
    return dict(driver.execute_query(STATE, id=user).records[0])


def event(prefix: str, n: int, item: int, kind: str = "view") -> dict:
    return {"event_id": f"{prefix}e{n}", "user_id": f"{prefix}u", "type": kind, "ts": 1_795_000_000_000 + n * 1000,
            "item_id": f"{prefix}i{item}", "item": {"title": f"thing {item}", "category": f"{prefix}c{item % 2}",
                                                    "price": 5.0 + item}}


def expected_vector(driver, settings, runtime: RuntimeCache, records: list[dict]) -> np.ndarray:
    """The model's vector for the user, from the events themselves (replayed in memory, not read
    back from the graph), with the item vectors of the items' content in the graph."""
    rt = runtime()
    history = Histories()
    for rec in records:
        ev = parse_record(rec)
        history.apply(ev.user_id, BEHAVIOUR_OF[ev.type].value, ev.item_id, ev.ts_ms)
    edges = history.recent(records[0]["user_id"], rt.card.k)
    load_items(driver, settings, rt, sorted({e.target for e in edges}))
    return rt.stored_users(rt.user_vectors([edges]))[0]


def test_the_fresh_vector_is_exact_at_once_and_the_indexed_copy_catches_up(driver, settings, prefix):
    runtime = RuntimeCache(settings)
    writer = GraphWriter(driver, settings, after_commit=UserUpdater(driver, settings, runtime))
    user = f"{prefix}u"
    first = [event(prefix, 1, 1), event(prefix, 2, 2, "purchase")]
    writer.write([parse_record(r) for r in first])
    got = state(driver, user)
    assert got["clean"] and got["due"] is not None and got["indexed"] is None
    assert np.allclose(got["fresh"], expected_vector(driver, settings, runtime, first), atol=1e-5)
    sync_user_index(driver, settings, prefix=prefix)
    v1 = state(driver, user)
    assert v1["due"] is None and np.allclose(v1["indexed"], v1["fresh"], atol=1e-6) and v1["lag"] >= 0

    # The next event: the fresh vector is exact right away, while the indexed copy is still the old one.
    second = [*first, event(prefix, 3, 3, "cart"), event(prefix, 4, 1, "purchase")]
    writer.write([parse_record(r) for r in second[2:]])
    v2 = state(driver, user)
    assert np.allclose(v2["fresh"], expected_vector(driver, settings, runtime, second), atol=1e-5)
    assert not np.allclose(v2["fresh"], v1["fresh"], atol=1e-3)
    assert v2["indexed"] == v1["indexed"] and v2["due"] is not None

    # The gnn worker's sync (what beat schedules every second) copies it into the index.
    report = sync_task.apply_async(kwargs={"prefix": prefix}).get(timeout=120)
    assert (report["checked"], report["copied"]) == (1, 1)
    v3 = state(driver, user)
    assert v3["due"] is None and np.allclose(v3["indexed"], v2["fresh"], atol=1e-6)


def test_a_move_below_the_threshold_is_not_reinserted(driver, settings, prefix):
    writer = GraphWriter(driver, settings, after_commit=UserUpdater(driver, settings, RuntimeCache(settings)))
    user = f"{prefix}u"
    writer.write([parse_record(event(prefix, 1, 1))])
    sync_user_index(driver, settings, prefix=prefix)
    indexed = np.asarray(state(driver, user)["indexed"])
    # Turn the fresh vector by a fraction of the threshold's angle: due, checked, not copied.
    side = np.random.default_rng(0).normal(size=len(indexed))
    side -= side.dot(indexed) / indexed.dot(indexed) * indexed
    angle = 0.25 * np.arccos(MIN_COSINE)
    nudged = np.cos(angle) * indexed + np.sin(angle) * side * np.linalg.norm(indexed) / np.linalg.norm(side)
    driver.execute_query("MATCH (u:User {id: $id}) SET u.embedding_fresh = $v, u.index_due_ms = timestamp()",
                         id=user, v=[float(x) for x in nudged])
    report = sync_user_index(driver, settings, prefix=prefix)
    assert (report.checked, report.copied) == (1, 0)
    after = state(driver, user)
    assert after["due"] is None and np.allclose(after["indexed"], indexed, atol=1e-6)


def test_similar_ranks_by_the_fresh_vectors_whatever_the_index_holds(driver, settings, prefix):
    writer = GraphWriter(driver, settings)
    users = [f"{prefix}u{n}" for n in range(7)]
    writer.write([parse_record({"event_id": f"{prefix}e{n}", "user_id": u, "type": "view",
                                "ts": 1_795_000_000_000 + n, "item_id": f"{prefix}i"})
                  for n, u in enumerate(users)])
    rng = np.random.default_rng()
    dim = settings.embedding_dim
    base = rng.normal(size=dim)
    base /= np.linalg.norm(base)

    def at(angle: float) -> list[float]:
        """A unit vector exactly ``angle`` radians from base."""
        side = rng.normal(size=dim)
        side -= side.dot(base) * base
        return [float(x) for x in np.cos(angle) * base + np.sin(angle) * side / np.linalg.norm(side)]

    query, others = users[0], users[1:]
    driver.execute_query(SET_VECTORS, id=query, fresh=at(0.0), indexed=at(0.0))
    # Fresh: u1 nearest ... u6 farthest. The index holds them the other way round (as if the
    # shoppers had moved since the last copy); it still proposes them, the fresh vectors rank them.
    fresh = {u: at(0.1 * (n + 1)) for n, u in enumerate(others)}
    stale = {u: at(0.1 * (len(others) - n)) for n, u in enumerate(others)}
    for u in others:
        driver.execute_query(SET_VECTORS, id=u, fresh=fresh[u], indexed=stale[u])
    got = similar(driver, settings, query, k=5)
    assert [r["user_id"] for r in got] == others[:5]
    for r in got:  # the fresh cosine, on the index's scale ([0, 1])
        want = (1 + float(np.dot(fresh[r["user_id"]], base))) / 2
        assert abs(r["score"] - want) < 1e-5
    within = similar(driver, settings, query, k=3, prefix=prefix)
    assert [r["user_id"] for r in within] == others[:3]


def test_status_reports_the_index_lag(settings):
    out = json.loads(subprocess.run([*CLI, "status", "--json"], capture_output=True, text=True, check=True).stdout)
    for key in ("index_due_users", "oldest_index_due_s", "index_copies", "ann_lag_p50_s", "ann_lag_p95_s"):
        assert key in out


def test_a_user_the_model_cannot_read_is_taken_out_of_the_backlog(driver, settings, prefix):
    """One user with a hand-broken relationship (last_at is not a datetime) used to fail every
    refresh batch it was in, so the whole dirty backlog stopped draining."""
    writer = GraphWriter(driver, settings)  # no per-event hook: every user is left to the backlog
    writer.write([parse_record({"event_id": f"{prefix}e{n}", "user_id": f"{prefix}u{n}", "type": "view",
                                "ts": 1_795_000_000_000 + n, "item_id": f"{prefix}i{n % 2}"}) for n in range(6)])
    driver.execute_query("MATCH (:User {id: $id})-[r:VIEWED]->() SET r.last_at = 'x'", id=f"{prefix}u3")
    report = refresh(driver, settings, prefix=prefix)
    assert report.users == 6 and report.still_dirty == 1
    rows = {r["id"]: r for r in driver.execute_query(
        "MATCH (u:User) WHERE u.id STARTS WITH $p RETURN u.id AS id, u.dirty_since IS NULL AS clean, "
        "u.embedding_fresh IS NOT NULL AS embedded, u.embed_error AS error", p=prefix).records}
    assert all(r["clean"] for r in rows.values())
    assert [u for u, r in rows.items() if not r["embedded"]] == [f"{prefix}u3"]
    assert "TypeError" in rows[f"{prefix}u3"]["error"] or "type" in rows[f"{prefix}u3"]["error"].lower()


def test_beat_drains_the_backlog_within_30_s_after_ingest_stops(settings, prefix, tmp_path):
    """The running system keeps itself fresh: with beat beside the worker (kept to this test's
    namespace, as in a shared database), users left dirty by an ingest without the per-event
    update, and their items, are embedded and indexed, and status says so within 30 s."""
    records = [{"event_id": f"{prefix}e{n}", "user_id": f"{prefix}u{n % 40}", "type": "view",
                "ts": 1_795_000_000_000 + n, "item_id": f"{prefix}i{n % 25}",
                "item": {"title": f"thing {n % 25}", "category": f"{prefix}c{n % 3}"}} for n in range(400)]
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    env = {**os.environ, "INTERESTGRAPH_BEAT_PREFIX": prefix, "INTERESTGRAPH_REFRESH_EVERY_S": "1"}
    beat = subprocess.Popen([sys.executable, "-m", "celery", "-A", "workers", "beat", "--schedule",
                             str(tmp_path / "beat"), "--loglevel", "WARNING"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        subprocess.run([*CLI, "ingest", str(path), "--no-embed", "--no-text", "--json"], check=True,
                       capture_output=True)
        stopped = time.monotonic()

        def fresh() -> dict | None:
            out = json.loads(subprocess.run([*CLI, "status", "--prefix", prefix, "--json"], check=True,
                                            capture_output=True, text=True).stdout)
            done = out["dirty_users"] == out["dirty_items"] == out["index_due_users"] == 0
            return out if done and out["refreshed"] >= 40 + 25 else None

        out = wait_until(fresh, 30, "status to show no backlog for the namespace", every=1.0)
        assert time.monotonic() - stopped <= 30 and out["index_copies"] == 40
    finally:
        beat.terminate()
        beat.wait(30)
