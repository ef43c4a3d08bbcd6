// Aggregate user -> query searches; a Query's id is the hash of its normalised text.
// $rows: [{user, query, text, count, first_ms, last_ms, w}], $half_life_ms: float
// Returns nothing. Same decayed-weight merge as merge_item_behaviour. A new query is marked
// text_pending; writing searched_ms locks the query, so a search and the text pass that gives
// the query its intent (MEANS) serialise and the intent reaches interests exactly once.
UNWIND $rows AS row
MATCH (u:User {id: row.user})
MERGE (q:Query {id: row.query})
  ON CREATE SET q.text = row.text, q.text_pending = true
SET q.searched_ms = CASE WHEN q.searched_ms IS NULL OR row.last_ms > q.searched_ms THEN row.last_ms
                         ELSE q.searched_ms END
MERGE (u)-[r:SEARCHED]->(q)
WITH r, row, r.last_at.epochMillis AS old_last, coalesce(r.weight, 0.0) AS old_w
WITH r, row, old_w, coalesce(old_last, row.last_ms) AS old_last,
     CASE WHEN old_last IS NULL OR row.last_ms > old_last THEN row.last_ms ELSE old_last END AS at
SET r.count = coalesce(r.count, 0) + row.count,
    r.first_at = CASE WHEN r.first_at IS NULL OR row.first_ms < r.first_at.epochMillis
                      THEN datetime({epochMillis: row.first_ms}) ELSE r.first_at END,
    r.last_at = datetime({epochMillis: at}),
    r.weight = old_w * 2.0 ^ (-(at - old_last) / $half_life_ms)
             + row.w * 2.0 ^ (-(at - row.last_ms) / $half_life_ms)
