// One hop of a sampled neighbourhood: for each frontier node, its strongest relationships.
// $eids: [string] elementIds from earlier statements of the same transaction; $fanout: int,
// the cap per node, so popular items or categories cannot explode the pull.
// Returns: src, rid, dst (elementIds), type, weight, sentiment, outgoing (bool),
//          labels, id, name, price, degree of the neighbour.
UNWIND $eids AS eid
MATCH (n) WHERE elementId(n) = eid
CALL (n) {
  MATCH (n)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|SEARCHED|REVIEWED|IN_CATEGORY|INTERESTED_IN]-(m)
  RETURN r, m
  ORDER BY coalesce(r.weight, 1.0) DESC, m.id
  LIMIT $fanout
}
RETURN eid AS src, elementId(r) AS rid, elementId(m) AS dst, type(r) AS type, r.weight AS weight,
       r.sentiment AS sentiment, startNode(r) = n AS outgoing,
       labels(m) AS labels, m.id AS id, coalesce(m.name, m.text, m.title) AS name, m.price AS price,
       COUNT { (m)-[:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|SEARCHED|REVIEWED|IN_CATEGORY|INTERESTED_IN]-() } AS degree
