// Search queries with no vector yet.
// $limit: int
// Returns: id, text.
MATCH (q:Query)
WHERE q.text_pending = true
RETURN q.id AS id, q.text AS text
ORDER BY id
LIMIT $limit
