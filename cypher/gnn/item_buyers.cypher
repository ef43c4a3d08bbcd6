// Items' newest buyers with their user vectors: the item readout's inputs (gnn.readout).
// A buyer counts once, at their first touch of the item (as the live counters count them);
// users without a vector yet are not read.
// $ids: [string], $m: int (buyers per item)
// Returns: id, buyers: [{t: first touch (epoch ms), v: the user's embedding_fresh}], newest first
UNWIND $ids AS id
MATCH (i:Item {id: id})
RETURN id, COLLECT {
  MATCH (i)<-[r]-(u:User)
  WHERE u.embedding_fresh IS NOT NULL
  WITH u, min(r.first_at.epochMillis) AS t
  ORDER BY t DESC, u.id
  LIMIT $m
  RETURN {t: t, v: u.embedding_fresh}
} AS buyers
