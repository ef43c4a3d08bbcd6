"""`interestgraph bench freshness`: event -> fresh vector, end to end, on real processes.

Setup: a synthetic namespace is ingested and embedded so users have vectors. Then, with
the Celery gnn worker running (``make worker``), the bench starts a real stream consumer
(``interestgraph ingest --follow``, which re-embeds each batch's users with the model) and a
real ``celery beat`` (item vectors, the backlog), and publishes a Zipf stream to Redis at a
fixed rate. A monitor polls Neo4j every 250 ms for the namespace's users: each vector
write records which acceptance time it includes (``embedded_src_ms``), so an event's
latency is the first write at or after its acceptance that includes it. After the stream
stops it waits for the dirty backlog to drain, counts events in the ledger (lost =
published - applied), and times a full GDS re-projection + FastRP + write of the same
graph for comparison. The JSON says what else the database holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import redis
from neo4j import Driver
from tqdm import tqdm

from bench.namespace import delete_namespace
from gnn.refresh import refresh
from gnn.user_index import sync_user_index
from ingest.pipeline import sync_records
from ingest.streams import StreamSpec, entry_ms, publish
from ingest.synthetic import StreamShape, events
from ingest.text import TextPass
from ingest.writer import GraphWriter
from interestgraph.constants import DAY_MS
from interestgraph.errors import ConfigError
from interestgraph.graph import read, write
from interestgraph.settings import Settings
from interestgraph.txprofile import TransactionSampler
from workers.beats import beat_conflict

POLL_S = 0.5  # the latency comes from the server-side write times, not from when the monitor looks


@dataclass
class Trace:
    """Every distinct (src_ms, at_ms) vector write the monitor saw, per user; every copy into the
    vector index with its lag; the backlog once a second: (seconds, dirty users, dirty items,
    users whose indexed copy is behind)."""

    gnn: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    ann: dict[tuple[str, int], int] = field(default_factory=dict)  # (user, indexed ms) -> lag ms
    backlog: list[tuple[float, int, int, int]] = field(default_factory=list)
    item_wait: list[tuple[float, float]] = field(default_factory=list)  # (seconds, oldest dirty item's wait, s)

    def see(self, user: str, src: int | None, at: int | None) -> None:
        """Record a vector write for ``user`` unless it lacks its times or repeats the last one."""
        if src is None or at is None:
            return
        seen = self.gnn.setdefault(user, [])
        if not seen or seen[-1] != (src, at):
            seen.append((src, at))


def latency(writes: list[tuple[int, int]], accepted_ms: int) -> float | None:
    """Seconds from acceptance to the first write that includes the event, if any."""
    times = [at for src, at in writes if src >= accepted_ms]
    return (min(times) - accepted_ms) / 1000.0 if times else None


def _pct(xs: list[float], q: float) -> float | None:
    return round(float(np.percentile(xs, q)), 3) if xs else None


def _monitor(driver: Driver, settings: Settings, prefix: str, trace: Trace, stop: threading.Event,
             t0: float) -> None:
    last_backlog = 0.0
    since = int(time.time() * 1000) - 2_000
    while not stop.is_set():
        # Each poll reads from a second before the previous one began, however long that one took
        # (a poll that outlasts a fixed window would miss writes and count later ones as latency).
        polled = int(time.time() * 1000)
        for r in read(driver, settings, "bench/freshness_probe", prefix=prefix, since_ms=since):
            trace.see(r["id"], r["embedded_src_ms"], r["embedded_ms"])
        for r in read(driver, settings, "bench/index_copy_probe", prefix=prefix, since_ms=since):
            trace.ann[(r["id"], r["indexed_ms"])] = r["lag_ms"]
        since = polled - 1_000
        now = time.monotonic()
        if now - last_backlog >= 1.0:
            b = read(driver, settings, "bench/namespace_backlog", prefix=prefix)[0]
            trace.backlog.append((round(now - t0, 2), b["users"], b["items"], b["index_due"]))
            oldest = b["oldest_item_ms"]
            trace.item_wait.append((round(now - t0, 2), max(time.time() * 1000 - oldest, 0) / 1000 if oldest else 0.0))
            last_backlog = now
        stop.wait(POLL_S)


def _spawn(cmd: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def gds_refresh_seconds(driver: Driver, settings: Settings, prefix: str) -> float:
    """What a GDS user pays per refresh: project the graph, run FastRP, write it back."""
    graph = f"{prefix}fresh"
    started = time.perf_counter()
    try:
        write(driver, settings, "gnn/gds_project", graph=graph, prefix=prefix)
        write(driver, settings, "gnn/gds_fastrp_write", graph=graph, dim=settings.embedding_dim,
              property="gds_fastrp", seed=0)
    finally:
        write(driver, settings, "gnn/gds_drop_graph", graph=graph)
    return time.perf_counter() - started


def _seed(driver: Driver, settings: Settings, prefix: str, users: int, items: int, out_dir: Path,
          say: Callable[[str], None]) -> None:
    """Ingest a seed graph and bring it to a steady state: titles encoded (as the nlp workers
    would have done), then every item and user embedded, so the stream measures the
    per-event path, not a backlog."""
    shape = StreamShape(events=max(20_000, users * 4), users=users, items=items, seed=11, prefix=prefix,
                        duplicate_rate=0.0, start_ms=int(time.time() * 1000) - DAY_MS, step_ms=1)
    say(f"seed {shape.events} events and embed them")
    sync_records(f"{prefix}seed", list(events(shape)), GraphWriter(driver, settings),
                 out_dir / f"{prefix}dead.jsonl", progress=False)
    seeded = read(driver, settings, "bench/namespace_ids", prefix=prefix)[0]
    TextPass(driver, settings).run()
    refresh(driver, settings, items=seeded["items"], batch_size=2048, similar=False)
    refresh(driver, settings, users=seeded["users"], batch_size=2048, similar=False)
    sync_user_index(driver, settings, prefix=prefix, limit=len(seeded["users"]))


def _live_records(prefix: str, rate: int, duration: float, users: int, items: int) -> list[dict[str, Any]]:
    """The records to publish: ``rate * duration`` events timed from now, with ids of their own."""
    live = StreamShape(events=int(rate * duration), users=users, items=items, seed=12, prefix=prefix,
                       duplicate_rate=0.0, start_ms=int(time.time() * 1000), step_ms=1)
    records = list(events(live))
    for r in records:
        r["event_id"] = r["event_id"].replace(f"{prefix}e", f"{prefix}live")
    return records


def _start_consumer_and_beat(settings: Settings, stream: StreamSpec, prefix: str, drain_timeout: float,
                             out_dir: Path, started: ExitStack) -> subprocess.Popen[bytes]:
    """The production path as processes: a stream consumer (``ingest --follow``) and Celery beat,
    each stopped by ``started`` when it closes (whatever happens in between); returns the consumer."""
    # The children find the passwords as this process did: in the environment or under the home.
    # Beat's work stays in this run's namespace: other data in a shared database is not ours to refresh.
    env = {**os.environ, "INTERESTGRAPH_HOME": str(settings.home), "INTERESTGRAPH_REFRESH_EVERY_S": "1",
           "INTERESTGRAPH_BEAT_PREFIX": prefix, "INTERESTGRAPH_LOG_LEVEL": "INFO"}
    exe = [sys.executable, "-m"]
    consumer = _spawn([*exe, "cli", "ingest", "--follow", f"{stream.redis_url}/{stream.stream}",
                       "--json", "--block-ms", "100", "--idle-exit", str(drain_timeout), "--dead-letter",
                       str(out_dir / f"{prefix}dead.jsonl")], out_dir / f"{prefix}consumer.log", env)
    started.callback(_stop, consumer)
    beat = _spawn([*exe, "celery", "-A", "workers", "beat", "--schedule", str(out_dir / f"{prefix}beat"),
                   "--loglevel", "WARNING"], out_dir / f"{prefix}beat.log", env)
    started.callback(_stop, beat)  # stopped first: no refresh is scheduled while the consumer winds down
    return consumer


def _wait_for_consumer(client: redis.Redis, stream: StreamSpec, consumer: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the consumer has joined the group, so start-up is not measured."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if client.xinfo_consumers(stream.stream, "interestgraph"):
                break
        except Exception:  # noqa: BLE001 - the group does not exist until the consumer creates it
            pass
        if consumer.poll() is not None:
            raise RuntimeError(f"the stream consumer exited early; see {log}")
        time.sleep(0.2)


def _publish_at_rate(client: redis.Redis, stream: StreamSpec, records: list[dict[str, Any]], rate: int,
                     progress: bool) -> list[tuple[str, int]]:
    """Publish ``records`` at ``rate`` per second in 20 ticks a second; returns (user, accepted ms) per event."""
    accepted: list[tuple[str, int]] = []
    per_tick = max(1, rate // 20)
    next_tick = time.monotonic()
    with tqdm(total=len(records), desc=f"publish {rate}/s", unit="ev", disable=not progress,
              file=sys.stderr) as bar:
        for start in range(0, len(records), per_tick):
            chunk = records[start:start + per_tick]
            ids = publish(client, stream.stream, chunk)
            accepted.extend((r["user_id"], entry_ms(i)) for r, i in zip(chunk, ids, strict=True))
            bar.update(len(chunk))
            next_tick += per_tick / rate
            time.sleep(max(0.0, next_tick - time.monotonic()))
    return accepted


def _wait_for_drain(driver: Driver, settings: Settings, prefix: str, n: int, deadline: float) -> float | None:
    """When every live event was applied and no user is dirty (monotonic time), or None by ``deadline``."""
    while time.monotonic() < deadline:
        applied = read(driver, settings, "bench/namespace_applied", prefix=f"{prefix}live")[0]["n"]
        dirty = read(driver, settings, "bench/namespace_backlog", prefix=prefix)[0]["dirty"]
        if applied >= n and dirty == 0:
            return time.monotonic()
        time.sleep(0.25)
    return None


def measure_rate(driver: Driver, settings: Settings, *, rate: int, duration: float, users: int, items: int,
                 drain_timeout: float, out_dir: Path, progress: bool, profile: bool = False) -> dict[str, Any]:
    """Freshness at one event rate: seed, stream through the production processes, wait, measure
    (with ``profile``, where Neo4j's time went during the stream: ``interestgraph.txprofile``)."""
    prefix = f"fr{uuid.uuid4().hex[:6]}-"
    stream = StreamSpec.parse(f"{settings.broker_url.rstrip('/')}/{prefix}events")
    client = stream.client(settings.redis_password)
    say = (lambda m: print(f"[{rate}/s] {m}", file=sys.stderr, flush=True)) if progress else (lambda m: None)
    trace = Trace()
    stop = threading.Event()
    # Everything this run starts or creates is undone on the way out, also when a step fails: the
    # processes and the monitor as soon as the stream has drained (last in, first out: the monitor,
    # beat, the consumer), the stream and the namespace once the result is read.
    with ExitStack() as created:
        created.callback(delete_namespace, driver, settings, prefix)
        created.callback(client.delete, stream.stream)
        _seed(driver, settings, prefix, users, items, out_dir, say)
        records = _live_records(prefix, rate, duration, users, items)
        with ExitStack() as running:
            consumer = _start_consumer_and_beat(settings, stream, prefix, drain_timeout, out_dir, running)
            _wait_for_consumer(client, stream, consumer, out_dir / f"{prefix}consumer.log")
            t0 = time.monotonic()
            monitor = threading.Thread(target=_monitor, args=(driver, settings, prefix, trace, stop, t0),
                                       daemon=True)
            monitor.start()
            running.callback(monitor.join, 10)
            running.callback(stop.set)
            sampler = TransactionSampler(driver, settings).start() if profile else None
            accepted = _publish_at_rate(client, stream, records, rate, progress)
            stream_end = time.monotonic()
            if sampler is not None:
                sampler.stop()
            say("stream done; waiting for the backlog to drain")
            drained_at = _wait_for_drain(driver, settings, prefix, len(records), stream_end + drain_timeout)
            time.sleep(2 * POLL_S)
        result = _rate_result(driver, settings, prefix, trace, accepted, rate=rate, duration=duration,
                              n=len(records), elapsed=(t0, stream_end, drained_at), graph=(users, items))
        result["plot"] = str(plot(trace, accepted, t0, out_dir / f"freshness-{rate}.png", rate))
        if sampler is not None:
            result["neo4j_profile"] = sampler.report(stream_end - t0)
    return result


def _rate_result(driver: Driver, settings: Settings, prefix: str, trace: Trace, accepted: list[tuple[str, int]], *,
                 rate: int, duration: float, n: int, elapsed: tuple[float, float, float | None],
                 graph: tuple[int, int]) -> dict[str, Any]:
    """One rate's JSON result (``elapsed``: start, end of the stream, drained or None, monotonic)."""
    t0, stream_end, drained_at = elapsed
    applied = read(driver, settings, "bench/namespace_applied", prefix=f"{prefix}live")[0]["n"]
    gnn_lat = [x for u, a in accepted if (x := latency(trace.gnn.get(u, []), a)) is not None]
    ann_lag = [lag / 1000.0 for lag in trace.ann.values() if lag is not None]
    waits = [w for t, w in trace.item_wait if t <= stream_end - t0]
    gds_s = gds_refresh_seconds(driver, settings, prefix)
    return {
        "rate_events_per_s": rate, "duration_s": duration, "events": n,
        "achieved_rate_events_per_s": round(n / (stream_end - t0), 1),
        "gnn_p50_s": _pct(gnn_lat, 50), "gnn_p95_s": _pct(gnn_lat, 95), "gnn_p99_s": _pct(gnn_lat, 99),
        "events_with_gnn": len(gnn_lat),
        "gnn_definition": "seconds from the event's acceptance in Redis to the first write of its user's "
                          "model vector that includes it",
        "lost_events": n - applied,
        "backlog_drain_s": round(drained_at - stream_end, 2) if drained_at else None,
        "backlog_peak": max((u + i for _, u, i, _ in trace.backlog), default=0),
        "backlog_peak_users": max((u for _, u, _, _ in trace.backlog), default=0),
        "backlog_peak_items": max((i for _, _, i, _ in trace.backlog), default=0),
        "backlog_slope_per_s": backlog_slope(trace.backlog, stream_end - t0),
        "backlog_slope_definition": "least-squares slope of the dirty users + items, per second, over the "
                                    f"stream's last {SLOPE_WINDOW_S:.0f} s (or all of it when shorter)",
        "ann_lag_p50_s": _pct(ann_lag, 50), "ann_lag_p95_s": _pct(ann_lag, 95), "ann_lag_max_s": _pct(ann_lag, 100),
        "index_copies": len(ann_lag),
        "index_due_peak": max((d for _, _, _, d in trace.backlog), default=0),
        "ann_lag_definition": "seconds from the first fresh user vector the vector index did not hold to its copy "
                              "into the index (copies only; a vector within the copy threshold is not re-inserted)",
        "item_wait_p95_s": _pct(waits, 95), "item_wait_max_s": _pct(waits, 100),
        "item_wait_definition": "how stale an item vector can be: the wait of the oldest item dirty since a new "
                                "buyer or a content change, sampled once a second while the stream runs",
        "gds_reproject_fastrp_write_s": round(gds_s, 2),
        "graph_users": graph[0], "graph_items": graph[1],
        "other_data": dict(read(driver, settings, "bench/other_data", prefix=prefix)[0]),
    }


SLOPE_WINDOW_S = 300.0


def backlog_slope(backlog: list[tuple[float, int, int, int]], stream_s: float) -> float | None:
    """Least-squares slope (nodes per second) of dirty users + items over the stream's last
    ``SLOPE_WINDOW_S`` seconds: about 0 when the system keeps up, the event rate's share of
    new work it cannot finish when it does not."""
    pts = [(t, u + i) for t, u, i, _ in backlog if stream_s - SLOPE_WINDOW_S <= t <= stream_s]
    if len(pts) < 3:
        return None
    t, y = np.array(pts, dtype=np.float64).T
    return round(float(np.polyfit(t, y, 1)[0]), 3)


def plot(trace: Trace, accepted: list[tuple[str, int]], t0: float, path: Path, rate: int) -> Path:
    """Latency percentiles per 5 s window of acceptance time, and the dirty backlog."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not accepted:
        return path
    base = accepted[0][1]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for name, colour in (("gnn", "tab:orange"),):
        buckets: dict[int, list[float]] = {}
        for u, a in accepted:
            lat = latency(trace.gnn.get(u, []), a)
            if lat is not None:
                buckets.setdefault(int((a - base) / 5000), []).append(lat)
        xs = sorted(buckets)
        for q, style in ((50, "-"), (95, "--"), (99, ":")):
            ax1.plot([x * 5 for x in xs], [np.percentile(buckets[x], q) for x in xs], style, color=colour,
                     label=f"{name} p{q}")
    ax1.set_ylabel("seconds to visible")
    ax1.set_title(f"Freshness at {rate} events/s")
    ax1.legend(ncol=2, fontsize=8)
    ts = [b[0] for b in trace.backlog]
    for col, name, colour in ((1, "dirty users", "tab:green"), (2, "dirty items", "tab:olive"),
                              (3, "index copy due", "tab:blue")):
        ax2.plot(ts, [b[col] for b in trace.backlog], color=colour, label=name)
    ax2.set_ylabel("nodes")
    ax2.legend(fontsize=8)
    ax2.set_xlabel("seconds since the stream started")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def benchmark_freshness(driver: Driver, settings: Settings, *, rates: list[int], duration: float = 60.0,
                        users: int = 5_000, items: int = 2_000, drain_timeout: float = 60.0,
                        progress: bool = True, profile: bool = False) -> dict[str, Any]:
    """Freshness at each rate, and the highest with p95 within 1 s and nothing lost (also in bench/freshness.json)."""
    conflict = beat_conflict(settings.home)
    if conflict is not None:
        raise ConfigError(f"bench freshness starts its own beat, scoped to its namespace, and {conflict}")
    out_dir = settings.home / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [measure_rate(driver, settings, rate=r, duration=duration, users=users, items=items,
                     drain_timeout=drain_timeout, out_dir=out_dir, progress=progress, profile=profile)
            for r in rates]
    ok = [r["rate_events_per_s"] for r in runs
          if r["gnn_p95_s"] is not None and r["gnn_p95_s"] <= 1.0 and r["lost_events"] == 0]
    summary: dict[str, Any] = {**runs[0]} if len(runs) == 1 else {"runs": runs}
    summary["max_rate_with_gnn_p95_within_1s"] = max(ok) if ok else None
    (out_dir / "freshness.json").write_text(json.dumps(summary, indent=2))
    return summary
