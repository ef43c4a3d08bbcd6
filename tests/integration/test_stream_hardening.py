"""Streams and the broker against hostile input, on the real Redis and Neo4j."""

import json
import os
import time

import pytest
import redis

from ingest.deadletter import DeadLetters
from ingest.streams import StreamConsumer, StreamSpec
from ingest.writer import GraphWriter
from interestgraph.settings import redis_password, with_password

BROKER = os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0")


def valid(prefix, n):
    now = int(time.time() * 1000) - 60_000
    return [{"event_id": f"{prefix}e{k}", "user_id": f"{prefix}u{k % 3}", "type": "view", "ts": now + k,
             "item_id": f"{prefix}i{k % 5}"} for k in range(n)]


def landed(driver, prefix):
    return driver.execute_query("MATCH (e:SeenEvent) WHERE e.id STARTS WITH $p RETURN count(e) AS n",
                                p=prefix).records[0]["n"]


@pytest.fixture
def stream(prefix):
    # The password travels inside this URL, as a producer might write it: it must not reach dead letters.
    spec = StreamSpec.parse(f"{with_password(BROKER, redis_password())}/{prefix}events")
    yield spec
    spec.client().delete(spec.stream)


def test_redis_refuses_a_client_without_the_password():
    assert redis_password(), "make sets REDIS_PASSWORD"
    host = redis.Redis.from_url(BROKER, password=None)
    with pytest.raises(redis.AuthenticationError):
        host.ping()
    assert redis.Redis.from_url(BROKER, password=redis_password()).ping()


def test_poison_entries_are_dead_lettered_acknowledged_and_the_next_entries_land(driver, settings, prefix,
                                                                                  stream, tmp_path):
    client = stream.client()
    good = valid(prefix, 20)
    ts = good[0]["ts"]
    poison = [
        b"\xff\xfe not utf-8",
        json.dumps({**good[0], "event_id": prefix + "p1", "ts": int("9" * 401)}).encode(),
        b"[" * 5000 + b"]" * 5000,
        json.dumps({"event_id": prefix + "p2", "user_id": "u", "type": "view", "ts": ts, "item_id": "i",
                    "item": {"title": "bad \ud800 title"}}).encode("utf-8", "surrogatepass"),
        json.dumps({**good[0], "event_id": prefix + "p3", "pad": "x" * 100_000}).encode(),
        b'{"event_id": "a", "event_id": "b"}',
    ]
    for k, rec in enumerate(good):
        if k < len(poison):
            client.xadd(stream.stream, {"event": poison[k]})
        client.xadd(stream.stream, {"event": json.dumps(rec)})
    writer = GraphWriter(driver, settings)
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        total = StreamConsumer(stream, writer, dead, consumer="c1", batch_size=7, block_ms=100).drain(idle_exit_s=0.5)
    assert total.accepted == len(good) and total.rejected == len(poison)
    assert landed(driver, prefix) == len(good)
    assert client.xpending(stream.stream, "interestgraph")["pending"] == 0
    letters = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert len(letters) == len(poison) and all(letter["reason"] for letter in letters)
    text = (tmp_path / "dead.jsonl").read_text()
    assert redis_password() not in text and "***@" in text


def test_acknowledged_entries_are_trimmed(driver, settings, prefix, stream, tmp_path):
    client = stream.client()
    for rec in valid(prefix, 1000):
        client.xadd(stream.stream, {"event": json.dumps(rec)})
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        total = StreamConsumer(stream, GraphWriter(driver, settings), dead, consumer="c1", batch_size=250,
                               block_ms=100).drain(idle_exit_s=0.5)
    assert total.accepted == 1000
    # MINID ~ trims whole internal nodes (100 entries by default), so a little may remain.
    assert client.xlen(stream.stream) <= 200


def test_redis_refuses_entries_over_its_bulk_limit(stream):
    client = stream.client()
    with pytest.raises(redis.RedisError):
        client.xadd(stream.stream, {"event": b"x" * (2 * 1024 * 1024)})


def test_no_task_takes_a_path():
    import workers.tasks  # noqa: F401 - registers the tasks
    from workers.celery_app import app

    assert "interestgraph.ingest.file" not in app.tasks
    assert "interestgraph.ingest.prune_ledger" in app.tasks


