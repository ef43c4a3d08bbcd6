// Items ranked for a user by the interest model's score z·h + b (cosine on the stored
// vectors ranks exactly by it), excluding every item the user already has behaviour on:
// the model predicts the next new item.
// $user_id: string, $k: int, $prefix: string ("": every item; else only ids starting with it,
// scored exactly: the same cosine mapped to [0, 1] as the index gives)
// Returns: item_id, title, score (the index's cosine similarity mapped to [0, 1]).
MATCH (u:User {id: $user_id})
WHERE u.embedding IS NOT NULL
WITH u, COUNT { (u)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->() } AS seen
CALL (u, seen) {
  // No namespace: the vector index. A namespace: every item in it, scored exactly (the index
  // cannot filter, and in a database shared with other data its top hits may all lie outside).
  WITH u, seen WHERE $prefix = ''
  CALL db.index.vector.queryNodes('item_embedding', $k + seen, u.embedding) YIELD node AS item, score
  RETURN item, score
  UNION
  WITH u WHERE $prefix <> ''
  MATCH (item:Item) WHERE item.id STARTS WITH $prefix AND item.embedding IS NOT NULL
  RETURN item, vector.similarity.cosine(u.embedding, item.embedding) AS score
}
WITH u, item, score
WHERE NOT EXISTS { (u)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(item) }
RETURN item.id AS item_id, item.title AS title, score
ORDER BY score DESC, item_id
LIMIT $k
