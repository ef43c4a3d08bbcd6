// The co-behaviour walk's second step: other users' newest items (by first touch, at most $per_user
// each) with each item's buyer count, and how many items each user has.
// $users: [string], $per_user: int, $prefix: string ("": every item; else ids starting with it)
// Returns: id (the user), n_items, items ([id]), degrees ([int], live_total or 1).
UNWIND $users AS id
MATCH (v:User {id: id})
CALL (v) {
  MATCH (v)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(i:Item)
  RETURN count(DISTINCT i) AS n_items
}
CALL (v) {
  MATCH (v)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(i:Item)
  WHERE $prefix = '' OR i.id STARTS WITH $prefix
  WITH i, min(r.first_at) AS first
  ORDER BY first DESC, i.id DESC
  LIMIT $per_user
  RETURN collect(i.id) AS items, collect(coalesce(i.live_total, 1)) AS degrees
}
RETURN id, n_items, items, degrees
