// Users whose indexed vector (embedding) is behind their fresh one (embedding_fresh), longest
// waiting first, for gnn/copy_user_vectors_to_index.
// $limit: int, $prefix: string ("": every user; else only ids starting with it)
// Returns: id.
MATCH (u:User)
WHERE u.index_due_ms IS NOT NULL AND ($prefix = '' OR u.id STARTS WITH $prefix)
RETURN u.id AS id
ORDER BY u.index_due_ms
LIMIT $limit
