// HNSW vector index over :Query.embedding (text vectors), for finding searches that mean the same thing.
// $text_dim: int, the text encoder's dimension. Returns nothing. Idempotent.
CREATE VECTOR INDEX query_text_embedding IF NOT EXISTS
FOR (n:Query) ON (n.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: $text_dim, `vector.similarity_function`: 'cosine'}}
