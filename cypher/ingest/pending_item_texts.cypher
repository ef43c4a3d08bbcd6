// Items whose title has no text vector yet (or changed since), oldest first.
// $limit: int
// Returns: id, title.
MATCH (i:Item)
WHERE i.text_pending = true
RETURN i.id AS id, i.title AS title
ORDER BY i.meta_at, id
LIMIT $limit
