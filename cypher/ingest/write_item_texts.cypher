// Store title vectors; a row whose title changed since it was read is skipped (the next pass
// encodes the new title). $rows: [{id, title, vec: [float]}], $model: string
// Returns: category (the distinct categories of the written items, whose centroids move).
UNWIND $rows AS row
MATCH (i:Item {id: row.id})
WHERE i.title = row.title
CALL db.create.setNodeVectorProperty(i, 'text_embedding', row.vec)
SET i.text_model = $model, i.text_at = datetime()
REMOVE i.text_pending
WITH i
MATCH (i)-[:IN_CATEGORY]->(c:Category)
RETURN DISTINCT c.id AS category
