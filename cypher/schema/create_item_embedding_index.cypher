// HNSW vector index over :Item.embedding, used by recommend/similar via db.index.vector.queryNodes.
// $dim: int, the embedding dimension. Returns nothing. Idempotent.
CREATE VECTOR INDEX item_embedding IF NOT EXISTS
FOR (n:Item) ON (n.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine'}}
