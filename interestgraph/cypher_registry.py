"""The Cypher registry: every statement the project runs, one ``.cypher`` file each.

Files live in ``cypher/<area>/<verb_noun>.cypher`` (a data-only package) and ship as package data. A file
starts with ``//`` header lines (purpose, ``$params``, return columns); the rest is one
statement. This module is the only place that turns file text into a driver ``Query``,
so values always travel as parameters and no Cypher lives in Python strings.

>>> from interestgraph.cypher_registry import query
>>> q = query("serve/recommend_items")   # doctest: +SKIP
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import LiteralString, cast

from neo4j import Query

from interestgraph.errors import UnknownQueryError

__all__ = ["query", "statement_text", "names", "header"]

_SUFFIX = ".cypher"


@cache
def _files() -> dict[str, str]:
    root = resources.files("cypher")
    found: dict[str, str] = {}
    for area in sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name):
        for f in sorted(area.iterdir(), key=lambda p: p.name):
            if f.name.endswith(_SUFFIX):
                found[f"{area.name}/{f.name[: -len(_SUFFIX)]}"] = f.read_text(encoding="utf-8")
    return found


def names(area: str | None = None) -> list[str]:
    """All statement names, or those of one area (``schema``, ``ingest``, ...), sorted."""
    all_names = sorted(_files())
    if area is None:
        return all_names
    return [n for n in all_names if n.startswith(area + "/")]


def _file_text(name: str) -> str:
    """The whole file of ``name``, header comments included."""
    try:
        return _files()[name]
    except KeyError:
        raise UnknownQueryError(
            f"unknown Cypher statement {name!r}; expected one of: {', '.join(names())}"
        ) from None


def header(name: str) -> str:
    """The leading ``//`` comment block of a statement, without the slashes."""
    lines = []
    for line in _file_text(name).splitlines():
        if not line.startswith("//"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines)


def statement_text(name: str) -> LiteralString:
    """The statement text of ``name`` (header comments stripped)."""
    body = "\n".join(ln for ln in _file_text(name).splitlines() if not ln.startswith("//")).strip()
    # The files are part of the package, never user input: this is the one cast.
    return cast(LiteralString, body)


def query(name: str, timeout: float | None = None) -> Query:
    """A driver ``Query`` for ``name``, tagged so it shows in ``SHOW TRANSACTIONS``."""
    return Query(statement_text(name), metadata={"app": "interestgraph", "query": name}, timeout=timeout)
