// Each user's newest behaviour edges, as the interest model reads them (gnn.behaviour).
// Order: last_at, then target id, then type, newest first (a total order, so ties never
// make the workers and the training code disagree). Only the user's own edges are read:
// no item or category is expanded, so a popular item costs nothing here. A busy shopper's
// thousands of edges cost their last_at only: the first pass finds the k-th newest time, and
// only edges at or after it (ties included, so the order stays exact) load their target's id
// (measured: 35% less server time than sorting every edge by target id, the same rows).
// The first pass is skipped when the user keeps a cutoff from an earlier read (recent_cutoff_ms,
// for recent_cutoff_k >= $k newest edges; gnn/write_user_vectors stores it): an edge's last_at
// only grows and edges are only added, so the k-th newest time never falls, and an old cutoff
// still lets every one of the k newest edges through. A busy shopper's edges are then walked
// once, not twice (a profile at 1,000 events/s had this read's time grow 2.3x over 10 minutes
// as the busiest shoppers' edges grew).
// $ids: [string] (user ids), $k: int
// Returns: id, seq (dirty_seq as read: a vector computed from these edges is written only if
// it is still current), accepted_ms (the newest event acceptance the edges include),
// edges: [[type, target id, first_ms, last_ms, count, sentiment, target content_seq]].
UNWIND $ids AS id
MATCH (u:User {id: id})
WITH u, id, coalesce(u.recent_cutoff_k, 0) >= $k AS kept
CALL (u, kept) {
  WITH u WHERE NOT kept  // else no edge is walked (min() of none: null)
  MATCH (u)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED|SEARCHED]->()
  WITH r.last_at AS t ORDER BY t DESC LIMIT $k
  RETURN min(t) AS walked
}
WITH u, id, CASE WHEN kept THEN datetime({epochMillis: u.recent_cutoff_ms}) ELSE walked END AS cutoff
CALL (u, cutoff) {
  MATCH (u)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED|SEARCHED]->(x)
  WHERE r.last_at >= cutoff
  WITH r, x ORDER BY r.last_at DESC, x.id DESC, type(r) DESC
  LIMIT $k
  RETURN collect([type(r), x.id, r.first_at.epochMillis, r.last_at.epochMillis, r.count, r.sentiment,
                  coalesce(x.content_seq, 0)]) AS edges
}
RETURN id, coalesce(u.dirty_seq, 0) AS seq, u.accepted_ms AS accepted_ms, edges
