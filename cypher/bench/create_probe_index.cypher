// The recall benchmark's HNSW index over :AnnProbe(vec), with the settings under test.
// $dim: int, $m: int, $ef_construction: int, $quantized: bool
// Returns nothing. Drop it (schema/drop_index, 'ann_probe') before creating it with other settings.
CREATE VECTOR INDEX ann_probe IF NOT EXISTS
FOR (n:AnnProbe) ON (n.vec)
OPTIONS {indexConfig: {`vector.dimensions`: $dim, `vector.similarity_function`: 'cosine', `vector.hnsw.m`: $m,
                       `vector.hnsw.ef_construction`: $ef_construction, `vector.quantization.enabled`: $quantized}}
