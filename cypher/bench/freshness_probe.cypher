// Users of one namespace whose vector was written since a moment, with what each write includes.
// $prefix: string, $since_ms: int
// Returns: id, embedded_src_ms (the newest event acceptance the vector includes), embedded_ms.
MATCH (u:User)
WHERE u.embedded_at >= datetime({epochMillis: $since_ms}) AND u.id STARTS WITH $prefix
RETURN u.id AS id, u.embedded_src_ms AS embedded_src_ms, u.embedded_at.epochMillis AS embedded_ms
