"""The analyst library: the questions in ``cypher/analyst/``, run by name with checked parameters.

Each file documents itself in its ``//`` header: a purpose, one ``$name: type [= default]``
line per parameter, and a ``Returns:`` line. This module reads that header, so the file is
the single description of its query for the CLI, the Browser guide and the report:

- an unknown or missing parameter, a malformed date or a cohort without members' rule is an
  :class:`~interestgraph.errors.InputError` before anything runs;
- a ``$user_id`` the graph does not hold is a :class:`~interestgraph.errors.NotFoundError`;
- graph values (nodes, relationships, paths, temporal values) come back as plain data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import neo4j.graph
import neo4j.time
from neo4j import Driver

from interestgraph import cypher_registry as cypher
from interestgraph.errors import InputError, NotFoundError
from interestgraph.graph import read
from interestgraph.settings import Settings

AREA = "analyst"
# The default that the runner fills from the settings rather than from the header.
FROM_SETTINGS = "setting"
_REQUIRED = object()
_PARAM = re.compile(r"^\$(?P<name>\w+):\s*(?P<type>\S+)(?:\s*=\s*(?P<default>\S+))?\s*(?P<doc>.*)$")
_COHORT_KEYS = {"segment", "users", "min_share"}
_MAX_K = 10_000


@dataclass(frozen=True)
class Param:
    """One ``$name: type [= default] doc`` line of a query's header."""

    name: str
    type: str
    default: Any
    doc: str

    @property
    def required(self) -> bool:
        """True when the header gives no default, so the caller must pass a value."""
        return self.default is _REQUIRED

    @property
    def nullable(self) -> bool:
        """True when the type admits null (``...|null``)."""
        return self.type.endswith("|null")


@dataclass(frozen=True)
class AnalystQuery:
    """An analyst query's header as data: purpose, parameters, returned columns, whether it needs embeddings."""

    name: str
    purpose: str
    params: tuple[Param, ...]
    returns: str
    needs_embedding: bool

    @property
    def qualified(self) -> str:
        """The registry name, ``analyst/NAME``."""
        return f"{AREA}/{self.name}"

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, or None when the query takes none by that name."""
        return next((p for p in self.params if p.name == name), None)


def _parse_default(raw: str | None) -> Any:
    import json

    if raw is None:
        return _REQUIRED
    if raw == FROM_SETTINGS:
        return FROM_SETTINGS
    return json.loads(raw)


def describe(name: str) -> AnalystQuery:
    """The header of ``analyst/NAME`` as data. Raises ``InputError`` for an unknown name."""
    short = name.split("/", 1)[1] if name.startswith(AREA + "/") else name
    if f"{AREA}/{short}" not in cypher.names(AREA):
        raise InputError(f"unknown analyst query {name!r}; expected one of: {', '.join(names())}")
    purpose: list[str] = []
    params: list[Param] = []
    returns: list[str] = []
    needs_embedding = False
    for line in cypher.header(f"{AREA}/{short}").splitlines():
        m = _PARAM.match(line)
        if m:
            params.append(Param(m["name"], m["type"], _parse_default(m["default"]), m["doc"].strip()))
        elif line.startswith("Returns:"):
            returns.append(line.removeprefix("Returns:").strip())
        elif returns:  # a wrapped Returns: line
            returns.append(line)
        elif line.startswith("Needs:"):
            needs_embedding = "embedding" in line
        else:
            purpose.append(line)
    return AnalystQuery(short, " ".join(purpose), tuple(params), " ".join(returns), needs_embedding)


def names() -> list[str]:
    """Short names of every analyst query, sorted."""
    return [n.split("/", 1)[1] for n in cypher.names(AREA)]


def library() -> list[AnalystQuery]:
    """Every analyst query's header, in name order."""
    return [describe(n) for n in names()]


