// Users nearest to a user's fresh vector (the live answer; SIMILAR_TO is its stored copy).
// The vector index (over the indexed copies, a few seconds behind at most) proposes $candidates
// users; they are ranked by the exact cosine of the fresh vectors (embedding_fresh, else the
// indexed embedding), so the order is exact among them and no index lag shows in a score.
// $user_id: string, $k: int, $candidates: int (how many the index proposes; more than $k, so
// neighbours the index's approximation ranks a little low still make the top $k),
// $prefix: string ("": every user; else only ids starting with it, every one scored exactly)
// Returns: user_id, score (cosine similarity mapped to [0, 1], as the index gives it).
MATCH (u:User {id: $user_id})
WITH u, coalesce(u.embedding_fresh, u.embedding) AS q
WHERE q IS NOT NULL
CALL (u, q) {
  WITH q WHERE $prefix = ''
  CALL db.index.vector.queryNodes('user_embedding', $candidates, q) YIELD node
  RETURN node
  UNION
  WITH u WHERE $prefix <> ''
  MATCH (node:User) WHERE node.id STARTS WITH $prefix AND coalesce(node.embedding_fresh, node.embedding) IS NOT NULL
  RETURN node
}
WITH u, q, node
WHERE node <> u
RETURN node.id AS user_id, vector.similarity.cosine(q, coalesce(node.embedding_fresh, node.embedding)) AS score
ORDER BY score DESC, user_id
LIMIT $k
