// Items ranked for a user by the interest model's score z·h + b (cosine on the stored
// vectors ranks exactly by it), excluding every item the user already has behaviour on:
// the model predicts the next new item. Scores use the fresh vectors (embedding_fresh, else the
// indexed embedding), so the vector index's lag never shows in a score.
// $user_id: string, $k: int, $prefix: string ("": every item; else only ids starting with it,
// scored exactly: the same cosine mapped to [0, 1] as the index gives)
// Returns: item_id, title, score (the cosine similarity mapped to [0, 1]).
MATCH (u:User {id: $user_id})
WITH u, coalesce(u.embedding_fresh, u.embedding) AS z
WHERE z IS NOT NULL
WITH u, z, COUNT { (u)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->() } AS seen
CALL (z, seen) {
  // No namespace: the vector index finds the candidates. A namespace: every item in it (the index
  // cannot filter, and in a database shared with other data its top hits may all lie outside).
  WITH z, seen WHERE $prefix = ''
  CALL db.index.vector.queryNodes('item_embedding', $k + seen, z) YIELD node AS item
  RETURN item
  UNION
  WITH z WHERE $prefix <> ''
  MATCH (item:Item) WHERE item.id STARTS WITH $prefix AND coalesce(item.embedding_fresh, item.embedding) IS NOT NULL
  RETURN item
}
WITH u, z, item
WHERE NOT EXISTS { (u)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(item) }
RETURN item.id AS item_id, item.title AS title,
       vector.similarity.cosine(z, coalesce(item.embedding_fresh, item.embedding)) AS score
ORDER BY score DESC, item_id
LIMIT $k
