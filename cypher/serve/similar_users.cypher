// Users nearest to a user's embedding (the live answer; SIMILAR_TO is its stored copy).
// $user_id: string, $k: int, $prefix: string ("": every user; else only ids starting with it, scored exactly)
// Returns: user_id, score.
MATCH (u:User {id: $user_id})
WHERE u.embedding IS NOT NULL
CALL (u) {
  WITH u WHERE $prefix = ''
  CALL db.index.vector.queryNodes('user_embedding', $k + 1, u.embedding) YIELD node, score
  RETURN node, score
  UNION
  WITH u WHERE $prefix <> ''
  MATCH (node:User) WHERE node.id STARTS WITH $prefix AND node.embedding IS NOT NULL
  RETURN node, vector.similarity.cosine(u.embedding, node.embedding) AS score
}
WITH u, node, score
WHERE node <> u
RETURN node.id AS user_id, score
ORDER BY score DESC, user_id
LIMIT $k
