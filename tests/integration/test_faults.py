"""Faults on the real services: a killed gnn worker, Neo4j and Redis restarts, an event flood."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ingest.deadletter import DeadLetters
from ingest.pipeline import sync_records
from ingest.streams import StreamConsumer, StreamSpec, publish
from ingest.synthetic import StreamShape, events
from ingest.writer import GraphWriter
from tests.integration.conftest import CrashBeforeAck, totals
from tests.waiting import wait_until
from workers.tasks import refresh as refresh_task

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "cli"]
DEV_REDIS_PORT = 6379


def count(driver, query, **params):
    return driver.execute_query(query, **params).records[0][0]


@pytest.fixture
def stream(prefix):
    spec = StreamSpec.parse(f"{os.environ.get('CELERY_BROKER_URL', 'redis://localhost:6379/0')}/{prefix}events")
    yield spec
    try:
        spec.client().delete(spec.stream)
    except Exception:  # noqa: BLE001 - Redis may be the thing a test restarted
        pass


def test_a_dead_workers_lease_expires_and_another_worker_embeds(driver, settings, prefix, tmp_path):
    recs = list(events(StreamShape(events=300, users=20, items=10, seed=4, prefix=prefix)))
    sync_records("t", recs, GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)  # no per-event hook
    users = sorted({r["user_id"] for r in recs})
    # What a gnn worker killed mid-refresh leaves behind: its lease on the users it claimed.
    lease = ("UNWIND $ids AS id MATCH (u:User {id: id}) "
             "SET u.lease_owner = 'doomed-worker', u.lease_until = timestamp() + $ms")
    driver.execute_query(lease, ids=users, ms=600_000)
    done = ("MATCH (u:User) WHERE u.id STARTS WITH $p AND u.embedding IS NOT NULL AND u.lease_owner IS NULL "
            "AND u.dirty_since IS NULL RETURN count(u)")
    # While the dead worker's lease holds, the live worker's backlog refresh skips those users,
    # however much of the backlog it works through...
    refresh_task.apply_async(kwargs={"debounce": False, "prefix": prefix}).get(timeout=600)
    assert count(driver, done, p=prefix) == 0
    assert count(driver, "MATCH (u:User) WHERE u.id IN $ids AND u.lease_owner = 'doomed-worker' RETURN count(u)",
                 ids=users) == len(users)
    # ...and once the lease has expired (as ten minutes later), the backlog refresh embeds them.
    driver.execute_query(lease, ids=users, ms=-1)
    wait_until(lambda: refresh_task.apply_async(kwargs={"debounce": False, "max_batches": 50, "prefix": prefix})
               .get(timeout=300) is not None and count(driver, done, p=prefix) == len(users), 120,
               "the backlog refresh to embed the users whose lease expired", every=0.2)


def test_flood_of_one_user_is_embedded_once_or_twice(driver, settings, prefix, tmp_path):
    user = f"{prefix}flooded"
    writer = GraphWriter(driver, settings)
    base = [{"event_id": f"{prefix}seed", "user_id": user, "type": "view", "ts": 1_795_000_000_000,
             "item_id": f"{prefix}i0", "item": {"category": f"{prefix}c"}}]
    sync_records("t", base, writer, tmp_path / "d.jsonl", progress=False)
    refresh_task.apply_async(kwargs={"users": [user], "debounce": False}).get(timeout=120)
    assert count(driver, "MATCH (u:User {id: $u}) RETURN u.dirty_since IS NULL", u=user)
    before = count(driver, "MATCH (u:User {id: $u}) RETURN u.refreshes", u=user)
    pending = []
    for n in range(0, 50, 5):  # 50 events in batches of 5, while a scheduled refresh fires
        batch = [{"event_id": f"{prefix}f{n + k}", "user_id": user, "type": "click",  # every other
                  "ts": 1_795_000_000_000 + n + k, "item_id": f"{prefix}i{(n + k) % 5}"}  # batch, as an
                 for k in range(5)]  # aggressive beat would
        sync_records("t", batch, writer, tmp_path / "d.jsonl", progress=False)
        if n % 10 == 5:
            pending.append(refresh_task.apply_async(kwargs={"max_batches": 4, "prefix": prefix}))
        time.sleep(0.05)  # pacing the burst, not waiting for anything
    for p in pending:
        p.get(timeout=300)
    # The burst is over: scheduled runs pick the user up once the ingest path has had its grace
    # period (so keep firing until it is clean).
    clean = "MATCH (u:User {id: $u}) RETURN u.dirty_since IS NULL"
    wait_until(lambda: refresh_task.apply_async(kwargs={"max_batches": 8, "prefix": prefix}).get(timeout=300)
               is not None and count(driver, clean, u=user), 120, f"the scheduled refresh to clean {user}", every=0.2)
    after = count(driver, "MATCH (u:User {id: $u}) RETURN u.refreshes", u=user)
    assert count(driver, "MATCH (:User {id: $u})-[r:CLICKED]->() RETURN sum(r.count)", u=user) == 50
    assert 1 <= after - before <= 2
    assert count(driver, clean, u=user)


def _start_consumer(stream, tmp_path, name, idle_exit=30):
    return subprocess.Popen([*CLI, "ingest", "--follow", f"{stream.redis_url}/{stream.stream}", "--backfill", "--json",
                             "--idle-exit", str(idle_exit), "--block-ms", "100", "--batch-size", "200",
                             "--dead-letter", str(tmp_path / f"{name}.dead.jsonl")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_neo4j_restart_mid_stream_loses_and_doubles_nothing(driver, settings, prefix, stream, tmp_path):
    recs = list(events(StreamShape(events=3_000, users=200, items=100, seed=8, prefix=prefix + "s")))
    client = stream.client()
    consumer = _start_consumer(stream, tmp_path, "neo")
    publish(client, stream.stream, recs[:1500])
    wait_until(lambda: count(driver, "MATCH (e:SeenEvent) WHERE e.id STARTS WITH $p RETURN count(e)",
                             p=prefix + "s") > 500, 120, "the consumer to commit 500 events", every=0.2)
    stopping = subprocess.Popen([*CLI, "neo4j", "stop"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for k in range(1500, len(recs), 100):  # the stream goes on while the graph goes down
            publish(client, stream.stream, recs[k:k + 100])
            time.sleep(0.2)  # pacing the stream, not waiting for anything
        assert stopping.wait(300) == 0
        # The consumer keeps running against the stopped graph for a while (whether it is then
        # holding read entries or retrying a commit depends on timing; both must lose nothing).
        time.sleep(2)
    finally:  # later tests need Neo4j whatever happened above
        started = subprocess.run([*CLI, "neo4j", "start"], capture_output=True, text=True)
    assert started.returncode == 0, started.stderr[-2000:]
    out, err = consumer.communicate(timeout=300)
    assert consumer.returncode == 0, err[-2000:]
    assert count(driver, "MATCH (e:SeenEvent) WHERE e.id STARTS WITH $p RETURN count(e)",
                 p=prefix + "s") == len({r["event_id"] for r in recs})
    mirror = [json.loads(json.dumps(r).replace(prefix + "s", prefix + "m")) for r in recs]
    sync_records("clean", mirror, GraphWriter(driver, settings), tmp_path / "d.jsonl", progress=False)
    a, b = totals(driver, settings, prefix + "s"), totals(driver, settings, prefix + "m")
    assert {t: (v["rels"], v["events"]) for t, v in a.items()} == {t: (v["rels"], v["events"]) for t, v in b.items()}
    # The worker's driver reconnected too: refresh works after the restart.
    report = refresh_task.apply_async(kwargs={"users": [recs[0]["user_id"]]}).get(timeout=120)
    assert report["users"] == 1


def own_redis(settings, client) -> int:
    """The port of the Redis this run's `make` started; fails unless the broker in the settings is that
    Redis (its pid file in $INTERESTGRAPH_HOME names the server answering on the broker's port) and
    it is not the dev Redis, so a test never shuts down a Redis it did not start."""
    port = urlsplit(settings.broker_url).port or DEV_REDIS_PORT
    assert port != DEV_REDIS_PORT, (
        f"refusing to shut down the Redis on :{port} (the dev Redis): run the integration tests with "
        "`make test` or `make integration`, which start a test Redis on its own port (REDIS_PORT, default 6390)")
    pid_file = settings.home / f"redis-{port}" / "redis.pid"
    assert pid_file.is_file(), (
        f"refusing to shut down the Redis on :{port}: {pid_file} does not exist, so this run's make did not start "
        f"it; run the tests with `make test` or `make integration` (INTERESTGRAPH_HOME={settings.home})")
    server = client.info("server")
    assert (int(pid_file.read_text().strip()), port) == (server["process_id"], server["tcp_port"]), (
        f"refusing to shut down the Redis on :{port}: it is process {server['process_id']} on port "
        f"{server['tcp_port']}, not the one {pid_file} names; it was not started by this run's make")
    return port


def test_redis_restart_redelivers_pending_entries_once(driver, settings, prefix, stream, tmp_path):
    recs = list(events(StreamShape(events=1_000, users=100, items=50, seed=9, prefix=prefix, duplicate_rate=0.0)))
    client = stream.client()
    port = own_redis(settings, client)
    publish(client, stream.stream, recs)
    writer = GraphWriter(driver, settings)

    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        with pytest.raises(ConnectionError):
            CrashBeforeAck(stream, writer, dead, consumer="c1", batch_size=400, block_ms=100).poll()
    assert client.xpending(stream.stream, "interestgraph")["pending"] == 400
    client.shutdown()  # Redis persists the stream and its pending list (AOF)...
    subprocess.run(["make", "-s", "redis", f"REDIS_PORT={port}"], cwd=ROOT, check=True,  # ...and comes back
                   capture_output=True)
    client = stream.client()
    assert client.xpending(stream.stream, "interestgraph")["pending"] == 400
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        total = StreamConsumer(stream, writer, dead, consumer="c1", batch_size=400, block_ms=100).drain(idle_exit_s=0.5)
    assert total.redelivered == 400 and total.duplicates == 400 and total.accepted == 600
    assert client.xpending(stream.stream, "interestgraph")["pending"] == 0
    assert count(driver, "MATCH (e:SeenEvent) WHERE e.id STARTS WITH $p RETURN count(e)",
                 p=prefix) == len({r["event_id"] for r in recs})
    assert refresh_task.apply_async(kwargs={"users": [recs[0]["user_id"]]}).get(timeout=120)["users"] == 1