def pending(client, stream):
    return client.xpending(stream.stream, "interestgraph")["pending"]


def test_a_batch_the_database_refuses_does_not_block_the_stream(driver, settings, prefix, stream, tmp_path):
    p = prefix
    # A relationship the ingest Cypher cannot merge into (last_at is a string, not a datetime):
    # Neo4j refuses every batch with a view of that user on that item (Statement.TypeError).
    driver.execute_query("MERGE (u:User {id: $u}) MERGE (i:Item {id: $i}) MERGE (u)-[:VIEWED {last_at: 'x'}]->(i)",
                         u=f"{p}u0", i=f"{p}i0")
    good = valid(p, 40)
    client = stream.client()
    for rec in good:
        client.xadd(stream.stream, {"event": json.dumps(rec)})
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        total = StreamConsumer(stream, GraphWriter(driver, settings), dead, consumer="c1", batch_size=40,
                               block_ms=100).drain(idle_exit_s=0.5)
    refused = [r for r in good if r["user_id"] == f"{p}u0" and r["item_id"] == f"{p}i0"]
    assert refused and total.rejected == len(refused) and total.accepted == len(good) - len(refused)
    assert pending(client, stream) == 0
    letters = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert all("Neo.ClientError.Statement" in letter["reason"] for letter in letters)


def test_an_entry_that_keeps_taking_its_consumer_down_is_dead_lettered(driver, settings, prefix, stream, tmp_path):
    client = stream.client()
    ids = [client.xadd(stream.stream, {"event": json.dumps(rec)}) for rec in valid(prefix, 3)]
    StreamConsumer(stream, GraphWriter(driver, settings), DeadLetters(tmp_path / "unused.jsonl"), consumer="c1")
    # Three consumers read the batch and died before acknowledging it (two deliveries each: read, claim).
    client.xreadgroup("interestgraph", "dead-1", {stream.stream: ">"}, count=10)
    for n in (2, 3):
        client.xclaim(stream.stream, "interestgraph", f"dead-{n}", 0, ids)
    assert [r["times_delivered"] for r in client.xpending_range(stream.stream, "interestgraph", "-", "+", 10)] \
        == [3, 3, 3]
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        total = StreamConsumer(stream, GraphWriter(driver, settings), dead, consumer="c1", claim_idle_ms=0,
                               max_deliveries=3, block_ms=100).drain(idle_exit_s=0.5)
    assert (total.accepted, total.rejected) == (0, 3) and landed(driver, prefix) == 0
    assert pending(client, stream) == 0
    assert "delivered 4 times" in (tmp_path / "dead.jsonl").read_text()


def test_an_unknown_database_stops_the_consumer_and_its_entries_wait(driver, settings, prefix, stream, tmp_path):
    from interestgraph.errors import GraphError

    client = stream.client()
    for rec in valid(prefix, 3):
        client.xadd(stream.stream, {"event": json.dumps(rec)})
    elsewhere = settings.model_copy(update={"neo4j_database": "no-such-database"})
    for _ in range(2):  # not the events' fault: nothing is dead-lettered, the entries stay pending
        with DeadLetters(tmp_path / "dead.jsonl") as dead, pytest.raises(GraphError, match="DatabaseNotFound"):
            StreamConsumer(stream, GraphWriter(driver, elsewhere), dead, consumer="c1", max_deliveries=2,
                           block_ms=100).drain(idle_exit_s=0.5)
        assert dead.count == 0 and pending(client, stream) == 3
    # A third delivery is one too many: the entries go to the dead letters and the group moves on.
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        total = StreamConsumer(stream, GraphWriter(driver, elsewhere), dead, consumer="c1", max_deliveries=2,
                               block_ms=100).drain(idle_exit_s=0.5)
    assert total.rejected == 3 and pending(client, stream) == 0


