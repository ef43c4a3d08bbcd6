"""A realistic synthetic behaviour stream: Zipf-distributed users, items and queries, all six
event types, out-of-order timestamps and a share of exact duplicates (redeliveries).

Deterministic for a given seed, and generated lazily so a 1M-event stream never sits in
memory. A ``prefix`` namespaces every id and every query: a Query node's id hashes its text,
so the query texts start with the prefix too, and a namespace never shares a query (or its
intent) with another namespace or with real data.
"""

from __future__ import annotations

import csv
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ingest.sources import CSV_COLUMNS

TYPE_MIX = (("view", 0.58), ("click", 0.20), ("cart", 0.07), ("purchase", 0.04), ("search", 0.07),
            ("review", 0.04))
REVIEW_TEXT = {
    5: ["非常好用，推荐购买", "Excellent, exactly as described"],
    4: ["质量不错，物流很快", "Good value for the price"],
    3: ["一般般，还可以", "It is okay"],
    2: ["有点失望，做工粗糙", "Not great, feels cheap"],
    1: ["质量太差，已经坏了", "Broke after two days"],
}
WORDS = ["蓝牙", "耳机", "手机壳", "充电器", "running", "shoes", "coffee", "机器", "book", "science",
         "fiction", "yoga", "mat", "face", "cream", "空气炸锅", "lamp", "desk", "gaming", "mouse"]


@dataclass(frozen=True)
class StreamShape:
    """The size and skew of a synthetic event stream, and where its ids and times start."""

    events: int = 100_000
    users: int = 20_000
    items: int = 10_000
    categories: int = 100
    queries: int = 2_000
    duplicate_rate: float = 0.05
    zipf_s: float = 1.1
    seed: int = 0
    start_ms: int = 1_790_000_000_000  # 2026-09-21
    step_ms: int = 250
    prefix: str = ""


def _zipf_sampler(rng: np.random.Generator, n: int, s: float):
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    perm = rng.permutation(n)  # popular ids are scattered, not 0, 1, 2...

    def draw(k: int) -> np.ndarray:
        return perm[np.searchsorted(cdf, rng.random(k), side="right").clip(max=n - 1)]

    return draw


def query_text(n: int, prefix: str = "") -> str:
    """The text of synthetic query ``n``: two words and the number, after the namespace if any."""
    words = f"{WORDS[n % len(WORDS)]} {WORDS[(n // len(WORDS)) % len(WORDS)]} {n}"
    return f"{prefix} {words}" if prefix else words


def events(shape: StreamShape, chunk: int = 10_000) -> Iterator[dict[str, Any]]:
    """Yield ``shape.events`` contract-v1 records (duplicates included in the count)."""
    rng = np.random.default_rng(shape.seed)
    users = _zipf_sampler(rng, shape.users, shape.zipf_s)
    items = _zipf_sampler(rng, shape.items, shape.zipf_s)
    queries = _zipf_sampler(rng, shape.queries, shape.zipf_s)
    names, probs = zip(*TYPE_MIX, strict=True)
    p = shape.prefix
    recent: deque[dict[str, Any]] = deque(maxlen=5_000)
    seen_items: set[int] = set()
    emitted = 0
    serial = 0
    while emitted < shape.events:
        k = min(chunk, shape.events - emitted)
        u, it, q = users(k), items(k), queries(k)
        kinds = rng.choice(len(names), size=k, p=probs)
        jitter = rng.integers(-30_000, 30_000, size=k)  # out-of-order by up to 30 s
        dup = rng.random(k) < shape.duplicate_rate
        ratings = rng.choice([1, 2, 3, 4, 5], size=k, p=[0.08, 0.07, 0.15, 0.3, 0.4])
        metas = rng.random(k)
        for j in range(k):
            if emitted >= shape.events:
                break
            if dup[j] and recent:
                yield recent[int(rng.integers(len(recent)))]
                emitted += 1
                continue
            serial += 1
            kind = names[int(kinds[j])]
            rec: dict[str, Any] = {"event_id": f"{p}e{serial}", "user_id": f"{p}u{int(u[j])}", "type": kind,
                                   "ts": shape.start_ms + serial * shape.step_ms + int(jitter[j])}
            if kind == "search":
                rec["query"] = query_text(int(q[j]), p)
            else:
                ii = int(it[j])
                rec["item_id"] = f"{p}i{ii}"
                if ii not in seen_items or metas[j] < 0.05:
                    seen_items.add(ii)
                    rec["item"] = {"title": f"item {ii}", "category": f"{p}c{ii % shape.categories}",
                                   "price": round(5 + (ii * 7919 % 1000) / 3, 2)}
                if kind == "review":
                    r = int(ratings[j])
                    rec["rating"] = r
                    rec["text"] = REVIEW_TEXT[r][ii % 2]
            recent.append(rec)
            emitted += 1
            yield rec


def write_csv(shape: StreamShape, path: Path, progress: bool) -> int:
    """The stream as a contract-v1 CSV (streamed to disk, never held in memory)."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f, \
            tqdm(total=shape.events, desc=f"generate {path.name}", unit="ev", disable=not progress,
                 file=sys.stderr) as bar:
        out = csv.writer(f)
        out.writerow(CSV_COLUMNS)
        for rec in events(shape):
            item = rec.get("item") or {}
            out.writerow([rec["event_id"], rec["user_id"], rec["type"], rec["ts"], rec.get("item_id", ""),
                          rec.get("query", ""), rec.get("text", ""), rec.get("rating", ""),
                          item.get("title", ""), item.get("category", ""), item.get("price", "")])
            n += 1
            if n % 10_000 == 0:
                bar.update(10_000)
        bar.update(n % 10_000)
    return n
