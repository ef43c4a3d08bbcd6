// HNSW vector index over :Item.embedding, used by recommend via db.index.vector.queryNodes.
// Not quantised: the stored vectors make cosine rank exactly by the model's score z·h + b,
// and int8 quantisation would blur the bias column.
// $dim: int, the embedding dimension. Returns nothing. Idempotent.
CREATE VECTOR INDEX item_embedding IF NOT EXISTS
FOR (n:Item) ON (n.embedding)
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine',
                       `vector.quantization.enabled`: false}}
