// One page of users with all their behaviour edges, for training.
// $prefix: string, $after: string (last user id of the previous page), $limit: int (users)
// Returns: id, edges: [[type, target id, first_ms, last_ms, count, sentiment]].
MATCH (u:User)
WHERE u.id STARTS WITH $prefix AND u.id > $after
WITH u ORDER BY u.id LIMIT $limit
CALL (u) {
  MATCH (u)-[r:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED|SEARCHED]->(x)
  RETURN collect([type(r), x.id, r.first_at.epochMillis, r.last_at.epochMillis, r.count, r.sentiment]) AS edges
}
RETURN u.id AS id, edges
