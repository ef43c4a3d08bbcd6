// The top $k of the ann_probe index's $candidates for each query vector, ranked by the exact
// cosine of the stored vectors (as serve/similar_users ranks the index's candidates).
// $queries: [{id, vec: [float]}], $k: int, $candidates: int
// Returns: id, neighbours ([id], nearest first, the query's own node left out).
UNWIND $queries AS q
CALL (q) {
  CALL db.index.vector.queryNodes('ann_probe', $candidates, q.vec) YIELD node
  WITH node WHERE node.id <> q.id
  WITH node, vector.similarity.cosine(q.vec, node.vec) AS score
  ORDER BY score DESC, node.id
  LIMIT $k
  RETURN collect(node.id) AS neighbours
}
RETURN q.id AS id, neighbours
