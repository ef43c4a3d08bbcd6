// Write users' vectors, each only if the user is unchanged since its edges were read.
// $rows: [{id, vec: [float], seq, src_ms}] (seq: dirty_seq when read; src_ms: the newest event
// acceptance the vector includes), $model: string, $owner: string | null (a refresh's lease owner)
// Returns: id, written (bool). A user touched meanwhile keeps its old vector and stays dirty:
// the touch's own update (or the refresh backlog) writes a current one.
UNWIND $rows AS row
MATCH (u:User {id: row.id})
WITH u, row, coalesce(u.dirty_seq, 0) = row.seq AS current
CALL (u, row, current) {
  WITH u, row WHERE current
  CALL db.create.setNodeVectorProperty(u, 'embedding', row.vec)
  SET u.embedding_model = $model, u.embedded_at = datetime(), u.embedded_src_ms = row.src_ms,
      u.refreshes = coalesce(u.refreshes, 0) + 1, u.dirty_since = null
}
SET u.lease_until = CASE WHEN $owner IS NOT NULL AND u.lease_owner = $owner THEN null ELSE u.lease_until END,
    u.lease_owner = CASE WHEN $owner IS NOT NULL AND u.lease_owner = $owner THEN null ELSE u.lease_owner END
RETURN row.id AS id, current AS written
