// Each user's top-k nearest users, for SIMILAR_TO: the vector index (over the indexed copies)
// proposes $candidates users, ranked by the exact cosine of the fresh vectors (embedding_fresh,
// else the indexed embedding), as serve/similar_users does.
// A read: the vector searches take most of the time and hold no lock, so ingest and the per-event
// writes never wait for them (as one write they held each batch's users, and their neighbours,
// for the whole search; a profile at 1,000 events/s found it the first cause of lock waits).
// gnn/write_similar_users then replaces the edges in a short write.
// $ids: [string], $k: int, $candidates: int (> $k)
// Returns: id, similar: [{id, score}] best first (empty: no neighbour); users with no vector are left out.
UNWIND $ids AS id
MATCH (u:User {id: id})
WITH u, id, coalesce(u.embedding_fresh, u.embedding) AS q
WHERE q IS NOT NULL
OPTIONAL CALL (u, q) {
  CALL db.index.vector.queryNodes('user_embedding', $candidates, q) YIELD node
  WITH node WHERE node <> u
  WITH node, vector.similarity.cosine(q, coalesce(node.embedding_fresh, node.embedding)) AS score
  RETURN node, score ORDER BY score DESC LIMIT $k
}
WITH id, node, score ORDER BY id, score DESC
RETURN id, collect(CASE WHEN node IS NOT NULL THEN {id: node.id, score: score} END) AS similar
