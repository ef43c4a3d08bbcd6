// Write items' vectors, each only if the item is unchanged since its content was read.
// $rows: [{id, vec: [float], seq}] (seq: dirty_seq when read; content changes and new models bump it),
// $model: string, $owner: string | null
// Returns: id, written (bool). An item whose content changed meanwhile stays dirty for the next refresh.
UNWIND $rows AS row
MATCH (i:Item {id: row.id})
WITH i, row, coalesce(i.dirty_seq, 0) = row.seq AS current
CALL (i, row, current) {
  WITH i, row WHERE current
  CALL db.create.setNodeVectorProperty(i, 'embedding', row.vec)
  SET i.embedding_model = $model, i.embedded_at = datetime(), i.refreshes = coalesce(i.refreshes, 0) + 1,
      i.dirty_since = null
}
SET i.lease_until = CASE WHEN $owner IS NOT NULL AND i.lease_owner = $owner THEN null ELSE i.lease_until END,
    i.lease_owner = CASE WHEN $owner IS NOT NULL AND i.lease_owner = $owner THEN null ELSE i.lease_owner END
RETURN row.id AS id, current AS written
