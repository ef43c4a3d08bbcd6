// Write items' vectors, each only if the item is unchanged since its content was read.
// $rows: [{id, vec: [float], seq}] (seq: dirty_seq when read; content changes and new models bump it),
// $model: string
// Returns: id, one row per vector written. An item whose content changed meanwhile stays dirty.
WITH datetime() AS now
UNWIND $rows AS row
MATCH (i:Item {id: row.id})
WHERE coalesce(i.dirty_seq, 0) = row.seq
CALL db.create.setNodeVectorProperty(i, 'embedding', row.vec)
SET i.embedding_model = $model, i.embedded_at = now, i.refreshes = coalesce(i.refreshes, 0) + 1,
    i.dirty_since = null
RETURN row.id AS id
