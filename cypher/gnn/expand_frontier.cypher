// One hop of a sampled neighbourhood: for each frontier node, its strongest relationships by
// decayed weight (log w + last_at * ln2 / h, which ranks the same whatever "now" is); timeless
// relationships (IN_CATEGORY) have no last_at and sort first, so an item keeps its categories.
// INTERESTED_IN is not traversed: it summarises the same behaviour (user -> item -> category).
// $eids: [string] elementIds from earlier statements of the same transaction; $fanout: int,
// the cap per node, so popular items or categories cannot explode the pull;
// $half_life_ms: float (gnn.features.RECENCY_HALF_LIFE_MS).
// Returns: src, rid, dst (elementIds), type, weight, sentiment, last_ms, outgoing (bool).
// Neighbours' properties come from gnn/node_features, once per new node.
UNWIND $eids AS eid
MATCH (n) WHERE elementId(n) = eid
CALL (n) {
  MATCH (n)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|SEARCHED|REVIEWED|IN_CATEGORY]-(m)
  RETURN r, m
  ORDER BY log(abs(coalesce(r.weight, 1.0)) + 1.0e-12)
           + coalesce(r.last_at, r.updated_at).epochMillis * 0.6931471805599453 / $half_life_ms DESC, m.id
  LIMIT $fanout
}
RETURN eid AS src, elementId(r) AS rid, elementId(m) AS dst, type(r) AS type, r.weight AS weight,
       r.sentiment AS sentiment, coalesce(r.last_at, r.updated_at).epochMillis AS last_ms,
       startNode(r) = n AS outgoing