def test_a_future_entry_id_is_not_taken_as_the_acceptance_time(driver, settings, prefix, stream, tmp_path):
    client = stream.client()
    rec = valid(prefix, 1)[0]
    client.xadd(stream.stream, {"event": json.dumps(rec)}, id="9999999999999-0")  # the year 2286
    before = int(time.time() * 1000)
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        StreamConsumer(stream, GraphWriter(driver, settings), dead, consumer="c1", block_ms=100).drain(idle_exit_s=0.5)
    accepted = driver.execute_query("MATCH (u:User {id: $u}) RETURN u.accepted_ms AS t", u=rec["user_id"]).records[0]
    assert before <= accepted["t"] <= int(time.time() * 1000)


def test_a_batch_holds_at_most_the_byte_budget(driver, settings, prefix, stream, tmp_path):
    client = stream.client()
    recs = [{**rec, "pad": "x" * 60_000} for rec in valid(prefix, 40)]  # 40 entries of ~60 KB: 2.4 MB
    for rec in recs:
        client.xadd(stream.stream, {"event": json.dumps(rec)})
    budget = 1024 * 1024
    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        consumer = StreamConsumer(stream, GraphWriter(driver, settings), dead, consumer="c1", batch_size=10_000,
                                  batch_bytes=budget, block_ms=100)
        first = consumer.poll()
        assert 0 < first.entries and first.entries * 60_000 <= budget
        rest = consumer.drain(idle_exit_s=0.5)
    assert first.accepted + rest.accepted == len(recs) and landed(driver, prefix) == len(recs)


# --- producers: what they may do, and how much -------------------------------------------

@pytest.fixture
def producer(prefix):
    """A producer's connection: the Redis user `make` creates for them, with their password only."""
    password = os.environ.get("REDIS_PRODUCER_PASSWORD")
    assert password, "make sets REDIS_PRODUCER_PASSWORD"
    client = redis.Redis.from_url(BROKER, username="producer", password=password)
    yield client
    redis.Redis.from_url(BROKER, password=redis_password()).delete(f"events-{prefix}", f"events-{prefix}-cli")


def test_producers_may_only_add_events_to_the_event_streams(producer, prefix):
    assert producer.xadd(f"events-{prefix}", {"event": b"{}"})
    refused = {
        "enqueue a task": lambda: producer.lpush("ingest", b'{"task": "interestgraph.ingest.drain_stream"}'),
        "write a broker key": lambda: producer.xadd("celery", {"x": b"1"}),
        "read the stream": lambda: producer.xrange(f"events-{prefix}"),
        "read a result": lambda: producer.get("celery-task-meta-1"),
        "list keys": lambda: producer.keys("*"),
        "delete the stream": lambda: producer.delete(f"events-{prefix}"),
        "trim the stream": lambda: producer.xtrim(f"events-{prefix}", maxlen=0),
        "write another key": lambda: producer.xadd(f"{prefix}not-events", {"event": b"{}"}),
        "reconfigure Redis": lambda: producer.config_set("maxmemory", "0"),
        "publish on a channel": lambda: producer.publish("celeryev", b"x"),
    }
    for what, attempt in refused.items():
        with pytest.raises(redis.exceptions.NoPermissionError):
            attempt()
            pytest.fail(f"a producer could {what}")


def test_publish_uses_the_producer_user_when_it_has_its_password(producer, prefix, events_file):
    import subprocess
    import sys

    path = events_file(valid(prefix, 3))
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_PASSWORD", "REDISCLI_AUTH")}
    out = subprocess.run([sys.executable, "-m", "cli", "publish", str(path), "--stream",
                          f"{BROKER}/events-{prefix}-cli", "--json"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["published"] == 3


def test_a_full_stream_refuses_more_and_says_how_much_went_in(stream, prefix):
    from ingest.streams import publish
    from interestgraph.errors import StreamFullError

    client = stream.client()
    with pytest.raises(StreamFullError, match="holds 50 entries, its limit.*50 records were published"):
        publish(client, stream.stream, valid(prefix, 80), pipeline_size=20, max_len=50)
    assert client.xlen(stream.stream) == 50  # nothing past the cap, and nothing dropped


def test_redis_refuses_writes_rather_than_evicting_when_full(stream):
    client = stream.client()
    config = client.config_get("maxmemory*")
    assert config["maxmemory-policy"] == "noeviction" and int(config["maxmemory"]) > 0
