// Items trending in an interest community (a cohort) over a window: how many members acted on
// each item in [$from, $to] (UTC days), how many of them for the first time, and the members'
// behaviour weight at the end of $to. Behaviour is stored aggregated per (user, item, type), so
// a window that ends in the past also counts that member's later behaviour on the item.
// $cohort: map                     {segment: category id, min_share: 0.2} and/or {users: [user ids]}
// $from: date                      'YYYY-MM-DD'
// $to: date                        'YYYY-MM-DD'
// $half_life_ms: float = setting   decay half-life (the CLI passes INTERESTGRAPH_HALF_LIFE_DAYS)
// $k: int = 20                     how many items
// Returns: item_id, title, users, new_users, reach (users / members), score, members.
CALL () {
  UNWIND coalesce($cohort.users, []) AS id
  MATCH (u:User {id: id})
  RETURN u
  UNION
  MATCH (:Category {id: $cohort.segment})<-[seg:INTERESTED_IN]-(u:User)
  MATCH (u)-[r:INTERESTED_IN]->()
  WITH u, seg, collect(r) AS rels, max(r.updated_at.epochMillis) AS ref_ms
  WITH u, seg.weight * 2.0 ^ (-(ref_ms - seg.updated_at.epochMillis) / $half_life_ms) AS mine,
       reduce(t = 0.0, r IN rels | t + CASE WHEN r.weight > 0
              THEN r.weight * 2.0 ^ (-(ref_ms - r.updated_at.epochMillis) / $half_life_ms) ELSE 0.0 END) AS total
  WHERE mine > 0 AND mine >= coalesce($cohort.min_share, 0.2) * total
  RETURN u
}
WITH collect(u) AS members, datetime({date: date($from)}) AS start,
     datetime({date: date($to)}) + duration({days: 1}) AS end
UNWIND members AS u
MATCH (u)-[b:VIEWED|CLICKED|ADDED_TO_CART|PURCHASED|REVIEWED]->(i:Item)
WHERE b.last_at >= start AND b.first_at < end
WITH size(members) AS n, start, end, i, u, min(b.first_at) AS first_at,
     sum(b.weight * 2.0 ^ (-(end.epochMillis - b.last_at.epochMillis) / $half_life_ms)) AS w
WITH n, i, count(u) AS users, count(CASE WHEN first_at >= start THEN u END) AS new_users, sum(w) AS score
RETURN i.id AS item_id, i.title AS title, users, new_users, toFloat(users) / n AS reach, score, n AS members
ORDER BY new_users DESC, score DESC, item_id
LIMIT $k
