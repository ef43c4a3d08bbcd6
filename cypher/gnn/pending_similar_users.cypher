// Users whose SIMILAR_TO edges are older than their embedding and at least $min_age_ms old
// (oldest first): a shopper acting non-stop gets new neighbours every $min_age_ms, not on
// every event, so this stays off the per-event path.
// $limit: int, $now_ms: int, $min_age_ms: int, $prefix: string ("": every user; else only ids starting with it)
// Returns: id.
MATCH (u:User)
WHERE u.embedded_at IS NOT NULL AND ($prefix = '' OR u.id STARTS WITH $prefix)
  AND (u.similar_at IS NULL OR (u.similar_at < u.embedded_at
                                AND u.similar_at.epochMillis <= $now_ms - $min_age_ms))
RETURN u.id AS id
ORDER BY u.embedded_at
LIMIT $limit
