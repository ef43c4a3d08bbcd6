"""Exactly-once under crashes, replays and stream redelivery, against the real services."""

import json
import math
import os
import signal
import subprocess
import sys

import pytest

from ingest.deadletter import DeadLetters
from ingest.pipeline import sync
from ingest.streams import StreamConsumer, StreamSpec, publish
from ingest.synthetic import StreamShape, events, write_csv
from ingest.writer import GraphWriter
from tests.integration.conftest import CrashBeforeAck, totals
from tests.waiting import wait_until


def same_totals(a, b):
    assert a.keys() == b.keys()
    for t in a:
        assert (a[t]["rels"], a[t]["events"]) == (b[t]["rels"], b[t]["events"]), t
        assert math.isclose(a[t]["weight"], b[t]["weight"], rel_tol=1e-9, abs_tol=1e-9), t


def seen(driver, prefix):
    return driver.execute_query("MATCH (e:SeenEvent) WHERE e.id STARTS WITH $p RETURN count(e) AS n",
                                p=prefix).records[0]["n"]


def test_kill_mid_ingest_then_replay_equals_one_clean_pass(driver, settings, prefix, tmp_path):
    shape = StreamShape(events=30_000, users=3_000, items=1_500, seed=7)
    killed, clean = StreamShape(**{**shape.__dict__, "prefix": prefix + "k"}), \
        StreamShape(**{**shape.__dict__, "prefix": prefix + "c"})
    path_k, path_c = tmp_path / "k.csv", tmp_path / "c.csv"
    write_csv(killed, path_k, False)
    write_csv(clean, path_c, False)

    # --no-text: a text pass gives the killed namespace's queries an intent (pointing at whichever
    # categories are nearest when each is first embedded) and their searchers the interests it
    # implies, which the clean namespace, ingested without one, would not have: the two would
    # differ by design. The text pass has its own replay tests (test_text.py).
    cmd = [sys.executable, "-m", "cli", "ingest", str(path_k), "--backfill", "--batch-size", "1000", "--json",
           "--dead-letter", str(tmp_path / "dead.jsonl"), "--no-text"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: seen(driver, prefix + "k") >= 3_000, 300, "the ingest to commit 3,000 events")
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # no cleanup, mid-stream, possibly mid-transaction
        proc.wait()
    partial = seen(driver, prefix + "k")
    assert 0 < partial < 28_000, "the kill must land in the middle of the ingest"

    replay = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out = json.loads(replay.stdout)
    assert out["duplicates"] >= partial  # everything committed before the kill is skipped
    sync([path_c], GraphWriter(driver, settings), tmp_path / "dead2.jsonl", progress=False)
    same_totals(totals(driver, settings, prefix + "k"), totals(driver, settings, prefix + "c"))
    # A third pass changes nothing at all.
    before = totals(driver, settings, prefix + "k")
    again = sync([path_k], GraphWriter(driver, settings), tmp_path / "dead3.jsonl", progress=False)
    assert again.accepted == 0
    same_totals(before, totals(driver, settings, prefix + "k"))


def test_out_of_order_batches_give_the_same_graph(driver, settings, prefix, tmp_path):
    # Interest needs an item's category when its behaviour lands, so every item event here
    # carries its catalogue entry; everything else arrives in exactly reversed order.
    recs = list(events(StreamShape(events=4_000, users=300, items=200, seed=3, prefix=prefix + "a")))
    for r in recs:
        if "item_id" in r:
            n = int(r["item_id"].rsplit("i", 1)[1])
            r["item"] = {"title": f"item {n}", "category": f"{prefix}ac{n % 7}", "price": float(n)}
    mirrored = [json.loads(json.dumps(r).replace(prefix + "a", prefix + "b")) for r in recs]
    w = GraphWriter(driver, settings)
    from ingest.pipeline import sync_records

    sync_records("in-order", recs, w, tmp_path / "d.jsonl", batch_size=500, progress=False)
    sync_records("reversed", list(reversed(mirrored)), w, tmp_path / "d.jsonl", batch_size=500, progress=False)
    same_totals(totals(driver, settings, prefix + "a"), totals(driver, settings, prefix + "b"))


@pytest.fixture
def stream(prefix):
    spec = StreamSpec.parse(f"{os.environ.get('CELERY_BROKER_URL', 'redis://localhost:6379/0')}/{prefix}events")
    yield spec
    spec.client().delete(spec.stream)


def test_stream_redelivery_is_applied_once(driver, settings, prefix, stream, tmp_path):
    good = list(events(StreamShape(events=2_000, users=200, items=100, seed=5, prefix=prefix)))
    client = stream.client()
    publish(client, stream.stream, good[:1000] + ["{broken json"] + good[1000:])
    writer = GraphWriter(driver, settings)

    with DeadLetters(tmp_path / "dead.jsonl") as dead:
        crashing = CrashBeforeAck(stream, writer, dead, consumer="c1", batch_size=700, block_ms=100)
        with pytest.raises(ConnectionError):
            crashing.poll()  # committed to Neo4j, never acknowledged
        applied_once = seen(driver, prefix)
        assert applied_once > 0
        # The same consumer restarts: its pending entries come first, then the rest.
        survivor = StreamConsumer(stream, writer, dead, consumer="c1", batch_size=700, block_ms=100)
        total = survivor.drain(idle_exit_s=0.5)
        assert total.redelivered == 700 and total.duplicates >= applied_once
        assert total.rejected == 1 and dead.count == 1
    assert client.xpending(stream.stream, "interestgraph")["pending"] == 0
    assert seen(driver, prefix) == len({r["event_id"] for r in good})
    rejected = json.loads((tmp_path / "dead.jsonl").read_text().splitlines()[0])
    assert rejected["raw"] == "{broken json" and rejected["reason"].startswith("invalid JSON")
