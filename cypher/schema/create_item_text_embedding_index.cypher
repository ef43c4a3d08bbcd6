// HNSW vector index over :Item.text_embedding (text vectors), for semantic search over item titles.
// $text_dim: int, the text encoder's dimension. Returns nothing. Idempotent.
CREATE VECTOR INDEX item_text_embedding IF NOT EXISTS
FOR (n:Item) ON (n.text_embedding)
OPTIONS {indexConfig: {`vector.dimensions`: $text_dim, `vector.similarity_function`: 'cosine'}}
