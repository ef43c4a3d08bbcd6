"""Answers for services: ``recommend`` (the active model's ranking) and ``similar`` (the vector index)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.common import Command, driver, positive_int, settings
from cli.output import JsonFlag, emit, table

K = Annotated[int, typer.Option("--k", parser=positive_int)]
Prefix = Annotated[str, typer.Option("--prefix", help="answer from one id namespace only (ids starting with "
                                                      "this), scored exactly instead of by the index")]


def recommend(user_id: Annotated[str, typer.Argument(metavar="USER_ID")], k: K = 10,
              why: Annotated[bool, typer.Option(
                  "--why", help="one line per item with the graph path that supports it "
                                "(and reasons/paths in --json)")] = False,
              prefix: Prefix = "", as_json: JsonFlag = False) -> None:
    """Print the items the active model ranks first for a user, with the supporting graph paths if ``why``."""
    from gnn.recommend import recommend as ranked
    from interestgraph.analyst import to_plain
    from interestgraph.graph import read

    s = settings()
    with driver(s) as d:
        rows = ranked(d, s, user_id, k, prefix)
        if why:  # the graph paths that support each chosen item
            found = {r["item_id"]: r for r in read(d, s, "serve/explain_items", user_id=user_id,
                                                   items=[r["item_id"] for r in rows])}
            for r in rows:
                r["reasons"] = found[r["item_id"]]["reasons"]
                r["paths"] = [to_plain(p) for p in found[r["item_id"]]["paths"]]

    def human(p: dict[str, Any]) -> list[Any]:
        reasons = [explain(r) for r in p["items"]] if why else []
        return [f"Recommendations for user {p['user_id']}:", table(p["items"], ["item_id", "title", "score"]),
                *reasons]

    emit(as_json, {"user_id": user_id, "items": rows}, human)


def explain(row: dict[str, Any]) -> str:
    """One line: why this item, as the analyst query's first path and its reasons."""
    if not row["paths"]:
        sig = row["signals"]
        return (f"  {row['item_id']}: no category or similar-shopper path yet (model {sig['model']:.3f}, "
                f"item-kNN {sig['item_knn']:.3f}, user-kNN {sig['user_knn']:.3f}, {sig['popularity']:.0f} buyers)")
    return f"  {row['item_id']}: {row['paths'][0]}  ({'; '.join(row['reasons'])})"


def similar(user_id: Annotated[str, typer.Argument(metavar="USER_ID")], k: K = 10,
            prefix: Prefix = "", as_json: JsonFlag = False) -> None:
    """Print the users nearest a user in the vector index."""
    from interestgraph.serve import similar as nearest

    s = settings()
    with driver(s) as d:
        rows = nearest(d, s, user_id, k, prefix)
    emit(as_json, {"user_id": user_id, "users": rows},
         lambda p: [f"Users similar to {p['user_id']}:", table(p["users"], ["user_id", "score"])])


COMMANDS: list[Command] = [
    ("recommend", "items for a user, as the active model ranks them", recommend),
    ("similar", "users similar to a user, from the vector index", similar),
]

