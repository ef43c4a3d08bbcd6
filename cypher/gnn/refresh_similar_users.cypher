// Replace each user's SIMILAR_TO edges by the top-k users nearest to its embedding.
// $ids: [string], $k: int
// Returns: id, similar (int). similar_at marks when this was last done.
UNWIND $ids AS id
MATCH (u:User {id: id})
WHERE u.embedding IS NOT NULL
CALL (u) {
  MATCH (u)-[old:SIMILAR_TO]->()
  DELETE old
}
SET u.similar_at = datetime()
WITH u, id
CALL (u) {
  CALL db.index.vector.queryNodes('user_embedding', $k + 1, u.embedding) YIELD node, score
  WITH node, score WHERE node <> u
  RETURN node, score ORDER BY score DESC LIMIT $k
}
CREATE (u)-[:SIMILAR_TO {score: score, computed_at: datetime()}]->(node)
RETURN id, count(node) AS similar
