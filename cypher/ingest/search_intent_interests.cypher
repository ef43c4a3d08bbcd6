// What searches mean for interests: for each (user, query) search row, the categories the query
// MEANS, with the search weight split by intent share. $rows: [{user, query, count, first_ms,
// last_ms, w}] (merge_searches' rows, or a re-read of SEARCHED for newly embedded queries).
// Returns: user, category, count, first_ms, last_ms, w (rows for update_interests).
UNWIND $rows AS row
MATCH (:Query {id: row.query})-[m:MEANS]->(c:Category)
RETURN row.user AS user, c.id AS category, row.count AS count, row.first_ms AS first_ms,
       row.last_ms AS last_ms, row.w * m.share AS w
