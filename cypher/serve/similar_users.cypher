// Users nearest to a user's embedding (the live answer; SIMILAR_TO is its stored copy).
// $user_id: string, $k: int
// Returns: user_id, score.
MATCH (u:User {id: $user_id})
WHERE u.embedding IS NOT NULL
CALL db.index.vector.queryNodes('user_embedding', $k + 1, u.embedding) YIELD node, score
WITH u, node, score
WHERE node <> u
RETURN node.id AS user_id, score
ORDER BY score DESC, user_id
LIMIT $k
