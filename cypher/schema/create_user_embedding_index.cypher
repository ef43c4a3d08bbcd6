// HNSW vector index over :User.embedding, for similar shoppers (SIMILAR_TO, `similar`).
// User vectors are rewritten on every event, so the graph is built lighter than the items'
// (m 8, ef_construction 64) and vectors are not quantised (cosine must rank exactly).
// $dim: int, the embedding dimension. Returns nothing. Idempotent.
CREATE VECTOR INDEX user_embedding IF NOT EXISTS
FOR (n:User) ON (n.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine',
                       `vector.hnsw.m`: 8, `vector.hnsw.ef_construction`: 64, `vector.quantization.enabled`: false}}
