"""``interestgraph schema apply``: constraints, indexes and vector indexes, idempotently."""

from __future__ import annotations

from neo4j import Driver

from interestgraph import cypher_registry as cypher
from interestgraph.errors import ConfigError
from interestgraph.graph import read, write
from interestgraph.settings import Settings

# Index names as created by cypher/schema/create_*_index.cypher: graph embeddings, then text vectors.
VECTOR_INDEXES = ("user_embedding", "item_embedding")
GRAPH_INDEX_M = {"user_embedding": 8, "item_embedding": 16}  # as cypher/schema/create_*_embedding_index set them
TEXT_VECTOR_INDEXES = ("item_text_embedding", "query_text_embedding", "category_text_centroid")


def statements() -> list[str]:
    """The ``schema/create_*`` statements, constraints before the indexes."""
    creates = [n for n in cypher.names("schema") if n.split("/", 1)[1].startswith("create_")]
    return sorted(creates, key=lambda n: (not n.endswith("_constraint"), n))


def apply(driver: Driver, settings: Settings, text_dim: int) -> dict[str, object]:
    """Create what is missing, check vector dimensions, wait until every index is online.

    ``text_dim`` is the text model's vector size (``textenc.encoders.model_dim(text_model_dir())``); the
    caller passes it, so this foundation module does not load text models.

    A text vector index of another size than the text model's (the model changed) is dropped and
    created anew at the new size: it holds vectors derived from texts, which ``interestgraph nlp pass
    --all`` encodes again. Graph-embedding indexes are never dropped here.
    """
    rebuilt = [rec["name"] for rec in read(driver, settings, "schema/list_vector_indexes",
                                           names=list(TEXT_VECTOR_INDEXES)) if rec["dim"] != text_dim]
    for name in rebuilt:
        write(driver, settings, "schema/drop_index", index=name)
    names = statements()
    for name in names:
        write(driver, settings, name, dim=settings.embedding_dim, text_dim=text_dim)
    want = {**dict.fromkeys(VECTOR_INDEXES, settings.embedding_dim), **dict.fromkeys(TEXT_VECTOR_INDEXES, text_dim)}
    mismatched = []
    for rec in read(driver, settings, "schema/list_vector_indexes", names=list(want)):
        if rec["dim"] != want[rec["name"]]:
            mismatched.append(f"{rec['name']} ({rec['label']}) is {rec['dim']}-d, expected {want[rec['name']]}-d")
        elif rec["name"] in VECTOR_INDEXES and (rec["quantized"] or rec["m"] != GRAPH_INDEX_M[rec["name"]]):
            mismatched.append(f"{rec['name']} has older settings (quantised {rec['quantized']}, m {rec['m']}); "
                              "the model's vectors need an unquantised index")
    if mismatched:
        raise ConfigError(
            f"vector indexes do not match the models: {', '.join(mismatched)} (a changed embedding size, index "
            "settings or INTERESTGRAPH_TEXT_MODEL); drop them (DROP INDEX <name>) and run `interestgraph schema "
            "apply` again: the vectors stay on the nodes and are indexed anew"
        )
    write(driver, settings, "schema/await_indexes")
    return {"statements": len(names), "embedding_dim": settings.embedding_dim, "text_dim": text_dim,
            "text_indexes_rebuilt": rebuilt}
