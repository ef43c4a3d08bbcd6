// Write refreshed embeddings back, clear the dirty mark unless re-dirtied, release the lease.
// $users, $items: [{id, embedding: [float], dirty_seq, accepted_ms}], $model: string, $owner: string
// Returns: label, id, cleared (bool: false when the node was touched again meanwhile).
// embedded_src_ms records which events the vector includes; refreshes counts GNN writes
// (the debounce check); vector_version makes a concurrent delta write lose, not clobber.
CALL () {
  UNWIND $users AS row
  MATCH (n:User {id: row.id})
  RETURN n, row
  UNION ALL
  UNWIND $items AS row
  MATCH (n:Item {id: row.id})
  RETURN n, row
}
CALL db.create.setNodeVectorProperty(n, 'embedding', row.embedding)
SET n.embedding_model = $model, n.embedded_at = datetime(), n.embedded_src_ms = row.accepted_ms,
    n.refreshes = coalesce(n.refreshes, 0) + 1, n.vector_version = coalesce(n.vector_version, 0) + 1
WITH n, row, n.dirty_seq = row.dirty_seq AS unchanged
SET n.dirty_since = CASE WHEN unchanged THEN null ELSE n.dirty_since END,
    n.lease_until = CASE WHEN n.lease_owner = $owner THEN null ELSE n.lease_until END,
    n.lease_owner = CASE WHEN n.lease_owner = $owner THEN null ELSE n.lease_owner END
RETURN CASE WHEN n:User THEN 'User' ELSE 'Item' END AS label, n.id AS id, unchanged AS cleared