def bind(query: AnalystQuery, given: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Check ``given`` against the header and fill defaults; raises ``InputError``."""
    unknown = sorted(set(given) - {p.name for p in query.params})
    if unknown:
        raise InputError(f"{query.name} takes no parameter(s) {', '.join(unknown)}; it takes: "
                         + ", ".join(f"{p.name}" + ("" if p.required else "?") for p in query.params))
    missing = [p.name for p in query.params if p.required and p.name not in given]
    if missing:
        raise InputError(f"{query.name} needs a value for parameter(s): {', '.join(missing)}")
    out: dict[str, Any] = {}
    for p in query.params:
        if p.name in given:
            out[p.name] = _check(query.name, p, given[p.name])
        elif p.default == FROM_SETTINGS:
            out[p.name] = settings.half_life_ms
        else:
            out[p.name] = p.default
    return out


def _check(query: str, p: Param, value: Any) -> Any:
    kind = p.type.removesuffix("|null")
    where = f"{query}: parameter {p.name}"
    if value is None:
        if p.nullable:
            return None
        raise InputError(f"{where} must not be null")
    if kind == "string":
        # A user id of 42 given on a command line arrives as a JSON number; ids are strings.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return _typed(where, value, str)
    if kind == "int":
        value = _typed(where, value, int)
        if not 0 <= value <= _MAX_K:
            raise InputError(f"{where} must be between 0 and {_MAX_K}, got {value}")
        return value
    if kind == "float":
        return float(_typed(where, value, int | float))
    if kind == "date":
        try:
            return date.fromisoformat(_typed(where, value, str)).isoformat()
        except ValueError:
            raise InputError(f"{where} must be a date 'YYYY-MM-DD', got {value!r}") from None
    if kind == "map":
        return _cohort(where, value)
    return value


def _typed(where: str, value: Any, kind: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise InputError(f"{where} has the wrong type: got {value!r}")
    return value


def _cohort(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{where} must be a map such as {{\"segment\": \"books\"}} or {{\"users\": [\"u1\"]}}, "
                         f"got {value!r}")
    unknown = sorted(set(value) - _COHORT_KEYS)
    if unknown:
        raise InputError(f"{where} has unknown key(s) {', '.join(unknown)}; use {', '.join(sorted(_COHORT_KEYS))}")
    if not value.get("segment") and not value.get("users"):
        raise InputError(f"{where} needs a segment (a category id) or a list of users")
    users = value.get("users", [])
    if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
        raise InputError(f"{where}: users must be a list of user id strings")
    share = value.get("min_share", 0.2)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        raise InputError(f"{where}: min_share must be a number from 0 to 1, got {share!r}")
    return {**value, "min_share": float(share)}


def _check_graph(driver: Driver, settings: Settings, query: AnalystQuery, params: dict[str, Any]) -> None:
    user = params.get("user_id")
    if user is not None:
        state = read(driver, settings, "serve/user_state", user_id=user)[0]
        if not state["exists"]:
            raise NotFoundError(f"no user with id {user!r} in the graph")
        if query.needs_embedding and not state["embedded"]:
            raise NotFoundError(f"user {user!r} has no embedding yet; run `interestgraph refresh` "
                                "(or wait for the gnn workers)")
    for p in query.params:
        segment = params[p.name].get("segment") if p.type == "map" else None
        if segment and not read(driver, settings, "serve/category_exists", id=segment)[0]["exists"]:
            raise NotFoundError(f"{query.name}: no category with id {segment!r} (parameter {p.name})")


def run(driver: Driver, settings: Settings, name: str, given: dict[str, Any] | None = None,
        *, plain: bool = True) -> list[dict[str, Any]]:
    """Run ``analyst/NAME`` with checked parameters.

    With ``plain`` (the default) graph values become JSON-ready data; without it the
    driver's nodes, relationships and paths are kept (the report draws them).
    """
    query = describe(name)
    params = bind(query, dict(given or {}), settings)
    _check_graph(driver, settings, query, params)
    rows = [dict(r) for r in read(driver, settings, query.qualified, **params)]
    return [{k: to_plain(v) for k, v in r.items()} for r in rows] if plain else rows


def to_plain(value: Any) -> Any:
    """Graph and temporal values as JSON-ready data; paths as readable one-line strings."""
    if isinstance(value, neo4j.graph.Path):
        return _path_text(value)
    if isinstance(value, neo4j.graph.Node):
        return {"labels": sorted(value.labels), **{k: to_plain(v) for k, v in value.items() if not _is_vector(k)}}
    if isinstance(value, neo4j.graph.Relationship):
        return {"type": value.type, "start": _node_id(value.start_node), "end": _node_id(value.end_node),
                **{k: to_plain(v) for k, v in value.items()}}
    if isinstance(value, neo4j.time.DateTime | neo4j.time.Date | neo4j.time.Time | neo4j.time.Duration):
        return value.iso_format()
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def _is_vector(key: str) -> bool:
    return key.endswith("embedding")


def _node_id(node: neo4j.graph.Node | None) -> str:
    if node is None:
        return "?"
    return str(node.get("id", node.element_id))


def _path_text(path: neo4j.graph.Path) -> str:
    # (u1)-[:PURCHASED]->(i9)<-[:VIEWED]-(u2): each hop drawn in its stored direction.
    parts = [f"({_node_id(path.start_node)})"]
    for rel, node in zip(path.relationships, path.nodes[1:], strict=True):
        forward = rel.start_node is not None and rel.start_node.element_id != node.element_id
        parts.append(f"-[:{rel.type}]->" if forward else f"<-[:{rel.type}]-")
        parts.append(f"({_node_id(node)})")
    return "".join(parts)
