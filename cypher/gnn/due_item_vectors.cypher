// Items whose indexed vector (embedding) is behind their fresh one (embedding_fresh), longest
// waiting first, for gnn/copy_item_vectors_to_index.
// $limit: int, $prefix: string ("": every item; else only ids starting with it)
// Returns: id.
MATCH (i:Item)
WHERE i.index_due_ms IS NOT NULL AND ($prefix = '' OR i.id STARTS WITH $prefix)
RETURN i.id AS id
ORDER BY i.index_due_ms
LIMIT $limit
