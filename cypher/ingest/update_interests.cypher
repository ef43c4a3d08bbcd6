// Move (:User)-[:INTERESTED_IN]->(:Category) by the batch's behaviour and reviews, and
// record the same contributions per UTC day in (:User)-[:INTEREST_DAY]->(:Category).
// $rows: [{user, item?, category?, day: 'YYYY-MM-DD', count, first_ms, last_ms, w}] (w is signed: a
// negative review lowers interest). A row names an item (its categories move) or a category
// directly (a search's intent). $half_life_ms: float, $max_categories: int (the fan-out cap: one
// row moves at most this many of an item's categories, whatever the item holds)
// Returns nothing. Both weights are kept as of their `updated_at`/`at` time and merged with
// decay, so the interest on any past date D is the decayed sum of INTEREST_DAY up to D.
UNWIND $rows AS row
MATCH (u:User {id: row.user})
CALL (row) {
  MATCH (:Item {id: row.item})-[:IN_CATEGORY]->(c:Category)
  RETURN c LIMIT $max_categories
  UNION
  MATCH (c:Category {id: row.category})
  RETURN c
}
WITH u, c, row.day AS day, collect(row) AS parts, max(row.last_ms) AS day_at
WITH u, c, day, day_at, reduce(n = 0, p IN parts | n + p.count) AS day_n,
     reduce(s = 0.0, p IN parts | s + p.w * 2.0 ^ (-(day_at - p.last_ms) / $half_life_ms)) AS day_w
MERGE (u)-[d:INTEREST_DAY {day: date(day)}]->(c)
WITH u, c, day_at, day_n, day_w, d, d.at.epochMillis AS old_at, coalesce(d.weight, 0.0) AS old_w
WITH u, c, day_at, day_n, day_w, d, old_w, coalesce(old_at, day_at) AS old_at,
     CASE WHEN old_at IS NULL OR day_at > old_at THEN day_at ELSE old_at END AS at
SET d.weight = old_w * 2.0 ^ (-(at - old_at) / $half_life_ms) + day_w * 2.0 ^ (-(at - day_at) / $half_life_ms),
    d.at = datetime({epochMillis: at}),
    d.events = coalesce(d.events, 0) + day_n
WITH u, c, max(day_at) AS batch_at, sum(day_n) AS batch_n, collect({w: day_w, at: day_at}) AS days
WITH u, c, batch_at, batch_n,
     reduce(s = 0.0, p IN days | s + p.w * 2.0 ^ (-(batch_at - p.at) / $half_life_ms)) AS batch_w
MERGE (u)-[r:INTERESTED_IN]->(c)
WITH r, batch_at, batch_w, batch_n, r.updated_at.epochMillis AS old_at, coalesce(r.weight, 0.0) AS old_w
WITH r, batch_at, batch_w, batch_n, old_w, coalesce(old_at, batch_at) AS old_at,
     CASE WHEN old_at IS NULL OR batch_at > old_at THEN batch_at ELSE old_at END AS at
SET r.weight = old_w * 2.0 ^ (-(at - old_at) / $half_life_ms)
             + batch_w * 2.0 ^ (-(at - batch_at) / $half_life_ms),
    r.updated_at = datetime({epochMillis: at}),
    r.events = coalesce(r.events, 0) + batch_n
