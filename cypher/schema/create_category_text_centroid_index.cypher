// HNSW vector index over :Category.text_centroid (text vectors), for query intent (nearest categories to a search).
// $text_dim: int, the text encoder's dimension. Returns nothing. Idempotent.
CREATE VECTOR INDEX category_text_centroid IF NOT EXISTS
FOR (n:Category) ON (n.text_centroid)
OPTIONS {indexConfig: {`vector.dimensions`: $text_dim, `vector.similarity_function`: 'cosine'}}
