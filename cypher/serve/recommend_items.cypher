// Items nearest to a user's embedding, excluding what the user already purchased.
// $user_id: string, $k: int
// Returns: item_id, title, score (cosine similarity mapped to [0, 1] by the index).
MATCH (u:User {id: $user_id})
WHERE u.embedding IS NOT NULL
CALL db.index.vector.queryNodes('item_embedding', $k + COUNT { (u)-[:PURCHASED]->() }, u.embedding)
  YIELD node AS item, score
WITH u, item, score
WHERE NOT (u)-[:PURCHASED]->(item)
RETURN item.id AS item_id, item.title AS title, score
ORDER BY score DESC, item_id
LIMIT $k
