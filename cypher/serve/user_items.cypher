// What the ranking reads of a user: their exact vector (the fresh one; the indexed copy until
// the first per-event write), how many items they have, and their
// newest items (by first touch, at most $limit) with each item's buyer count.
// $user_id: string, $limit: int
// Returns: embedding, n_items, items ([id], newest first), degrees ([int], live_total or 1).
MATCH (u:User {id: $user_id})
CALL (u) {
  MATCH (u)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(j:Item)
  RETURN count(DISTINCT j) AS n_items
}
CALL (u) {
  MATCH (u)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(j:Item)
  WITH j, min(r.first_at) AS first
  ORDER BY first DESC, j.id DESC
  LIMIT $limit
  RETURN collect(j.id) AS items, collect(coalesce(j.live_total, 1)) AS degrees
}
RETURN coalesce(u.embedding_fresh, u.embedding) AS embedding, n_items, items, degrees
