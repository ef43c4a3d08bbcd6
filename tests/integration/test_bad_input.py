"""Bad input against the real services: nothing crashes, nothing valid is lost.

Each hostile line costs that line only (dead-lettered with a reason), the valid lines
around it land in Neo4j, the CLI's exit status says that something was rejected, a gzip
bomb is read in bounded memory, and a future-dated event cannot pin an item's metadata.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from ingest.pipeline import sync
from ingest.writer import GraphWriter
from tests.waiting import wait_until

ROOT = Path(__file__).parents[2]
CLI = [sys.executable, "-m", "cli"]
TS = 1_795_773_600_000  # 2026-11-27T04:00:00Z


def ev(p: str, n: int, **kw) -> dict:
    rec = {"event_id": f"{p}e{n}", "user_id": f"{p}u1", "type": "view", "ts": TS + n, "item_id": f"{p}i{n}",
           "item": {"title": f"thing {n}", "category": f"{p}c"}}
    rec.update(kw)
    return rec


def line(rec: dict) -> bytes:
    return json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n"


def landed(driver, p: str) -> set[str]:
    return {r["id"] for r in driver.execute_query(
        "MATCH (e:SeenEvent) WHERE e.id STARTS WITH $p RETURN e.id AS id", p=p).records}


def hostile_jsonl(p: str) -> tuple[bytes, dict[int, str]]:
    """Valid lines (odd numbers) around hostile ones; returns the file and line -> reason text."""
    body = b"\xef\xbb\xbf" + line(ev(p, 1))                                               # 1: BOM
    body += line(ev(p, 2, item={"title": "bad \x00"})).replace(b"\\u0000", b"\xff")        # 2: bad byte
    body += line(ev(p, 3))
    body += (b'{"event_id": "' + p.encode() + b'e4", "user_id": "u", "type": "view", "item_id": "i", "ts": '
             + b"9" * 401 + b"}\n")                                                      # 4: 401-digit ts
    body += line(ev(p, 5))
    body += line(ev(p, 6, pad=0)).replace(b'"pad": 0', b'"pad": ' + b"[" * 5000 + b"]" * 5000)  # 6: deep array
    body += line(ev(p, 7))
    body += json.dumps(ev(p, 8, item={"title": "\ud800"})).encode() + b"\n"                 # 8: lone surrogate
    body += line(ev(p, 9))
    body += line(ev(p, 10, pad=0)).replace(b'"pad": 0', b'"pad": ' + b"7" * 5000)            # 10: 5,000 digits
    body += line(ev(p, 11))
    body += line(ev(p, 12, user_id=f"{p}u\u202e1"))                                           # 12: bidi override
    body += line(ev(p, 13, ts="2016-12-31T23:59:60Z"))                                       # 13: leap second
    reasons = {2: "not valid UTF-8", 4: "longer than 40 characters", 6: "nests deeper than 32",
               8: "lone surrogate", 10: "longer than 40 characters", 12: "invisible format"}
    return body, reasons


def test_cli_lands_every_valid_line_around_hostile_ones(driver, prefix, tmp_path):
    p = prefix
    body, reasons = hostile_jsonl(p)
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(body)
    dead = tmp_path / "dead.jsonl"
    # --backfill: line 13 is from 2016, before the replay window.
    out = subprocess.run([*CLI, "ingest", str(path), "--backfill", "--json", "--no-text", "--no-embed",
                          "--dead-letter", str(dead)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 1, out.stderr  # finished, and says that lines were rejected
    payload = json.loads(out.stdout)
    assert (payload["accepted"], payload["rejected"], payload["duplicates"]) == (7, 6, 0)
    assert landed(driver, p) == {f"{p}e{n}" for n in (1, 3, 5, 7, 9, 11, 13)}
    rows = [json.loads(x) for x in dead.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == sorted(reasons)
    for r in rows:
        assert reasons[r["line"]] in r["reason"], r
        assert len(r["raw"]) <= 2000
    # The leap second landed as 23:59:59.999.
    at = driver.execute_query("MATCH (:User {id: $u})-[r:VIEWED]->(:Item {id: $i}) RETURN r.last_at.epochMillis AS t",
                              u=f"{p}u1", i=f"{p}i13").records[0]["t"]
    assert at == 1_483_228_799_999
    # Everything landed: a second run is all duplicates and rejections, and exits 1 again.
    again = subprocess.run([*CLI, "ingest", str(path), "--backfill", "--json", "--no-text", "--no-embed",
                            "--dead-letter", str(dead)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert again.returncode == 1 and json.loads(again.stdout)["duplicates"] == 7


def test_csv_with_bom_and_bad_bytes_lands_the_rest(driver, settings, prefix, tmp_path):
    p = prefix
    rows = [b"\xef\xbb\xbfevent_id,user_id,type,ts,item_id,text,rating,item_title",
            f"{p}e1,{p}u1,view,{TS},{p}i1,,,one".encode(),
            f"{p}e2,{p}u1,view,{TS},{p}i2,,,bad ".encode() + b"\xff",
            f'{p}e3,{p}u1,review,{TS},{p}i1,"two\nlines",4,'.encode(),
            f"{p}e4,{p}u1,review,{TS},{p}i1,x,1e0,".encode(),
            f"{p}e5,{p}u1,click,{TS},{p}i1,,,".encode()]
    path = tmp_path / "hostile.csv"
    path.write_bytes(b"\n".join(rows) + b"\n")
    dead = tmp_path / "dead.jsonl"
    report = sync([path], GraphWriter(driver, settings), dead, progress=False)
    assert (report.accepted, report.rejected) == (3, 2)
    assert landed(driver, p) == {f"{p}e1", f"{p}e3", f"{p}e5"}
    text = driver.execute_query("MATCH (:User {id: $u})-[r:REVIEWED]->(:Item {id: $i}) RETURN r.text AS t",
                                u=f"{p}u1", i=f"{p}i1").records[0]["t"]
    assert text == "two\nlines"
    rejected = {r["line"]: r["reason"] for r in map(json.loads, dead.read_text(encoding="utf-8").splitlines())}
    assert rejected.keys() == {3, 6} and "not valid UTF-8" in rejected[3] and "rating" in rejected[6]


# The CLI, run under a parent that reports the CLI's peak RSS (ru_maxrss of its one child).
_MEASURE = textwrap.dedent("""
    import resource, subprocess, sys
    proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    sys.stderr.write(proc.stderr)
    print(proc.stdout.strip())
    print(proc.returncode)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
