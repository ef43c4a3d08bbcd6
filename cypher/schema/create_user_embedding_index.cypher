// HNSW vector index over :User.embedding, used by recommend/similar via db.index.vector.queryNodes.
// $dim: int, the embedding dimension. Returns nothing. Idempotent.
CREATE VECTOR INDEX user_embedding IF NOT EXISTS
FOR (n:User) ON (n.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine'}}
