// Replace each user's SIMILAR_TO edges by the top-k users nearest to its fresh vector: the
// vector index (over the indexed copies) proposes $candidates users, ranked by the exact cosine of
// the fresh vectors (embedding_fresh, else the indexed embedding), as serve/similar_users does.
// $ids: [string], $k: int, $candidates: int (> $k)
// Returns: id, similar (int). similar_at marks when this was last done.
UNWIND $ids AS id
MATCH (u:User {id: id})
WITH u, id, coalesce(u.embedding_fresh, u.embedding) AS q
WHERE q IS NOT NULL
CALL (u) {
  MATCH (u)-[old:SIMILAR_TO]->()
  DELETE old
}
SET u.similar_at = datetime()
WITH u, id, q
CALL (u, q) {
  CALL db.index.vector.queryNodes('user_embedding', $candidates, q) YIELD node
  WITH node WHERE node <> u
  WITH node, vector.similarity.cosine(q, coalesce(node.embedding_fresh, node.embedding)) AS score
  RETURN node, score ORDER BY score DESC LIMIT $k
}
CREATE (u)-[:SIMILAR_TO {score: score, computed_at: datetime()}]->(node)
RETURN id, count(node) AS similar
