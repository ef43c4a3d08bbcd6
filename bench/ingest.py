"""`interestgraph bench ingest`: our ingest against Neo4j's `LOAD CSV ... IN TRANSACTIONS`.

Both paths get the same synthetic stream (``ingest.synthetic``) as the same contract-v1 CSV,
in separate id namespaces of the same local Neo4j, one after the other. Ours validates,
deduplicates (the ledger) and pre-aggregates; the baseline applies the same upserts row
by row. The totals of both namespaces are compared, so a faster path that did less work
would show up as ``"equivalent": false``.

Ours runs twice: with the per-event embedding (every batch's users re-embedded by the
active model and written back, as production ingest does) and without it, so the cost of
keeping vectors fresh at ingest is measured (``embed_throughput_ratio``).
"""

from __future__ import annotations

import math
import resource
import sys
import time
import uuid
from dataclasses import replace
from typing import Any

from neo4j import Driver

from bench.namespace import delete_namespace
from gnn.online import UpdateBehind, UserUpdater
from gnn.refresh import RuntimeCache
from ingest.pipeline import sync
from ingest.synthetic import StreamShape, write_csv
from ingest.writer import GraphWriter
from interestgraph.constants import REL_OF_EVENT, TYPE_WEIGHT
from interestgraph.graph import read, run_implicit
from interestgraph.settings import Settings


def totals(driver: Driver, settings: Settings, prefix: str) -> dict[str, dict[str, float]]:
    """Relationships, events and weight per behaviour type under ``prefix``, to compare the two paths."""
    return {r["type"]: {"rels": r["rels"], "events": r["events"], "weight": r["weight"]}
            for r in read(driver, settings, "bench/namespace_totals", prefix=prefix)}


def _same(a: dict[str, dict[str, float]], b: dict[str, dict[str, float]]) -> bool:
    if a.keys() != b.keys():
        return False
    return all(a[t]["rels"] == b[t]["rels"] and a[t]["events"] == b[t]["events"]
               and math.isclose(a[t]["weight"], b[t]["weight"], rel_tol=1e-6, abs_tol=1e-6) for t in a)


def _ours(driver: Driver, settings: Settings, shape: StreamShape, batch_size: int, progress: bool,
          runtime: RuntimeCache | None = None) -> dict[str, Any]:
    """Our ingest of ``shape``; with a ``runtime``, each batch's users are re-embedded after its commit."""
    import_dir = settings.home / "neo4j" / "import"
    path = import_dir / f"bench-{shape.prefix}.csv"
    # The production hook: the update runs on its own thread, as `interestgraph ingest` runs it.
    hook = UpdateBehind(UserUpdater(driver, settings, runtime)) if runtime is not None else None
    try:
        write_csv(shape, path, progress)
        report = sync([path], GraphWriter(driver, settings, after_commit=hook),
                      import_dir / f"bench-{shape.prefix}.dead.jsonl", batch_size=batch_size, progress=progress)
    finally:
        path.unlink(missing_ok=True)
        if hook is not None:
            hook.close()
    return {"accepted": report.accepted, "rejected": report.rejected, "duplicates": report.duplicates,
            "seconds": round(report.seconds, 2), "events_per_s": round(shape.events / report.seconds, 1)}


def _load_csv(driver: Driver, settings: Settings, shape: StreamShape, batch: int, progress: bool) -> float:
    path = settings.home / "neo4j" / "import" / f"bench-{shape.prefix}.csv"
    try:
        write_csv(shape, path, progress)
        if progress:
            print(f"LOAD CSV ... IN TRANSACTIONS OF {batch} ROWS on {shape.events} events...", file=sys.stderr,
                  flush=True)
        started = time.perf_counter()
        run_implicit(driver, settings, "bench/load_csv_events", url=f"file:///{path.name}", batch=batch,
                     half_life_ms=settings.half_life_ms, weights={t.value: w for t, w in TYPE_WEIGHT.items()},
                     rels={t.value: rel for t, rel in REL_OF_EVENT.items()})
        return time.perf_counter() - started
    finally:
        path.unlink(missing_ok=True)


def benchmark_ingest(driver: Driver, settings: Settings, *, events_n: int = 100_000, users: int = 20_000,
                     items: int = 10_000, batch_size: int = 10_000, csv_batch: int = 10_000, baseline: bool = True,
                     keep: bool = False, progress: bool = True) -> dict[str, Any]:
    """Warm both paths up, then run each once on the same stream; returns the JSON result."""
    run_id = uuid.uuid4().hex[:6]
    (settings.home / "neo4j" / "import").mkdir(parents=True, exist_ok=True)
    ours_prefix, base_prefix, plain_prefix = f"b{run_id}o-", f"b{run_id}l-", f"b{run_id}p-"
    warm = StreamShape(events=min(events_n, 20_000), users=users, items=items, seed=1)
    result: dict[str, Any] = {"events": events_n, "users": users, "items": items, "batch_size": batch_size,
                              "load_csv_batch": csv_batch, "warmup_events": warm.events}
    prefixes = [f"b{run_id}w-", f"b{run_id}x-", f"b{run_id}y-", ours_prefix, plain_prefix, base_prefix]
    runtime = RuntimeCache(settings)
    try:
        # Every path runs once on a smaller stream first so none pays for the JIT alone.
        _ours(driver, settings, replace(warm, prefix=prefixes[0]), batch_size, False, runtime)
        _ours(driver, settings, replace(warm, prefix=prefixes[2]), batch_size, False)
        if baseline:
            _load_csv(driver, settings, replace(warm, prefix=prefixes[1]), csv_batch, False)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        shape = StreamShape(events=events_n, users=users, items=items, prefix=ours_prefix)
        result.update(_ours(driver, settings, shape, batch_size, progress, runtime))
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        result["rss_before_ingest_mb"] = round(rss_before / 1024, 1)
        plain = _ours(driver, settings, replace(shape, prefix=plain_prefix), batch_size, progress)
        result["without_embedding"] = plain
        result["embed_throughput_ratio"] = round(result["events_per_s"] / plain["events_per_s"], 3)
        if baseline:
            base_s = _load_csv(driver, settings, replace(shape, prefix=base_prefix), csv_batch, progress)
            ours_t, base_t = totals(driver, settings, ours_prefix), totals(driver, settings, base_prefix)
            result.update({
                "load_csv_seconds": round(base_s, 2),
                "load_csv_events_per_s": round(events_n / base_s, 1),
                "speedup_vs_load_csv": round(base_s / result["seconds"], 2),
                "equivalent": _same(ours_t, base_t),
                "totals": {"ours": ours_t, "load_csv": base_t},
            })
        result["other_data"] = dict(read(driver, settings, "bench/other_data", prefix=f"b{run_id}")[0])
    finally:
        for prefix in prefixes if not keep else prefixes[:3]:
            delete_namespace(driver, settings, prefix)
    return result
