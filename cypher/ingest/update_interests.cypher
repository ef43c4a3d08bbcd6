// Move (:User)-[:INTERESTED_IN]->(:Category) by the batch's item behaviour and reviews.
// $rows: [{user, item, count, first_ms, last_ms, w}] (w is signed: negative reviews lower it),
// $half_life_ms: float
// Returns nothing. weight is as of updated_at (the latest event time), decayed like behaviour.
UNWIND $rows AS row
MATCH (u:User {id: row.user})
MATCH (:Item {id: row.item})-[:IN_CATEGORY]->(c:Category)
WITH u, c, collect(row) AS parts, max(row.last_ms) AS batch_at
WITH u, c, batch_at,
     reduce(s = 0.0, p IN parts | s + p.w * 2.0 ^ (-(batch_at - p.last_ms) / $half_life_ms)) AS batch_w,
     reduce(n = 0, p IN parts | n + p.count) AS batch_n
MERGE (u)-[r:INTERESTED_IN]->(c)
WITH r, batch_at, batch_w, batch_n, r.updated_at.epochMillis AS old_at, coalesce(r.weight, 0.0) AS old_w
WITH r, batch_at, batch_w, batch_n, old_w, coalesce(old_at, batch_at) AS old_at,
     CASE WHEN old_at IS NULL OR batch_at > old_at THEN batch_at ELSE old_at END AS at
SET r.weight = old_w * 2.0 ^ (-(at - old_at) / $half_life_ms)
             + batch_w * 2.0 ^ (-(at - batch_at) / $half_life_ms),
    r.updated_at = datetime({epochMillis: at}),
    r.events = coalesce(r.events, 0) + batch_n