""")


def test_gzip_bomb_ingests_in_bounded_memory(driver, prefix, tmp_path):
    """One 300 MB line compressed to ~300 KB: skipped in pieces; peak RSS of the CLI < 200 MB."""
    p = prefix
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=6) as f:
        f.write(line(ev(p, 1)))
        f.write(b'{"event_id": "' + p.encode() + b'e2", "pad": "')
        block = b"0" * (1 << 20)
        for _ in range(300):
            f.write(block)
        f.write(b'"}\n')
        f.write(line(ev(p, 3)))
    assert path.stat().st_size < 2_000_000
    dead = tmp_path / "dead.jsonl"
    cmd = [*CLI, "ingest", str(path), "--backfill", "--json", "--no-text", "--no-embed", "--dead-letter", str(dead)]
    res = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, cwd=ROOT,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    stdout, code, peak_kb = res.stdout.strip().splitlines()[-3:]
    assert int(code) == 1, res.stderr
    payload = json.loads(stdout)
    assert (payload["accepted"], payload["rejected"]) == (2, 1)
    assert int(peak_kb) < 200 * 1024, f"peak RSS {int(peak_kb) // 1024} MB"
    assert landed(driver, p) == {f"{p}e1", f"{p}e3"}
    (bad,) = [json.loads(x) for x in dead.read_text(encoding="utf-8").splitlines()]
    assert bad["line"] == 2 and "longer than 65536 bytes" in bad["reason"] and len(bad["raw"]) <= 200


def test_future_dated_metadata_cannot_block_a_real_catalogue_update(driver, settings, prefix, events_file,
                                                                       tmp_path):
    p = prefix
    item = f"{p}i1"
    ahead_ms = int(time.time() * 1000) + 20 * 3_600_000  # accepted: within the day of slack
    hijack = events_file([{"event_id": f"{p}e1", "user_id": f"{p}u1", "type": "view", "ts": ahead_ms,
                           "item_id": item, "item": {"title": "HIJACKED", "price": 0.01}}], "a.jsonl")
    report = sync([hijack], GraphWriter(driver, settings), tmp_path / "dead.jsonl", progress=False)
    assert report.accepted == 1
    state = "MATCH (i:Item {id: $id}) RETURN i.title AS title, i.price AS price, i.meta_at AS at"
    first = driver.execute_query(state, id=item).records[0]
    assert first["title"] == "HIJACKED" and first["at"] <= int(time.time() * 1000)  # counted as "now", not ahead
    wait_until(lambda: int(time.time() * 1000) > first["at"], 5, "the clock to pass the stored metadata time")
    real = events_file([{"event_id": f"{p}e2", "user_id": f"{p}u2", "type": "view", "ts": int(time.time() * 1000),
                         "item_id": item, "item": {"title": "Real title", "price": 199.0}}], "b.jsonl")
    sync([real], GraphWriter(driver, settings), tmp_path / "dead.jsonl", progress=False)
    now = driver.execute_query(state, id=item).records[0]
    assert (now["title"], now["price"]) == ("Real title", 199.0)
    # An update older than what is stored still loses: newest wins, with clamped times.
    stale = events_file([{"event_id": f"{p}e3", "user_id": f"{p}u2", "type": "view", "ts": TS,
                          "item_id": item, "item": {"title": "Stale title"}}], "c.jsonl")
    sync([stale], GraphWriter(driver, settings), tmp_path / "dead.jsonl", progress=False)
    assert driver.execute_query(state, id=item).records[0]["title"] == "Real title"
