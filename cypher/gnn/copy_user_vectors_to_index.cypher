// Copy users' fresh vectors into the indexed property (embedding, in the user_embedding vector
// index): one HNSW insert per user however often they acted since the last copy, and none for a
// vector within $min_cosine of its indexed copy (similar-shopper search re-ranks the index's
// candidates by the fresh vectors, so a copy that close changes no answer's order).
// The dummy index_lock write takes each user's write lock before the fresh vector is read, so a
// per-event write that commits meanwhile keeps its index_due_ms for the next copy.
// $ids: [string] (sorted, so concurrent copies lock in one order), $min_cosine: float
// Returns: checked (users whose copy was due), copied (HNSW inserts).
UNWIND $ids AS id
MATCH (u:User {id: id})
SET u.index_lock = true
REMOVE u.index_lock
WITH u, u.index_due_ms AS due
WHERE due IS NOT NULL AND u.embedding_fresh IS NOT NULL
WITH u, due, u.embedding IS NULL OR size(u.embedding) <> size(u.embedding_fresh)
             OR 2 * vector.similarity.cosine(u.embedding, u.embedding_fresh) - 1 < $min_cosine AS moved
CALL (u, due, moved) {
  WITH u, due WHERE moved
  CALL db.create.setNodeVectorProperty(u, 'embedding', u.embedding_fresh)
  SET u.indexed_at = datetime(), u.indexed_lag_ms = timestamp() - due
}
REMOVE u.index_due_ms
RETURN count(u) AS checked, sum(CASE WHEN moved THEN 1 ELSE 0 END) AS copied
