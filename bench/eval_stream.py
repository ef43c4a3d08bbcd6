"""The evaluation's input: the event stream cut into past and live, as namespaced records,
and the item catalogue with its text vectors (see :mod:`bench.evaluate` for the protocol)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from neo4j import Driver

from gnn.runtime import ItemRecord, QueryRecord
from ingest.datasets import EVALUATION_SAMPLE, NAMES
from ingest.datasets import records as dataset_records
from ingest.deadletter import DeadLetters
from ingest.events import Event, normalise_query, query_id
from ingest.pipeline import validated
from ingest.sources import read_records
from ingest.text import TextPass
from interestgraph.errors import InputError
from interestgraph.settings import Settings


@dataclass
class Stream:
    """A validated, time-ordered event list and where the past ends."""

    name: str
    events: list[Event]
    cut: int
    cut_ms: int
    rejected: int = 0

    @property
    def past(self) -> list[Event]:
        """The events before the cut: what the models train on."""
        return self.events[:self.cut]

    @property
    def live(self) -> list[Event]:
        """The events after the cut: replayed and scored."""
        return self.events[self.cut:]


def _order(ev: Event) -> tuple[int, str, str, str]:
    return (ev.ts_ms, ev.user_id, ev.item_id or query_id(ev.query or ""), ev.event_id)


def load_stream(source: str | Path, quantile: float, dead_letter: Path, stream_limit: int | None = None,
                sample: float | None = None) -> Stream:
    """A shipped data set (``source`` one of ``ingest.datasets.NAMES``; ``sample``: the share of
    its customers, default ``EVALUATION_SAMPLE``) or a contract-v1 event file, cut by time."""
    if not 0.0 < quantile < 1.0:
        raise InputError(f"cut must be between 0 and 1 (exclusive), got {quantile}")
    with DeadLetters(dead_letter) as dead:
        if str(source) in NAMES:
            share = EVALUATION_SAMPLE[str(source)] if sample is None else sample
            name = str(source) if share == 1.0 else f"{source} ({share:g} of customers)"
            records = enumerate(dataset_records(str(source), share), start=1)
            events = list(validated(name, records, dead, now_ms=int(time.time() * 1000)))
        else:
            path = Path(source)
            if not path.is_file():
                raise InputError(f"{path}: no such file")
            name = path.name
            events = list(validated(str(path), read_records(path), dead))
        rejected = dead.count
    unique: dict[str, Event] = {}
    for ev in events:
        unique.setdefault(ev.event_id, ev)
    ordered = sorted(unique.values(), key=_order)
    if len(ordered) < 20:
        raise InputError(f"{source}: only {len(ordered)} valid events; the evaluation needs at least 20")
    cut_ms = int(np.quantile([e.ts_ms for e in ordered], quantile))
    cut = next((i for i, e in enumerate(ordered) if e.ts_ms > cut_ms), len(ordered))
    if cut == len(ordered) or cut == 0:
        raise InputError(f"{source}: cutting at the {quantile} time quantile leaves no past or no stream")
    if stream_limit is not None:
        ordered = ordered[:cut + stream_limit]
    return Stream(name, ordered, cut, cut_ms, rejected)


def record_of(ev: Event, ns: str) -> dict[str, Any]:
    """``ev`` as a contract-v1 record with its ids in the namespace ``ns``."""
    rec: dict[str, Any] = {"event_id": ns + ev.event_id, "user_id": ns + ev.user_id, "type": ev.type.value,
                           "ts": ev.ts_ms}
    if ev.item_id is not None:
        rec["item_id"] = ns + ev.item_id
    if ev.query is not None:
        rec["query"] = ev.query
    if ev.text is not None:
        rec["text"] = ev.text
    if ev.rating is not None:
        rec["rating"] = ev.rating
    if ev.item is not None:
        item: dict[str, Any] = {}
        if ev.item.title is not None:
            item["title"] = ev.item.title
        if ev.item.categories:
            item["category"] = [ns + c for c in ev.item.categories]
        if ev.item.price is not None:
            item["price"] = ev.item.price
        rec["item"] = item
    return rec


@dataclass
class Catalogue:
    """Every item of the stream with its content as the graph will hold it, plus queries."""

    ids: list[str]  # namespaced, sorted
    records: list[ItemRecord]
    queries: list[QueryRecord]
    column: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.column = {i: n for n, i in enumerate(self.ids)}


def catalogue(stream: Stream, ns: str, settings: Settings, progress: bool) -> Catalogue:
    """Item content merged as the ingest Cypher merges it, and text vectors from the text encoder."""
    from textenc.loaders import text_encoder

    meta: dict[str, dict[str, Any]] = {}
    for ev in stream.events:
        if ev.item_id is None:
            continue
        m = meta.setdefault(ns + ev.item_id, {"title": None, "price": None, "cats": set(), "at": -1})
        if ev.item is not None:
            if ev.ts_ms >= m["at"]:
                m["at"] = ev.ts_ms
                m["title"] = ev.item.title if ev.item.title is not None else m["title"]
                m["price"] = ev.item.price if ev.item.price is not None else m["price"]
            m["cats"].update(ns + c for c in ev.item.categories)
    queries = sorted({normalise_query(ev.query) for ev in stream.events if ev.query})
    titles = sorted({m["title"] for m in meta.values() if m["title"]})
    enc = text_encoder(settings)
    if progress:
        print(f"encoding {len(titles)} titles and {len(queries)} queries", file=sys.stderr, flush=True)
    vec = dict(zip(titles, enc.encode(titles), strict=True)) if titles else {}
    qvec = dict(zip(queries, enc.encode(queries), strict=True)) if queries else {}
    ids = sorted(meta)
    records = [ItemRecord(i, 0, vec[meta[i]["title"]].tolist() if meta[i]["title"] else None,
                          enc.model_id if meta[i]["title"] else None, meta[i]["price"], tuple(sorted(meta[i]["cats"])))
               for i in ids]
    return Catalogue(ids, records, [QueryRecord(query_id(q), 0, qvec[q].tolist(), enc.model_id) for q in queries])


def text_pass_titles_and_queries(driver: Driver, settings: Settings) -> None:
    """Encode the namespace's new titles and queries, as the nlp workers would."""
    # Titles and queries only: review texts would need the review model, and the replay
    # keeps the ratings' sentiment (as the in-memory side does).
    TextPass(driver, settings).run(reviews=False)
