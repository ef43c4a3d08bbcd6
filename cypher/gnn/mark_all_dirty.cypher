// Mark every user and item dirty, for a full re-embedding (refresh --all, a new model).
// $now_ms: int, $prefix: string ("": every node; else only ids starting with it)
// Returns: marked (int).
CALL () {
  MATCH (n:User) WHERE $prefix = '' OR n.id STARTS WITH $prefix
  RETURN n
  UNION
  MATCH (n:Item) WHERE $prefix = '' OR n.id STARTS WITH $prefix
  RETURN n
}
SET n.dirty_since = coalesce(n.dirty_since, datetime({epochMillis: $now_ms})),
    n.dirty_seq = coalesce(n.dirty_seq, 0) + 1
RETURN count(n) AS marked
