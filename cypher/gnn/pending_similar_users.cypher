// Users whose SIMILAR_TO edges are older than their embedding (oldest first).
// $limit: int
// Returns: id.
MATCH (u:User)
WHERE u.embedded_at IS NOT NULL AND (u.similar_at IS NULL OR u.similar_at < u.embedded_at)
RETURN u.id AS id
ORDER BY u.embedded_at
LIMIT $limit
