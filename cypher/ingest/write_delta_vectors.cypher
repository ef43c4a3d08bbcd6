// Write delta-nudged user vectors (h + r W^r), unless another write got there first.
// $rows: [{id, vector: [float], version, src_ms}] (src_ms: newest acceptance time included)
// Returns: id, written (bool).
UNWIND $rows AS row
MATCH (u:User {id: row.id})
WITH u, row, coalesce(u.vector_version, 0) = row.version AS current
CALL (u, row, current) {
  WITH u, row WHERE current
  CALL db.create.setNodeVectorProperty(u, 'embedding', row.vector)
  SET u.vector_version = row.version + 1, u.delta_at = datetime(), u.delta_src_ms = row.src_ms
}
RETURN row.id AS id, current AS written
