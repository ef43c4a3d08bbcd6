// Aggregate user -> item behaviour (VIEWED, CLICKED, ADDED_TO_CART, PURCHASED, REVIEWED).
// $rows: [{user, item, rel, count, first_ms, last_ms, w}], $half_life_ms: float
// Returns nothing. rel comes from the closed ingest.events.Behaviour enum. The weight is
// kept as of last_at; merging decays both sides to the later time (order-independent).
UNWIND $rows AS row
MATCH (u:User {id: row.user})
MATCH (i:Item {id: row.item})
MERGE (u)-[r:$(row.rel)]->(i)
WITH r, row, r.last_at.epochMillis AS old_last, coalesce(r.weight, 0.0) AS old_w
WITH r, row, old_w, coalesce(old_last, row.last_ms) AS old_last,
     CASE WHEN old_last IS NULL OR row.last_ms > old_last THEN row.last_ms ELSE old_last END AS at
SET r.count = coalesce(r.count, 0) + row.count,
    r.first_at = CASE WHEN r.first_at IS NULL OR row.first_ms < r.first_at.epochMillis
                      THEN datetime({epochMillis: row.first_ms}) ELSE r.first_at END,
    r.last_at = datetime({epochMillis: at}),
    r.weight = old_w * 2.0 ^ (-(at - old_last) / $half_life_ms)
             + row.w * 2.0 ^ (-(at - row.last_ms) / $half_life_ms)
