// Users of one namespace whose fresh vector was copied into the vector index since a moment,
// with how long the index was behind.
// $prefix: string, $since_ms: int
// Returns: id, indexed_ms, lag_ms (from the first fresh vector the index did not hold to the copy).
MATCH (u:User)
WHERE u.indexed_at >= datetime({epochMillis: $since_ms}) AND u.id STARTS WITH $prefix
RETURN u.id AS id, u.indexed_at.epochMillis AS indexed_ms, u.indexed_lag_ms AS lag_ms
