"""``interestgraph schema apply``: constraints, indexes and vector indexes, idempotently."""

from __future__ import annotations

from neo4j import Driver

import cypher
from interestgraph.errors import ConfigError
from interestgraph.graph import read, write
from interestgraph.settings import Settings

# Index names as created by cypher/schema/create_*_embedding_index.cypher.
VECTOR_INDEXES = ("user_embedding", "item_embedding")


def statements() -> list[str]:
    """The ``schema/create_*`` statements, constraints before the indexes."""
    creates = [n for n in cypher.names("schema") if n.split("/", 1)[1].startswith("create_")]
    return sorted(creates, key=lambda n: (not n.endswith("_constraint"), n))


def apply(driver: Driver, settings: Settings) -> dict[str, object]:
    """Create what is missing, check vector dimensions, wait until every index is online."""
    names = statements()
    for name in names:
        write(driver, settings, name, dim=settings.embedding_dim)
    mismatched = [
        f"{rec['name']} ({rec['label']}) is {rec['dim']}-d"
        for rec in read(driver, settings, "schema/list_vector_indexes", names=list(VECTOR_INDEXES))
        if rec["dim"] != settings.embedding_dim
    ]
    if mismatched:
        raise ConfigError(
            f"vector indexes do not match the {settings.embedding_dim}-d embeddings: {', '.join(mismatched)}; "
            "drop them (DROP INDEX <name>) and run `interestgraph schema apply` again"
        )
    write(driver, settings, "schema/await_indexes")
    return {"statements": len(names), "embedding_dim": settings.embedding_dim}
