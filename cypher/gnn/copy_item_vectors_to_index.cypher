// Copy items' fresh vectors into the indexed property (embedding, in the item_embedding vector
// index): one HNSW insert per item however often its live state moved since the last copy, and
// none for a vector within $min_cosine of its indexed copy (recommend takes the index's candidates
// and scores them with the fresh vectors, so a copy that close changes no answer's order).
// The dummy index_lock write takes each item's write lock before the fresh vector is read, so a
// refresh that commits meanwhile keeps its index_due_ms for the next copy.
// $ids: [string] (sorted, so concurrent copies lock in one order), $min_cosine: float
// Returns: checked (items whose copy was due), copied (HNSW inserts).
UNWIND $ids AS id
MATCH (i:Item {id: id})
SET i.index_lock = true
REMOVE i.index_lock
WITH i, i.index_due_ms AS due
WHERE due IS NOT NULL AND i.embedding_fresh IS NOT NULL
WITH i, due, i.embedding IS NULL OR size(i.embedding) <> size(i.embedding_fresh)
             OR 2 * vector.similarity.cosine(i.embedding, i.embedding_fresh) - 1 < $min_cosine AS moved
CALL (i, due, moved) {
  WITH i, due WHERE moved
  CALL db.create.setNodeVectorProperty(i, 'embedding', i.embedding_fresh)
  SET i.indexed_at = datetime(), i.indexed_lag_ms = timestamp() - due
}
REMOVE i.index_due_ms
RETURN count(i) AS checked, sum(CASE WHEN moved THEN 1 ELSE 0 END) AS copied
