// The outgoing relationships of one page of users, for a full-graph export.
// $prefix: string, $after: string (last user id of the previous page), $limit: int (users)
// Returns: src (user id), type, dst_label, dst (id), weight, sentiment, first_ms, last_ms.
MATCH (u:User)
WHERE u.id STARTS WITH $prefix AND u.id > $after
WITH u ORDER BY u.id LIMIT $limit
MATCH (u)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|SEARCHED|REVIEWED|INTERESTED_IN]->(m)
RETURN u.id AS src, type(r) AS type, labels(m)[0] AS dst_label, m.id AS dst, r.weight AS weight,
       r.sentiment AS sentiment, coalesce(r.first_at, r.updated_at).epochMillis AS first_ms,
       coalesce(r.last_at, r.updated_at).epochMillis AS last_ms
ORDER BY src, type, dst
