// Store title vectors; a row whose title changed since it was read is skipped (the next pass
// encodes the new title). The title vector is item content: the item is marked for re-embedding. $rows: [{id, title, vec: [float]}], $model: string
// Returns: category (the distinct categories of the written items, whose centroids move).
UNWIND $rows AS row
MATCH (i:Item {id: row.id})
WHERE i.title = row.title
CALL db.create.setNodeVectorProperty(i, 'text_embedding', row.vec)
SET i.text_model = $model, i.text_at = datetime(), i.content_seq = coalesce(i.content_seq, 0) + 1,
    i.dirty_seq = coalesce(i.dirty_seq, 0) + 1, i.dirty_since = coalesce(i.dirty_since, datetime()),
    i.touched_ms = timestamp()
REMOVE i.text_pending
WITH i
MATCH (i)-[:IN_CATEGORY]->(c:Category)
RETURN DISTINCT c.id AS category
