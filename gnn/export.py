"""The training export: items with their content, searched queries, and every user's
behaviour edges, streamed from Neo4j in pages (keyset pagination on the id indexes), with
a progress bar. The content is what the workers read (``gnn/item_content.cypher``), so the
model is trained on the inputs it will be served with.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from neo4j import Driver
from tqdm import tqdm

from gnn.behaviour import Edge
from gnn.runtime import ItemRecord, QueryRecord
from interestgraph.graph import read
from interestgraph.settings import Settings


@dataclass
class TrainingData:
    """A whole graph (or one id namespace of it), ready to build training examples from."""

    items: list[ItemRecord]
    queries: list[QueryRecord]
    edges: dict[str, list[Edge]]  # by user

    @property
    def text_model(self) -> str | None:
        """The text model most item titles were encoded with (others count as missing)."""
        models = Counter(i.text_model for i in self.items if i.text is not None and i.text_model)
        return models.most_common(1)[0][0] if models else None

    @property
    def text_dim(self) -> int:
        """The length of the titles' text vectors under :attr:`text_model` (0 when none has one)."""
        model = self.text_model
        return next((len(i.text) for i in self.items if i.text is not None and i.text_model == model), 0)

    def events(self) -> int:
        """How many events the edges aggregate."""
        return sum(e.count for edges in self.edges.values() for e in edges)


def edge_of(row: list) -> Edge:
    """An edge from the list form the Cypher returns: [type, target, first_ms, last_ms, count, sentiment, ...]."""
    return Edge(row[0], row[1], int(row[2]), int(row[3]), int(row[4] or 1), row[5])


def item_record(r: dict) -> ItemRecord:
    """An item from the row the export Cypher returns, its categories sorted."""
    return ItemRecord(r["id"], int(r["seq"]), r["text"], r["text_model"], r["price"], tuple(sorted(r["categories"])))


def _pages(driver: Driver, settings: Settings, name: str, page: int, **params: object) -> Iterator[list[dict]]:
    after = ""
    while True:
        rows = [dict(r) for r in read(driver, settings, name, after=after, limit=page, **params)]
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]


def export(driver: Driver, settings: Settings, prefix: str = "", page: int = 2000,
           progress: bool = False) -> TrainingData:
    """Everything under ``prefix`` (all of the graph for ``""``)."""
    items: list[ItemRecord] = []
    queries: list[QueryRecord] = []
    edges: dict[str, list[Edge]] = {}
    with tqdm(desc="export", unit="node", disable=not progress, file=sys.stderr) as bar:
        for rows in _pages(driver, settings, "gnn/export_items", page, prefix=prefix):
            items.extend(item_record(r) for r in rows)
            bar.update(len(rows))
        for rows in _pages(driver, settings, "gnn/export_queries", page, prefix=prefix):
            queries.extend(QueryRecord(r["id"], int(r["seq"]), r["text"], r["text_model"]) for r in rows)
            bar.update(len(rows))
        # A page's users come with all their edges (LIMIT counts users, not edges).
        for rows in _pages(driver, settings, "gnn/export_user_edges", max(page // 4, 1), prefix=prefix):
            for r in rows:
                edges[r["id"]] = [edge_of(e) for e in r["edges"]]
            bar.update(len(rows))
    return TrainingData(items, queries, edges)
